"""The fake Bot API's updates: button presses (callback queries) and commands queued for the
bot's getUpdates, its ``allowed_updates``, and the answers to callback queries."""

from __future__ import annotations

import json
import time
import zlib

from tests.fakes import WAIT_SCALE
from tests.fakes.botapi_state import _ApiError, _chat_for, _FakeState, message_json
from tests.fakes.keyboards import CallbackAnswer, KeyboardError, callback_data_of


class _Updates(_FakeState):
    """Presses, commands, getUpdates and callback answers."""

    @property
    def answers(self) -> list[CallbackAnswer]:
        """Accepted answerCallbackQuery calls, in the order of their queries."""
        with self._lock:
            return self._book.answers()

    def answer_for(self, query_id: str) -> CallbackAnswer | None:
        """The answer to one callback query (None: not answered)."""
        with self._lock:
            return self._book.answer_for(query_id)

    def unanswered(self) -> list[str]:
        """Ids of the callback queries never answered, in press order."""
        with self._lock:
            return self._book.unanswered()

    def wait_for_answer(self, query_id: str, timeout: float = 10.0) -> CallbackAnswer:
        """Wait until the callback query ``query_id`` is answered; return the answer."""
        deadline = time.monotonic() + timeout * WAIT_SCALE
        with self._changed:
            while (answer := self._book.answer_for(query_id)) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"callback query {query_id} was not answered")
                self._changed.wait(remaining)
            return answer

    def press(
        self,
        chat_id: str | int,
        message_id: int,
        callback_data: str,
        user_id: int,
        *,
        check_button: bool = True,
    ) -> str:
        """Queue a ``callback_query`` Update: ``user_id`` pressed the button ``callback_data``
        of a stored message. Return the query id. With ``check_button``, the message must
        have that button now (LookupError otherwise), as a client only shows real buttons."""
        key = _chat_for(str(chat_id))["id"]
        with self._lock:
            stored = self._stored.get((key, message_id))
            if stored is None:
                raise LookupError(f"no message {message_id} in {chat_id}")
            if check_button and callback_data not in callback_data_of(stored.markup):
                raise LookupError(f"message {message_id} has no button {callback_data!r}")
            query_id = self._book.open(user_id, callback_data)
            self._queue_update({
                "callback_query": {
                    "id": query_id,
                    "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
                    "message": message_json(message_id, stored, edited=False),
                    "chat_instance": str(zlib.crc32(str(key).encode("ascii"))),
                    "data": callback_data,
                }
            })  # fmt: skip
        return query_id

    def _queue_update(self, update: dict[str, object]) -> None:
        """Append an update with the next update_id (locked)."""
        self._updates.append({"update_id": self._next_update, **update})
        self._next_update += 1
        self._changed.notify_all()

    def push_command(self, text: str, user_id: int, chat_id: int | None = None) -> None:
        """Queue a message from a user (a bot command) for the bot's getUpdates."""
        with self._lock:
            update_id = self._next_update
            self._next_update += 1
            chat = chat_id if chat_id is not None else user_id
            entities = (
                [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
                if text.startswith("/")
                else []
            )
            self._updates.append({
                "update_id": update_id,
                "message": {
                    "message_id": 10_000 + update_id,
                    "date": int(time.time()),
                    "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
                    "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
                    "text": text,
                    "entities": entities,
                },
            })  # fmt: skip
            self._changed.notify_all()

    def _get_updates(self, params: dict[str, str]) -> list[object]:
        """Answer getUpdates: queued updates from ``offset`` on, else nothing after a wait."""
        try:
            timeout = float(params.get("timeout", "0"))
            offset = int(params.get("offset", "0") or 0)
        except ValueError:
            timeout, offset = 0.0, 0
        with self._changed:
            self._set_allowed(params.get("allowed_updates"))
            self._updates = [u for u in self._updates if self._wanted(u, offset)]
            if not self._updates and timeout > 0:
                self._changed.wait(min(timeout, 0.2))
                self._updates = [u for u in self._updates if self._wanted(u, offset)]
            return list(self._updates)

    def _set_allowed(self, raw: str | None) -> None:
        """Keep the bot's ``allowed_updates`` (locked): like Telegram, a list given once holds
        for later calls without one; an empty list means every kind again."""
        if raw is None or raw == "":
            return
        try:
            kinds = json.loads(raw)
        except ValueError:
            raise _ApiError(400, "Bad Request: can't parse allowed updates") from None
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise _ApiError(400, "Bad Request: can't parse allowed updates")
        self._allowed_updates = frozenset(kinds) or None

    def _wanted(self, update: dict[str, object], offset: int) -> bool:
        """Whether a queued update is still to be handed out (locked): not confirmed by
        ``offset``, and of a kind the bot allows (the others are dropped, as Telegram does)."""
        if int(str(update["update_id"])) < offset:
            return False
        allowed = self._allowed_updates
        return allowed is None or any(kind in allowed for kind in update if kind != "update_id")

    def _answer_callback(self, params: dict[str, str]) -> bool:
        """Answer answerCallbackQuery: once per query, before it times out."""
        with self._lock:
            try:
                self._book.answer(params)
            except KeyboardError as exc:
                raise _ApiError(400, str(exc)) from None
            self._changed.notify_all()
        return True
