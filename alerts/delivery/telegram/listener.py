"""The operators' command listener: the admins' bot commands, and their presses on the buttons
under alerts, over long polling."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import BotCommand, CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from alerts.delivery.telegram.bot import TelegramDestination, _convert
from alerts.errors import NotifyError
from alerts.logs import event
from alerts.mutes import Pressed
from alerts.ops.replies import Replies, run_command

log = logging.getLogger("alerts.delivery.telegram")


CommandHandler = Callable[[str], Awaitable[str]]
Press = Callable[[int, str], Pressed]  # (admin's user id, callback_data) -> the outcome
NOT_ADMIN = Pressed("Only the bot's admins can use these buttons.", alert=True)
IN_PRIVATE = (
    "I answer commands in a private chat, not in a group: open a chat with me, press Start, "
    "and send the command there."
)


class CommandListener:
    """Operators' bot commands over long polling (PTB ``Application``), for admins only.

    Each command maps to a handler that takes the text after the command and returns the reply
    (plain text). Who is an admin is asked of ``admins`` at each command, so a config reload
    grants and revokes at once. Messages from anyone else get no answer and are logged. Replies
    go through ``ops.replies.Replies`` (paced per chat, identical commands coalesced), and
    always to the admin's private chat: an admin's command in a group is answered privately,
    never to the whole group; only if Telegram refuses the private chat (the admin never
    started one with the bot) does the group get a hint, and no answer. The commands are
    registered with setMyCommands so Telegram offers them in the menu.

    Presses on the buttons under alerts (callback queries) are read from the same updates, in
    order with the commands (PTB handles one update after the other), and the commands in
    ``immediate`` (``/mute``, ``/unmute``) run when they arrive, not when their paced reply
    goes: a press and a command act in the order they were made. Every press is answered
    (answerCallbackQuery), whatever happens, so no client is left spinning: anyone but an
    admin gets a short dialog, changes nothing, and is logged; an admin's press goes to
    ``press``, and the message's buttons change to what it returns (editMessageReplyMarkup).
    """

    def __init__(
        self,
        destination: TelegramDestination,
        admins: Callable[[], list[int]],
        commands: dict[str, tuple[str, CommandHandler]],
        press: Press | None = None,
        immediate: frozenset[str] = frozenset(),
    ) -> None:
        self.destination = destination
        self.admins = admins
        self.commands = commands
        self.press = press
        self.immediate = immediate
        self.replies = Replies(self._send)
        # One scheduler for the work (APScheduler in alerts.scheduler): no PTB JobQueue here.
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().bot(destination.bot).job_queue(None).build()
        )
        self.app.add_handler(MessageHandler(filters.COMMAND, self._on_command))
        self.app.add_handler(CallbackQueryHandler(self._on_press))

    @property
    def running(self) -> bool:
        """Whether updates are being polled."""
        return self.app.updater is not None and self.app.updater.running

    async def start(self) -> None:
        """Register the commands and start polling for updates; if Telegram cannot be reached,
        log it and return (the service calls start again later)."""
        try:
            await self.app.initialize()
            if not self.app.running:
                await self.app.start()
            await self.app.bot.set_my_commands(
                [BotCommand(name, about) for name, (about, _) in self.commands.items()]
            )
            assert self.app.updater is not None
            await self.app.updater.start_polling(
                timeout=10, allowed_updates=["message", "callback_query"]
            )
        except TelegramError as e:
            log.warning("commands_unavailable error=%s", e.message)
            return
        log.info("commands_listening admins=%d", len(self.admins()))

    async def stop(self) -> None:
        """Stop polling and drop waiting replies; the HTTP pool is closed by the destination."""
        await self.replies.close()
        if self.running:
            assert self.app.updater is not None
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or message.text is None:
            return
        word, _, rest = message.text.partition(" ")
        name, rest = word[1:].split("@", 1)[0].lower(), rest.strip()
        if user is None or user.id not in self.admins():
            log.warning("command_refused user_id=%s command=%s", user.id if user else None, name)
            return
        group = message.chat.id if message.chat.id != user.id else None
        refused = None if group is None else self._hint(group)
        run: Callable[[], Awaitable[str]] = lambda: self._run(name, rest)  # noqa: E731
        if name in self.immediate:  # acts now; only the reply waits for its turn
            run = _constant(await run_command(f"/{name}", run))
        self.replies.submit(user.id, f"/{name} {rest}", run, refused)

    async def _on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        user = query.from_user.id
        if user not in self.admins():
            event(log, logging.WARNING, "button_refused", user_id=user, data=query.data)
            pressed = NOT_ADMIN
        else:
            pressed = self._pressed(user, query.data or "")
        await _answer(query, pressed)
        message = query.message
        if pressed.keyboard is not None and message is not None:
            chat = pressed.chat or str(message.chat.id)
            try:
                await self.destination.edit_buttons(chat, message.message_id, pressed.keyboard)
            except NotifyError as e:
                event(log, logging.WARNING, "buttons_not_changed", chat_id=chat, error=e.reason)

    def _pressed(self, user: int, data: str) -> Pressed:
        """An admin's press; a failure is answered too (and logged with its traceback)."""
        if self.press is None:
            return Pressed("These buttons are not in use.", alert=True)
        try:
            pressed = self.press(user, data)
        except Exception as e:
            log.exception("button_failed user_id=%s data=%s", user, data)
            return Pressed(f"That failed: {e}"[:200], alert=True)
        event(log, logging.INFO, "button_pressed", user_id=user, data=data)
        return pressed

    async def _run(self, name: str, rest: str) -> str:
        known = self.commands.get(name)
        return await known[1](rest) if known else f"Unknown command /{name}. Try /status."

    def _hint(self, group: int) -> Callable[[str], Awaitable[None]]:
        async def hint(reason: str) -> None:
            self.replies.submit(group, "/in-private", _constant(IN_PRIVATE))

        return hint

    async def _send(self, chat: int, text: str) -> None:
        try:
            await self.app.bot.send_message(chat_id=chat, text=text)
        except TelegramError as e:
            raise _convert(str(chat), e) from e


async def _answer(query: CallbackQuery, pressed: Pressed) -> None:
    """answerCallbackQuery; a failure (the query too old) is logged, it cannot be retried."""
    try:
        await query.answer(text=pressed.answer[:200], show_alert=pressed.alert)
    except TelegramError as e:
        event(log, logging.WARNING, "press_not_answered", error=e.message)


def _constant(text: str) -> Callable[[], Awaitable[str]]:
    async def reply() -> str:
        return text

    return reply
