"""The operators' command listener: the admins' bot commands over long polling."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from alerts.delivery.telegram.bot import TelegramDestination, _convert
from alerts.ops.replies import Replies

log = logging.getLogger("alerts.delivery.telegram")


CommandHandler = Callable[[str], Awaitable[str]]
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
    """

    def __init__(
        self,
        destination: TelegramDestination,
        admins: Callable[[], list[int]],
        commands: dict[str, tuple[str, CommandHandler]],
    ) -> None:
        self.admins = admins
        self.commands = commands
        self.replies = Replies(self._send)
        # One scheduler for the work (APScheduler in alerts.scheduler): no PTB JobQueue here.
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().bot(destination.bot).job_queue(None).build()
        )
        self.app.add_handler(MessageHandler(filters.COMMAND, self._on_command))

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
            await self.app.updater.start_polling(timeout=10, allowed_updates=["message"])
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
        self.replies.submit(user.id, f"/{name} {rest}", lambda: self._run(name, rest), refused)

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


def _constant(text: str) -> Callable[[], Awaitable[str]]:
    async def reply() -> str:
        return text

    return reply
