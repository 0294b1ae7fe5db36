"""The fake Bot API's state: the messages it keeps, the faults and failures queued for it, the
Chat object of a chat id, and the attributes every part of the fake shares (``_FakeState``)."""

from __future__ import annotations

import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.fakes import WAIT_SCALE
from tests.fakes.forums import Forums
from tests.fakes.keyboards import CallbackBook, Markup
from tests.fakes.telegram_html import Entity

if TYPE_CHECKING:
    from tests.fakes.botapi_wire import _Server

MAX_TEXT_LENGTH = 4096
# Telegram keeps a callback query answerable for about 15 s; stretched by WAIT_SCALE so a bot
# on a loaded test machine is not refused for being slow (tests of expiry pass their own).
CALLBACK_TIMEOUT = 15.0 * WAIT_SCALE
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


@dataclass
class SentMessage:
    """One accepted sendMessage, editMessageText or editMessageReplyMarkup call.

    ``thread_id`` is the forum topic of the message (None: General, or no forum); an edit
    carries its message's topic. ``reply_markup`` is the keyboard the message has after the
    call (None: no keyboard)."""

    message_id: int
    chat_id: str
    text: str
    params: dict[str, str] = field(default_factory=dict)
    thread_id: int | None = None
    reply_markup: Markup | None = None


@dataclass
class _Stored:
    """The server's copy of a sent message."""

    chat: dict[str, object]
    text: str
    entities: tuple[Entity, ...]
    content: tuple[object, ...]
    date: int
    thread: int | None = None
    markup: Markup | None = None


_NO_RESULT = object()


@dataclass
class _Fault:
    """A queued fault of the transport, applied after the call was processed as usual."""

    hold: float = 0.0  # seconds before the answer goes back
    reset: bool = False  # a TCP reset instead of the answer
    result: object = _NO_RESULT  # answer {"ok": true, "result": this} instead


@dataclass
class _Failure:
    """A queued failure answer."""

    status: int
    description: str
    parameters: dict[str, object] | None
    times: int


class _ApiError(Exception):
    """An error answer to send back."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, object] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, object]:
        """Return the JSON error body."""
        out: dict[str, object] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def _chat_for(chat_id: str) -> dict[str, object]:
    """Return the Chat object for a chat_id, or raise 400 chat not found."""
    if chat_id.startswith("@"):
        name = chat_id[1:]
        if not name or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
            raise _ApiError(400, "Bad Request: chat not found")
        fake_id = -(10**12 + zlib.crc32(name.lower().encode("ascii")))
        return {"id": fake_id, "type": "channel", "title": name, "username": name}
    try:
        numeric = int(chat_id)
    except ValueError:
        raise _ApiError(400, "Bad Request: chat not found") from None
    if numeric == 0:
        raise _ApiError(400, "Bad Request: chat not found")
    return {"id": numeric, "type": "channel", "title": f"Channel {numeric}"}


def message_json(message_id: int, stored: _Stored, edited: bool) -> dict[str, object]:
    """Build a Message object."""
    out: dict[str, object] = {
        "message_id": message_id,
        "date": stored.date,
        "chat": dict(stored.chat),
        "text": stored.text,
    }
    if stored.thread is not None:
        out["message_thread_id"] = stored.thread
        out["is_topic_message"] = True
    if stored.entities:
        out["entities"] = [e.to_json() for e in stored.entities]
    if stored.markup is not None and "inline_keyboard" in stored.markup:
        out["reply_markup"] = stored.markup
    if edited:
        out["edit_date"] = int(time.time())
    return out


class _FakeState:
    """What every part of the fake shares, all behind ``_lock`` (``_changed`` notifies waiters)."""

    def __init__(
        self,
        token: str = "123:ABC",
        per_chat_per_minute: int | None = None,
        global_per_second: int | None = None,
        callback_timeout: float = CALLBACK_TIMEOUT,
    ) -> None:
        """Configure the fake; call start() (or use ``with``) to serve. A callback query
        not answered within ``callback_timeout`` seconds of its press can no longer be."""
        for limit in (per_chat_per_minute, global_per_second):
            if limit is not None and limit < 1:
                raise ValueError("rate limits must be >= 1 or None")
        self.token = token
        self.per_chat_per_minute = per_chat_per_minute
        self.global_per_second = global_per_second
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._messages: list[SentMessage] = []
        self._edits: list[SentMessage] = []
        self._calls: list[tuple[str, dict[str, str]]] = []
        self._count_429 = 0
        self._failures: dict[str, deque[_Failure]] = {}
        self._down = False
        self._next_id = 1
        self._stored: dict[tuple[object, int], _Stored] = {}
        self._chat_windows: dict[str, deque[float]] = {}
        self._global_window: deque[float] = deque()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._bind_port = 0
        self._listener: Callable[[str, SentMessage], None] | None = None
        self._updates: list[dict[str, object]] = []
        self._next_update = 1
        self._delays: dict[str, deque[float]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._closing = threading.Event()
        self._refusing = False
        self._forums = Forums()
        self._book = CallbackBook(callback_timeout)
        self._markup_edits: list[SentMessage] = []
        self._allowed_updates: frozenset[str] | None = None  # None: every kind

    # ----------------------------------------------------------------- lifecycle
