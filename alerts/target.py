"""Where a message goes: a chat, and optionally a forum topic of it; the one home of the form.

A destination is written ``CHAT`` or ``CHAT/TOPIC``: ``@channel``, ``-1001234567890``,
``-1001234567890/42`` or ``@supergroup/42``, where ``TOPIC`` is the forum topic's
``message_thread_id`` (a positive integer). The written form is the destination's identity
in the bot: rules are grouped by it, the dedup window is kept per destination, and an alert's
key names it, so two rules routed to two topics of one group each get their story. Telegram
only sees the parts: ``chat_id`` and ``message_thread_id``. A topic shares its chat's limits
(20 messages a minute per group), so pacing counts by ``Target.chat``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CHAT_FORMS", "Target", "bare_chat", "split_destination"]

_CHANNEL = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
_NUMERIC = re.compile(r"-?\d+")
CHAT_FORMS = "use @channelname or a numeric chat id"


@dataclass(frozen=True, slots=True)
class Target:
    """A destination: ``chat`` as Telegram addresses it, ``topic`` its thread (None: none)."""

    chat: str
    topic: int | None = None

    def __str__(self) -> str:
        """The written form, ``CHAT`` or ``CHAT/TOPIC``."""
        return self.chat if self.topic is None else f"{self.chat}/{self.topic}"

    @classmethod
    def parse(cls, text: str) -> Target:
        """A destination from its written form; ValueError (saying why) when it is none."""
        chat, slash, topic = text.strip().partition("/")
        chat = chat.strip()
        if not (_CHANNEL.fullmatch(chat) or _NUMERIC.fullmatch(chat)):
            raise ValueError(f"not a chat: {CHAT_FORMS}")
        if not slash:
            return cls(chat)
        topic = topic.strip()
        if not topic.isascii() or not topic.isdigit() or int(topic) <= 0:
            raise ValueError(
                f"the topic after '/' must be a positive integer (a forum topic's id), "
                f"not {topic!r}"
            )
        return cls(chat, int(topic))


def split_destination(destination: str) -> Target:
    """The parts of a destination already checked (the delivery path meets no other): unlike
    ``Target.parse`` it never refuses; text that names no topic is all chat."""
    chat, slash, topic = destination.partition("/")
    topic = topic.strip()
    if slash and topic.isascii() and topic.isdigit() and int(topic) > 0:
        return Target(chat.strip(), int(topic))
    return Target(destination)


def bare_chat(destination: str) -> str:
    """The chat of a destination, its topic dropped: what pace and drainers count by."""
    return split_destination(destination).chat
