"""What any store backend offers, by side and topic: the Protocol a second backend (PostgreSQL)
implements and the store tests are written against, with the values it takes and the names
every backend shares.

Contract, for every backend and method: times are aware datetimes (UTC) in and out; each write
method is one transaction, all of it or none of it; any failure of the database is raised as
``StoreError``, never as the driver's own error. Callers keep using ``alerts.store.Store``.

Not in the Protocol, because they are about the SQLite file, not a store: ``Store.in_use(path)``
(the lock file, asked before opening; ``factory.in_use`` asks any backend) and
``Store.backup_to(path)`` (``state backup``; ``transfer`` copies any backend's state).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from alerts.models import (
    Alert,
    DeliveryStatus,
    FeedForUpdate,
    FeedState,
    FeedUpdateIntent,
    HeldAlert,
    Mute,
    MuteButton,
    MuteKind,
    Notice,
    OutboxEntry,
    StoryKey,
    StoryVectors,
    Vector,
)

PENDING, SENT, FAILED = DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.FAILED
HELD, DIGESTED = DeliveryStatus.HELD, DeliveryStatus.DIGESTED
STARTED_KEY, PAUSED_KEY = "started_at", "paused"  # meta keys
NOTICE_RULE = "(operator notice)"  # the rule of outbox rows that are notices to admins
# A story of the window as stored: chat, key, alert key, time (UNIX seconds), source, and the
# vectors of its title and lead (None until computed).
RecentStory = tuple[str, StoryKey, str, float, str, Vector | None, Vector | None]


class FeedStore(Protocol):
    """The poll side (pipeline, scheduler, status).

    a trip: feed_for_update (its one read), update_feed (its one write)
    feed state: feed_state, feed_states
    the window: recent_stories, save_vectors
    """

    def feed_for_update(self, url: str) -> FeedForUpdate:
        """A trip's one read: the feed's state and the item ids seen in it, one snapshot."""

    def update_feed(self, intent: FeedUpdateIntent, now: datetime) -> frozenset[str]:
        """A trip's one write, whatever its outcome; the keys of the alerts it queued."""

    def feed_state(self, url: str) -> FeedState:
        """What is known about a feed; a fresh state for one never polled."""

    def feed_states(self) -> list[FeedState]:
        """Every feed the store knows, by URL."""

    def recent_stories(self, since: datetime) -> Iterator[RecentStory]:
        """(chat, key, alert key, time, source, title vector, lead vector) of every story
        alerted since, streamed; a trip's ``update_feed`` writes a story's vectors with it
        (``FeedUpdateIntent.window``) or later (``FeedUpdateIntent.vectors``, ``save_vectors``)."""

    def save_vectors(self, vectors: Sequence[StoryVectors]) -> None:
        """Vectors computed after their stories' trip, in one transaction; a vector already
        stored is kept, and a story no longer stored is skipped."""


class OutboxStore(Protocol):
    """The delivery side (the courier).

    the queue: queue_notice, pending_chats, pending, in_doubt
    one send: mark_sending, mark_sent, mark_attempt, mark_doubt, mark_failed
    the pace: recent_sends, log_unanswered, pull_back_sends
    edits: sources, edit_chats, pending_edits, mark_edited
    chats: move_chat
    """

    def queue_notice(self, notice: Notice, now: datetime) -> bool:
        """An operator notice, delivered like an alert; a key is queued once, ever."""

    def pending_chats(self) -> list[str]:
        """Chats with alerts waiting, in order of their oldest alert."""

    def pending(self, chat: str | None = None, limit: int = 100) -> list[OutboxEntry]:
        """Alerts waiting for delivery, in order of discovery."""

    def in_doubt(self) -> list[OutboxEntry]:
        """Pending alerts whose send began but never finished."""

    def mark_sending(self, entry_id: int, now: datetime) -> None:
        """The send intent, written just before the call (the crash window starts here)."""

    def mark_sent(self, entry_id: int, message_id: int | None, now: datetime) -> None:
        """Telegram accepted the alert (the crash window ends with this commit)."""

    def mark_attempt(self, entry_id: int, error: str) -> None:
        """A transient failure: the alert stays pending."""

    def mark_doubt(self, entry_id: int, error: str, now: datetime) -> int:
        """A send with no readable answer, logged for the pace; the alert's doubts so far."""

    def mark_failed(self, entry_id: int, error: str) -> None:
        """A permanent failure: kept, with its reason, for an operator to re-drive."""

    def recent_sends(self, chat: str, since: datetime) -> list[float]:
        """When Telegram accepted messages to ``chat`` since ``since``, oldest first."""

    def log_unanswered(self, now: datetime) -> int:
        """Sends begun by a bot that died before their answer count for the pace at now."""

    def pull_back_sends(self, now: datetime) -> int:
        """Send times after ``now`` become ``now``; returns how many there were."""

    def sources(self, alert_key: str) -> tuple[str, ...]:
        """The other sources that carried an alerted story, in the order they came."""

    def edit_chats(self) -> list[str]:
        """Chats with messages waiting to be edited."""

    def pending_edits(self, chat: str) -> list[OutboxEntry]:
        """Sent alerts of a chat whose message must be edited to list new sources."""

    def mark_edited(self, entry_id: int, *, counted: bool = True) -> None:
        """The edit was made (or given up): clear the flag, count it and log the send."""

    def move_chat(self, old: str, new: str) -> None:
        """A group became a supergroup: its pending alerts and window follow it."""


