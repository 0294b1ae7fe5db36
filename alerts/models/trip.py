"""One trip for one feed: its one read before the fetch (``FeedForUpdate``), its one write
(``FeedUpdateIntent``, one store transaction) and what it did (``PollResult``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from alerts.models.delivery import Alert, Notice
from alerts.models.feed import FeedState, ItemContent
from alerts.models.held import Hold, Mute, MuteKind
from alerts.models.story import ClusterJoin, StoryKey, StoryVectors, WindowEntry

# What a trip did (``PollResult.status``): "ok" a changed body was recorded; "not_modified" a
# 304; "unchanged" the same body as last time; "failed" a fetch or parse error (backoff);
# "gone" a 410 (polling stops); "backoff" skipped, its next poll after failures is ahead;
# "error" our own fault (the store, or a bug), logged loudly.
TripStatus = Literal["ok", "not_modified", "unchanged", "failed", "gone", "backoff", "error"]
HealthChange = Literal["broken", "recovered", "gone"]


@dataclass(frozen=True, slots=True)
class FeedForUpdate:
    """What one trip reads of its feed, in one read before the fetch: the feed's state, the
    ids of the items already seen in it (kept for ``items.retention``), and the mutes stored
    (active or not: the trip's ``now`` decides)."""

    state: FeedState
    seen: frozenset[str] = frozenset()
    mutes: tuple[Mute, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedUpdateIntent:
    """Everything one trip writes, in one store transaction, whatever the trip's outcome.

    ``status`` says which feed columns change: a changed body ("ok") sets the validators, the
    hash, the seen items, the new stories (``window``) and the vectors computed for stories
    already in the window (``vectors``); "not_modified" and "unchanged" only refresh the
    validators and ``last_success``; "failed" and "gone" count the failure and set
    ``next_poll``. Health (``failing_since``, ``reported_broken``) and the operators' notices
    are written with it, the matches mutes held back (``held``, counted per mute), and what a
    backtest needs of every item that could alert (``contents``, in the order the trip judged
    them)."""

    feed_url: str
    status: TripStatus
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    seen_ids: tuple[str, ...] = ()
    alerts: tuple[tuple[Alert, StoryKey], ...] = ()
    joins: tuple[ClusterJoin, ...] = ()
    max_edits: int = 3
    error: str | None = None
    error_streak: int = 0
    next_poll: datetime | None = None
    failing_since: datetime | None = None
    reported_broken: bool = False
    notices: tuple[Notice, ...] = ()
    window: tuple[WindowEntry, ...] = ()
    vectors: tuple[StoryVectors, ...] = ()
    held: tuple[tuple[MuteKind, str], ...] = ()  # a muted match, by the mute that held it
    holds: tuple[tuple[str, Hold], ...] = ()  # alert key -> its hold (``alerts.digest``)
    contents: tuple[ItemContent, ...] = ()


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one trip for one feed did, for logs and for ``--once`` accounting."""

    feed_url: str
    status: TripStatus
    items: int = 0
    new_items: int = 0
    alerts: int = 0
    error: str | None = None
    health: HealthChange | None = None
    # For an observer (``alerts.observe``): the failure's kind, each suppressed duplicate's
    # dedup reason ("same link" ... "same meaning"), the seconds fetching and parsing took.
    failure: str | None = None
    duplicates: tuple[str, ...] = ()
    seconds: float | None = None
    muted: int = 0  # matches recorded as muted (``alerts.mutes``), not queued
