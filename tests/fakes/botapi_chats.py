"""The fake Bot API's chats and pacing: forums and their topics, the messages of a topic, the
Chat object a forum answers with, and Telegram's rate limits (per chat a minute, global a
second)."""

from __future__ import annotations

import math
import time
from collections import deque

from tests.fakes import WAIT_SCALE
from tests.fakes.botapi_state import SentMessage, _ApiError, _chat_for, _FakeState
from tests.fakes.keyboards import Markup


class _Chats(_FakeState):
    """Forums, topics and pacing."""

    def topic_messages(self, chat_id: str | int, topic: int | None) -> list[SentMessage]:
        """Accepted sends to one topic of a chat (None: its General topic), in order."""
        key = _chat_for(str(chat_id))["id"]
        with self._lock:
            return [
                m
                for m in self._messages
                if m.thread_id == topic and _chat_for(m.chat_id)["id"] == key
            ]

    def wait_for_topic(
        self, chat_id: str | int, topic: int | None, n: int = 1, timeout: float = 10.0
    ) -> list[SentMessage]:
        """Wait until at least ``n`` messages went to ``topic`` of ``chat_id``; return those."""
        deadline = time.monotonic() + timeout * WAIT_SCALE
        while len(mine := self.topic_messages(chat_id, topic)) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"expected {n} messages in {chat_id}/{topic}, got {len(mine)}")
            with self._changed:
                self._changed.wait(min(remaining, 0.2))
        return mine

    def keyboard(self, chat_id: str | int, message_id: int) -> Markup | None:
        """The reply_markup a stored message has now (None: none; KeyError: no message)."""
        with self._lock:
            return self._stored[(_chat_for(str(chat_id))["id"], message_id)].markup

    def make_forum(self, chat_id: str | int, topics: list[int]) -> None:
        """Make ``chat_id`` a forum supergroup with these topic ids (more may be added)."""
        with self._lock:
            self._forums.make_forum(_chat_for(str(chat_id))["id"], topics)

    def delete_topic(self, chat_id: str | int, topic: int) -> None:
        """Delete a forum topic and its messages: sends to it, and edits of its messages,
        are refused from now on."""
        key = _chat_for(str(chat_id))["id"]
        with self._lock:
            self._forums.delete_topic(key, topic)
            for stored_key, stored in list(self._stored.items()):
                if stored_key[0] == key and stored.thread == topic:
                    del self._stored[stored_key]

    def _check_rate(self, chat_id: str, now: float) -> None:
        """Raise 429 if accepting one more message for ``chat_id`` breaks a limit (locked)."""
        waits: list[float] = []
        if self.per_chat_per_minute is not None:
            window = self._chat_windows.setdefault(chat_id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= self.per_chat_per_minute:
                waits.append(window[0] + 60.0 - now)
        if self.global_per_second is not None:
            window = self._global_window
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= self.global_per_second:
                waits.append(window[0] + 1.0 - now)
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise _ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )

    def _note_accepted(self, chat_id: str, now: float) -> None:
        """Count an accepted message in the rate windows (locked)."""
        if self.per_chat_per_minute is not None:
            self._chat_windows.setdefault(chat_id, deque()).append(now)
        if self.global_per_second is not None:
            self._global_window.append(now)

    def _chat(self, chat_id: str) -> dict[str, object]:
        """The Chat object of ``chat_id``: a forum is a supergroup (locked)."""
        chat = _chat_for(chat_id)
        if self._forums.is_forum(chat["id"]):
            chat.update(type="supergroup", is_forum=True)
        return chat
