"""Forum supergroups and their topics as the fake Bot API models them.

Rules, from core.telegram.org/bots/api (sendMessage ``message_thread_id``, forum topics):
- A message to a forum without ``message_thread_id`` goes to the General topic.
- ``message_thread_id`` names a live topic of a forum; a deleted or unknown topic, or a thread
  id on a chat that is no forum, answers 400 "Bad Request: message thread not found".
- Deleting a topic deletes its messages: their edits answer "message to edit not found".
- Edits address a message by chat and message id; the message keeps its topic.
- Topics share their supergroup's limits (the fake's pace counts by chat, never by topic).
"""

from __future__ import annotations

__all__ = ["THREAD_NOT_FOUND", "ForumError", "Forums"]

THREAD_NOT_FOUND = "Bad Request: message thread not found"


class ForumError(ValueError):
    """A refused ``message_thread_id``; ``args[0]`` is the Bot API's description."""


class Forums:
    """Which chats are forums and which of their topics are live (the caller locks)."""

    def __init__(self) -> None:
        self._topics: dict[object, set[int]] = {}  # chat id -> live topic ids

    def make_forum(self, chat_key: object, topics: list[int]) -> None:
        """Turn a chat into a forum with these topics (added to any it has)."""
        if any(not isinstance(t, int) or t <= 0 for t in topics):
            raise ValueError("topic ids are positive integers")
        self._topics.setdefault(chat_key, set()).update(topics)

    def delete_topic(self, chat_key: object, topic: int) -> None:
        """Delete a topic of a forum (KeyError if the chat has no such topic)."""
        self._topics[chat_key].remove(topic)

    def is_forum(self, chat_key: object) -> bool:
        """Whether the chat is a forum supergroup."""
        return chat_key in self._topics

    def thread_of(self, chat_key: object, raw: str | None) -> int | None:
        """The topic a send goes to (None: General or no forum), or raise ForumError."""
        if raw is None or raw == "":
            return None
        try:
            topic = int(raw)
        except ValueError:
            raise ForumError(THREAD_NOT_FOUND) from None
        if topic not in self._topics.get(chat_key, set()):
            raise ForumError(THREAD_NOT_FOUND)
        return topic
