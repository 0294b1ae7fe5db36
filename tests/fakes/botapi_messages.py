"""The fake Bot API's messages: sendMessage, editMessageText and editMessageReplyMarkup as
Telegram checks them (text under its parse_mode, length, keyboards, not-modified, pacing), and
what a test reads and waits for of them."""

from __future__ import annotations

import time
from typing import cast

from tests.fakes import WAIT_SCALE
from tests.fakes.botapi_chats import _Chats
from tests.fakes.botapi_state import (
    MAX_TEXT_LENGTH,
    NOT_MODIFIED,
    SentMessage,
    _ApiError,
    _chat_for,
    _Stored,
    message_json,
)
from tests.fakes.forums import ForumError
from tests.fakes.keyboards import KeyboardError, Markup, parse_markup
from tests.fakes.telegram_html import Entity, parse_html, utf16_length


class _Messages(_Chats):
    """Sends and edits, and what was accepted of them."""

    @property
    def messages(self) -> list[SentMessage]:
        """Accepted sendMessage calls, in order (a copy)."""
        with self._lock:
            return list(self._messages)

    @property
    def edits(self) -> list[SentMessage]:
        """Accepted editMessageText calls, in order (a copy)."""
        with self._lock:
            return list(self._edits)

    def wait_for_messages(self, n: int, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until at least ``n`` messages were accepted; return all of them so far."""
        deadline = time.monotonic() + timeout * WAIT_SCALE
        with self._changed:
            while len(self._messages) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {n} messages within {timeout}s, got {len(self._messages)}"
                    )
                self._changed.wait(remaining)
            return list(self._messages)

    @property
    def markup_edits(self) -> list[SentMessage]:
        """Accepted editMessageReplyMarkup calls, in order (a copy)."""
        with self._lock:
            return list(self._markup_edits)

    def wait_for_chat(self, chat_id: str, n: int = 1, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until at least ``n`` messages went to ``chat_id``; return those."""
        deadline = time.monotonic() + timeout * WAIT_SCALE
        with self._changed:
            while True:
                mine = [m for m in self._messages if m.chat_id == chat_id]
                if len(mine) >= n:
                    return mine
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {n} messages to {chat_id}, got {len(mine)}")
                self._changed.wait(remaining)

    @staticmethod
    def _render(params: dict[str, str]) -> tuple[str, tuple[Entity, ...]]:
        """Validate ``text`` under ``parse_mode``; return plain text and entities."""
        text = params.get("text", "")
        mode = params.get("parse_mode", "").lower()
        if mode == "html":
            try:
                plain, entities = parse_html(text)
            except ValueError as exc:
                raise _ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        elif mode in ("", "markdown", "markdownv2"):
            plain, entities = text, ()
        else:
            raise _ApiError(400, "Bad Request: unsupported parse_mode")
        if not plain.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if utf16_length(plain) > MAX_TEXT_LENGTH:
            raise _ApiError(400, "Bad Request: message is too long")
        return plain, entities

    @staticmethod
    def _markup(params: dict[str, str]) -> Markup | None:
        """The validated reply_markup of a call, or raise 400."""
        try:
            return parse_markup(params.get("reply_markup"))
        except KeyboardError as exc:
            raise _ApiError(400, str(exc)) from None

    def _send_message(self, params: dict[str, str]) -> dict[str, object]:
        """Answer sendMessage."""
        chat_id = params.get("chat_id", "")
        if not chat_id:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        _chat_for(chat_id)
        plain, entities = self._render(params)
        markup = self._markup(params)
        with self._lock:
            chat = self._chat(chat_id)
            try:
                thread = self._forums.thread_of(chat["id"], params.get("message_thread_id"))
            except ForumError as exc:
                raise _ApiError(400, str(exc)) from None
            now = time.monotonic()
            self._check_rate(chat_id, now)  # by chat: topics share their chat's pace
            self._note_accepted(chat_id, now)
            message_id = self._next_id
            self._next_id += 1
            content = (plain, entities, markup)
            stored = _Stored(chat, plain, entities, content, int(time.time()), thread, markup)
            self._stored[(chat["id"], message_id)] = stored
            sent = SentMessage(
                message_id, chat_id, params.get("text", ""), dict(params), thread, markup
            )
            self._messages.append(sent)
            self._changed.notify_all()
            listener = self._listener
        if listener is not None:
            listener("sendMessage", sent)
        return message_json(message_id, stored, edited=False)

    @staticmethod
    def _target(params: dict[str, str]) -> tuple[str, object, int]:
        """The chat_id, chat key and message_id an edit addresses, or raise 400."""
        if params.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: message to edit not found")
        chat_id = params.get("chat_id", "")
        if not chat_id:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if not params.get("message_id"):
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        key = _chat_for(chat_id)["id"]
        try:
            return chat_id, key, int(params["message_id"])
        except ValueError:
            raise _ApiError(400, "Bad Request: message to edit not found") from None

    def _edit_message_text(self, params: dict[str, str]) -> dict[str, object]:
        """Answer editMessageText. Telegram's rule: an edit without ``reply_markup`` removes
        the message's inline keyboard, so a bot that keeps buttons sends them on every edit."""
        target = self._target(params)
        plain, entities = self._render(params)
        content = (plain, entities, self._markup(params))
        return self._apply_edit("editMessageText", params, target, content)

    def _edit_reply_markup(self, params: dict[str, str]) -> dict[str, object]:
        """Answer editMessageReplyMarkup: the buttons alone change (none: removed)."""
        target = self._target(params)
        markup = self._markup(params)
        with self._lock:
            stored = self._stored.get((target[1], target[2]))
            if stored is None:
                raise _ApiError(400, "Bad Request: message to edit not found")
            content = (stored.content[0], stored.content[1], markup)
        return self._apply_edit("editMessageReplyMarkup", params, target, content)

    def _apply_edit(
        self,
        method: str,
        params: dict[str, str],
        target: tuple[str, object, int],
        content: tuple[object, ...],
    ) -> dict[str, object]:
        """Replace a stored message's content, or refuse: gone, not modified, or paced."""
        chat_id, key, message_id = target
        plain, entities, markup = content
        with self._lock:
            stored = self._stored.get((key, message_id))
            if stored is None:
                raise _ApiError(400, "Bad Request: message to edit not found")
            if stored.content == content:
                raise _ApiError(400, NOT_MODIFIED)
            now = time.monotonic()
            self._check_rate(chat_id, now)
            self._note_accepted(chat_id, now)
            stored.text, stored.entities = cast(str, plain), cast(tuple[Entity, ...], entities)
            stored.content, stored.markup = content, cast(Markup | None, markup)
            edit = SentMessage(
                message_id, chat_id, params.get("text", ""), dict(params), stored.thread,
                stored.markup,
            )  # fmt: skip
            (self._edits if method == "editMessageText" else self._markup_edits).append(edit)
            self._changed.notify_all()
            listener = self._listener
        if listener is not None:
            listener(method, edit)
        return message_json(message_id, stored, edited=True)