class OperatorStore(Protocol):
    """The operators' side (status, commands, the command line) and upkeep.

    what status and metrics show: counts, failed, outbox_depth, sent_messages
    re-drive: redrive
    kept values: get_meta, set_meta
    retention: prune
    """

    def counts(self) -> dict[str, int]:
        """Alerts by delivery status (operator notices not counted)."""

    def failed(self, limit: int = 20) -> list[OutboxEntry]:
        """The newest alerts that Telegram refused, with their reasons."""

    def outbox_depth(self) -> dict[str, tuple[int, datetime]]:
        """Pending alerts per chat, with the time the oldest was queued (notices included)."""

    def sent_messages(self) -> list[tuple[str, int | None, str]]:
        """(chat, message_id, title) of every sent alert, oldest first."""

    def redrive(self) -> int:
        """Failed alerts become pending again; returns how many."""

    def get_meta(self, key: str) -> str | None:
        """A small value kept across runs (e.g. the paused flag)."""

    def set_meta(self, key: str, value: str | None) -> None:
        """Set (or with None, clear) a kept value."""

    def prune(self, now: datetime, retention: timedelta, window: timedelta) -> int:
        """Forget seen items and sent alerts past retention, and stories past the window."""


class MuteStore(Protocol):
    """Mutes and the buttons under alerts (``alerts.mutes``; a trip reads the mutes in
    ``feed_for_update`` and counts what they held in ``update_feed``).

    mutes: mutes, mute, unmute
    buttons: save_buttons, button, alert_of
    """

    def mutes(self) -> list[Mute]:
        """Every stored mute, soonest to end first (ended ones until they are pruned)."""

    def mute(self, mute: Mute, now: datetime) -> None:
        """Start (or replace) a mute; a muted story's waiting edit is dropped."""

    def unmute(self, kind: MuteKind, target: str) -> Mute | None:
        """End a mute; the mute as it was, or None if there was none."""

    def save_buttons(self, buttons: Sequence[MuteButton], now: datetime) -> None:
        """What each button does, under its id; a button already stored is kept."""

    def button(self, button_id: str) -> MuteButton | None:
        """What the button with this id does; None if unknown (or pruned)."""

    def alert_of(self, alert_key: str) -> OutboxEntry | None:
        """The outbox entry of an alert (a button's message), if it is still kept."""


class DigestStore(Protocol):
    """The digest side (``alerts.digest_send``); held matches are written by ``update_feed``.

    held: held_digests, held_alerts
    making a digest: roll_digest
    """

    def held_digests(self) -> list[tuple[str, str, datetime]]:
        """(chat, digest, time of its oldest match) of every digest with matches held."""

    def held_alerts(self, chat: str, digest: str) -> list[HeldAlert]:
        """The matches held for one digest of a chat, in order of discovery."""

    def roll_digest(self, held: Sequence[HeldAlert], parts: Sequence[Alert], now: datetime) -> bool:
        """The held matches become digested and the digest's parts are queued, in one
        transaction; False (nothing written) if any of them was not held any more."""


class StoreType(FeedStore, OutboxStore, OperatorStore, MuteStore, DigestStore, Protocol):
    """A whole store: the three sides and its life cycle.

    life cycle: check_file, close
    """

    def check_file(self) -> None:
        """Raise ``StoreError`` if the database is no longer the one opened (SQLite: the file
        was deleted or replaced; the service asks every few seconds, so it must be cheap)."""

    def close(self) -> None:
        """Release the database; safe to call twice."""
