"""Inline keyboards and callback queries as the fake Bot API checks and records them.

Rules, from core.telegram.org/bots/api (InlineKeyboardMarkup, InlineKeyboardButton,
answerCallbackQuery):
- ``reply_markup`` is a JSON object; an inline keyboard is ``{"inline_keyboard": [[button, ...],
  ...]}``, each button a non-empty ``text`` and exactly one action. Only ``callback_data`` (1 to
  64 BYTES of UTF-8) and ``url`` are modelled; bad data answers ``BUTTON_DATA_INVALID``.
- A callback query is answered once, within the query's timeout (Telegram keeps a query about
  15 s); an unknown, answered or expired id answers "query is too old and response timeout
  expired or query ID is invalid". ``text`` is 0 to 200 characters.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

__all__ = [
    "BUTTON_DATA_INVALID",
    "QUERY_INVALID",
    "CallbackAnswer",
    "CallbackBook",
    "KeyboardError",
    "parse_markup",
]

MAX_CALLBACK_DATA = 64  # bytes
MAX_ANSWER_TEXT = 200  # characters
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_MARKUP_JSON = "Bad Request: can't parse reply keyboard markup JSON object"
_NO_ACTION = (
    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
    "inline keyboard"
)
_ACTIONS = ("callback_data", "url")


class KeyboardError(ValueError):
    """A refused reply_markup or answer; ``args[0]`` is the Bot API's description."""


Markup = dict[str, object]


def parse_markup(raw: str | None) -> Markup | None:
    """The validated reply_markup of a call (None: no keyboard), or raise KeyboardError."""
    if raw is None or raw == "":
        return None
    try:
        markup = json.loads(raw)
    except ValueError:
        raise KeyboardError(_MARKUP_JSON) from None
    if not isinstance(markup, dict):
        raise KeyboardError(_MARKUP_JSON)
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup  # a reply keyboard or a removal: not modelled further
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise KeyboardError(
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array '
            "of Arrays"
        )
    for row in rows:
        for button in row:
            _check_button(button)
    return {"inline_keyboard": rows}


def _check_button(button: object) -> None:
    """One InlineKeyboardButton: text and exactly one modelled action."""
    if not isinstance(button, dict):
        raise KeyboardError("Bad Request: can't parse inline keyboard button: object expected")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise KeyboardError("Bad Request: can't parse inline keyboard button: Text is empty")
    actions = [key for key in _ACTIONS if key in button]
    if len(actions) != 1:
        raise KeyboardError(_NO_ACTION)
    if actions[0] == "callback_data":
        data = button["callback_data"]
        size = len(data.encode("utf-8")) if isinstance(data, str) else 0
        if not 1 <= size <= MAX_CALLBACK_DATA:
            raise KeyboardError(BUTTON_DATA_INVALID)
    elif not isinstance(button["url"], str) or not button["url"]:
        raise KeyboardError("Bad Request: BUTTON_URL_INVALID")


def callback_data_of(markup: Markup | None) -> list[str]:
    """Every callback_data on an inline keyboard, row by row."""
    rows = markup.get("inline_keyboard") if markup else None
    if not isinstance(rows, list):
        return []
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@dataclass(frozen=True)
class CallbackAnswer:
    """One accepted answerCallbackQuery."""

    query_id: str
    text: str | None
    show_alert: bool
    cache_time: int
    url: str | None


@dataclass
class _Query:
    """A callback query handed out by ``press``."""

    pressed_at: float  # monotonic
    user_id: int
    data: str
    answer: CallbackAnswer | None = None


class CallbackBook:
    """Callback queries pressed and their answers (the caller holds the fake's lock)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._queries: dict[str, _Query] = {}
        self._next = 1

    def open(self, user_id: int, data: str) -> str:
        """Record a press; return the new query id."""
        query_id = f"{9_000_000_000 + self._next}"
        self._next += 1
        self._queries[query_id] = _Query(time.monotonic(), user_id, data)
        return query_id

    def answer(self, params: dict[str, str]) -> CallbackAnswer:
        """Accept an answerCallbackQuery, or raise KeyboardError(QUERY_INVALID)."""
        query_id = params.get("callback_query_id", "")
        query = self._queries.get(query_id)
        if query is None or query.answer is not None:
            raise KeyboardError(QUERY_INVALID)
        if time.monotonic() - query.pressed_at > self.timeout:
            raise KeyboardError(QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(text) > MAX_ANSWER_TEXT:
            raise KeyboardError("Bad Request: MESSAGE_TOO_LONG")
        try:
            cache_time = int(params.get("cache_time", "0") or 0)
        except ValueError:
            raise KeyboardError("Bad Request: invalid cache_time") from None
        query.answer = CallbackAnswer(
            query_id,
            text,
            params.get("show_alert", "false").lower() == "true",
            cache_time,
            params.get("url"),
        )
        return query.answer

    def answers(self) -> list[CallbackAnswer]:
        """Accepted answers, in the order of their queries."""
        return [q.answer for q in self._queries.values() if q.answer is not None]

    def answer_for(self, query_id: str) -> CallbackAnswer | None:
        """The answer to one query, if it was answered."""
        query = self._queries.get(query_id)
        return query.answer if query else None

    def unanswered(self) -> list[str]:
        """Ids of queries never answered (expired or not), in press order."""
        return [qid for qid, q in self._queries.items() if q.answer is None]
