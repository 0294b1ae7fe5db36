"""The Telegram destination: alerts sent and edited through the Bot API.

``TelegramDestination`` implements
``destination.Destination``, turning each Bot API error into the courier's ``NotifyError``
(table in ``shared/telegram-notes.md``), and into ``InDoubtError`` when the request reached
Telegram without a readable answer: it may have been posted. Nothing else leaves it, whatever
the library raises.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from alerts.errors import InDoubtError, InvalidTokenError, NotifyError
from alerts.logs import event
from alerts.models import Alert
from alerts.mutes import Keyboard
from alerts.tls import verified_context

# Specs: PTB 22 warns on every RetryAfter unless durations are timedeltas (PTB_TIMEDELTA).
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    ExtBot,
)
from telegram.request import HTTPXRequest

log = logging.getLogger("alerts.delivery.telegram")
T = TypeVar("T")
Keyboards = Callable[[Alert], Keyboard | None]  # the buttons under an alert (``ops.mutes``)


def markup_of(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """Our rows of buttons as PTB's inline keyboard."""
    if keyboard is None:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in keyboard]
    )


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long one Bot API request may take, by phase, in seconds.

    PTB's defaults (5 s) are shorter than Telegram's answers under load (8 s and more were
    seen), and a timed-out send may have been posted: each one costs an in-doubt retry. The
    read timeout is the wait for the answer; connect and pool failures happen before the
    request leaves, so they are safe to retry (``_convert``).
    """

    connect: float = 10.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 10.0


class TelegramDestination:
    """Sends through the Bot API (or a self-hosted server at ``base_url``).

    The destination is the boundary of the Telegram library: whatever PTB raises, even an
    exception it was not meant to raise, leaves as a ``NotifyError`` (``_convert``).
    ``keyboards``, when set, gives the buttons under an alert: sent with it, and sent again
    with every edit of its text, since an edit without ``reply_markup`` removes them (Specs:
    https://core.telegram.org/bots/api#editmessagetext).
    """

    def __init__(
        self, token: str, base_url: str | None = None, timeouts: Timeouts | None = None
    ) -> None:
        limits = timeouts or Timeouts()
        tls = {"verify": verified_context()}  # both clients: the process's one context
        # Specs: AIORateLimiter keeps 30 msg/s overall and 20/min per group or channel;
        # max_retries=0 because the courier handles 429s itself (it knows the deadline).
        self.bot: ExtBot[int] = ExtBot(
            token=token,
            base_url=(base_url or "https://api.telegram.org/bot").rstrip("/"),
            rate_limiter=AIORateLimiter(max_retries=0),
            request=HTTPXRequest(
                connect_timeout=limits.connect,
                read_timeout=limits.read,
                write_timeout=limits.write,
                pool_timeout=limits.pool,
                httpx_kwargs=tls,
            ),
            # PTB's own defaults for the long poll, save the TLS context it builds.
            get_updates_request=HTTPXRequest(httpx_kwargs=tls),
        )
        self._ready = False
        self.keyboards: Keyboards | None = None

    async def start(self) -> None:
        """Log in (getMe): a bad token fails here, not at the first alert."""
        await _guarded("getMe", self.bot.initialize())
        self._ready = True

    async def send(self, alert: Alert) -> int | None:
        """sendMessage in HTML parse mode (logging in first if Telegram was down at start), to
        the alert's forum topic if it names one."""
        if not self._ready:
            await self.start()
        target = alert.target
        message = await _guarded(
            alert.chat,
            self.bot.send_message(
                chat_id=target.chat,
                message_thread_id=target.topic,
                text=alert.text,
                parse_mode=ParseMode.HTML,
                disable_notification=alert.disable_notification,
                link_preview_options=LinkPreviewOptions(is_disabled=not alert.link_preview),
                reply_markup=self._markup(alert),
            ),
        )
        if not isinstance(message, Message):  # e.g. {"ok": true, "result": true}
            answer = repr(message)[:80]
            event(
                log, logging.ERROR, "telegram_unexpected_answer", chat_id=alert.chat, answer=answer
            )
            raise InDoubtError(alert.chat, f"the answer is not a message: {answer}")
        return message.message_id

    async def edit(self, alert: Alert, message_id: int, text: str) -> None:
        """editMessageText; "message is not modified" means it already says this: success.
        The message is addressed by chat and id; it stays in its forum topic."""
        if not self._ready:
            await self.start()
        try:
            await _guarded(
                alert.chat,
                self.bot.edit_message_text(
                    text=text,
                    chat_id=alert.target.chat,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=not alert.link_preview),
                    reply_markup=self._markup(alert),
                ),
            )
        except NotifyError as e:
            if not (e.permanent and "not modified" in e.reason.lower()):
                raise

    async def edit_buttons(self, chat: str, message_id: int, keyboard: Keyboard | None) -> None:
        """editMessageReplyMarkup: the buttons alone change; "not modified" is success."""
        try:
            await _guarded(
                chat,
                self.bot.edit_message_reply_markup(
                    chat_id=chat, message_id=message_id, reply_markup=markup_of(keyboard)
                ),
            )
        except NotifyError as e:
            if not (e.permanent and "not modified" in e.reason.lower()):
                raise

    def _markup(self, alert: Alert) -> InlineKeyboardMarkup | None:
        """The alert's buttons; if they cannot be had (the store failing), the alert goes
        without them rather than not at all."""
        if self.keyboards is None:
            return None
        try:
            return markup_of(self.keyboards(alert))
        except Exception as e:
            event(log, logging.ERROR, "keyboard_failed", chat_id=alert.chat, error=repr(e))
            return None

    async def admin_notice(self, admins: list[int], text: str) -> None:
        """A plain message to each admin's private chat; failures are only logged."""
        for admin in admins:
            try:
                await _guarded(str(admin), self.bot.send_message(chat_id=admin, text=text))
            except NotifyError as e:
                log.warning("admin_notice_failed chat_id=%s error=%s", admin, e.reason)

    async def close(self) -> None:
        """Close PTB's HTTP pool."""
        with contextlib.suppress(Exception):
            await self.bot.shutdown()


