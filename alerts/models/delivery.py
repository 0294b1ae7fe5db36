"""What the outbox holds and the courier delivers: a rendered alert, an operator's notice, and
an outbox entry with its delivery status."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from alerts.target import Target, split_destination


@dataclass(frozen=True, slots=True)
class Alert:
    """A rendered message for one destination; ``key`` makes its delivery idempotent.
    ``chat`` is the destination as configured, ``CHAT`` or ``CHAT/TOPIC`` (a forum topic)."""

    key: str
    chat: str
    rule: str
    title: str
    link: str
    text: str
    disable_notification: bool = False
    link_preview: bool = False
    source: str = ""

    @property
    def target(self) -> Target:
        """``chat`` in its parts: Telegram's chat id and the forum topic (``alerts.target``)."""
        return split_destination(self.chat)


class DeliveryStatus(StrEnum):
    """Where an outbox entry stands; each value is the text the store keeps."""

    PENDING = "pending"  # waiting for delivery (or for its retry)
    SENT = "sent"  # Telegram returned its message id
    FAILED = "failed"  # refused for good, kept with its reason for an operator to re-drive
    HELD = "held"  # a match waiting for its digest (``alerts.digest``), not for the courier
    DIGESTED = "digested"  # a held match listed in a digest message (queued as its own entry)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An alert as the store holds it, waiting for or done with delivery; ``sources`` are the
    other sources that carried the story (shown as "Also: ...")."""

    id: int
    alert: Alert
    status: DeliveryStatus
    attempts: int = 0
    last_error: str | None = None
    sources: tuple[str, ...] = ()
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to one operator (``telegram.admins``), queued in the outbox like an alert;
    ``key`` makes it once-only, across restarts too."""

    key: str
    chat: str
    title: str
    text: str
