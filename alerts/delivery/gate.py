"""Who may drain a chat: the one process (``ALONE``: every chat is its courier's), or, for
workers on one database, the holder of the chat's lock (``alerts.workers.Cluster``)."""

from __future__ import annotations

from typing import Protocol


class Gate(Protocol):
    """Asked before a courier drains a chat, told when it is done."""

    def take(self, chat: str) -> bool:
        """Whether this courier may drain ``chat`` now (else another worker drains it)."""

    def give(self, chat: str) -> None:
        """Done draining ``chat``."""


class _Alone:
    """One process: every chat is its courier's."""

    def take(self, chat: str) -> bool:
        return True

    def give(self, chat: str) -> None:
        pass


ALONE: Gate = _Alone()