async def _guarded(chat: str, call: Awaitable[T]) -> T:
    """Await a PTB call; anything it raises becomes a ``NotifyError``. An exception that is
    not PTB's own (a bug, or an answer it cannot turn into objects) is logged with its
    traceback and treated as in doubt: the request may have been taken."""
    try:
        return await call
    except TelegramError as e:
        raise _convert(chat, e) from e
    except Exception as e:
        log.error("telegram_unexpected_error chat_id=%s error=%r", chat, e, exc_info=True)
        raise InDoubtError(chat, f"unexpected {type(e).__name__}: {e}") from e


# httpx's errors raised before a request is sent: it cannot have reached Telegram.
_NOT_SENT = frozenset({"ConnectError", "ConnectTimeout", "PoolTimeout"})


def _convert(chat: str, e: TelegramError) -> NotifyError:
    """The Bot API's answer as the courier's vocabulary; subclasses are tested first."""
    if isinstance(e, RetryAfter):
        wait = e.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return NotifyError(chat, e.message, retry_after=seconds)
    if isinstance(e, ChatMigrated):
        return NotifyError(chat, e.message, new_chat=str(e.new_chat_id))
    if isinstance(e, InvalidToken):
        return InvalidTokenError(chat, "Telegram rejected the bot token", permanent=True)
    if isinstance(e, Forbidden | BadRequest):
        return NotifyError(chat, e.message, permanent=True)
    reason = f"{type(e).__name__}: {e.message}"
    if isinstance(e, NetworkError) and _transport_failure(e):
        # PTB raises NetworkError for an HTTP error status too (5xx: Telegram answered, and
        # refused); a transport failure carries the HTTP client's exception as its cause.
        return NotifyError(chat, reason) if _before_sending(e) else InDoubtError(chat, reason)
    if type(e) is TelegramError:  # PTB's "Invalid server response": an answer we cannot read
        return InDoubtError(chat, reason)
    return NotifyError(chat, reason)


def _transport_failure(e: NetworkError) -> bool:
    cause = e.__cause__
    return cause is not None and not isinstance(cause, TelegramError)


def _before_sending(e: NetworkError) -> bool:
    """A failure to connect (refused, timed out, no free connection): nothing was sent."""
    assert e.__cause__ is not None
    return bool({k.__name__ for k in type(e.__cause__).__mro__} & _NOT_SENT)
