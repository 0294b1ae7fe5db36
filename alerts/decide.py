"""One trip's decisions, pure: from what was read and fetched to the one intent the store writes.

Like lemon24/reader's ``Decider``, nothing here touches the store, the network or the clock
(``now`` is given); the window of alerted stories is read, never changed (the pipeline adds
the entries the store committed). The policies decided here:

- **New items** (``alerts.select``): unseen, younger than ``items.max_age``, not a first sight;
  what is skipped is counted, and a feed whose unseen items are all too old gets a note.
- **Stories.** Rules first, then dedup per destination: an item that retells a story already
  alerted to a chat, or alerted earlier in this same trip, is not alerted there again; if it
  comes from another source it joins that story's cluster (also when no rule of that chat
  fires on it), and the sent message is edited to list the source (``dedup.max_edits``);
  ``alerts.stories`` does it, with the dedup verdict of ``alerts.dedup``.
- **Backoff.** A failure is any trip that did not get a feed in: the fetch or the parse failing,
  or an unexpected exception (a ``TripError``: a bug, ours or a library's), so that no fault of
  one feed repeats on every poll. After the n-th failure in a row a feed waits
  ``interval * 2**(n-1)``, capped at ``polling.backoff_max`` (the doubling is bounded before it is
  computed, so a streak of any length cannot overflow), or the server's Retry-After when longer
  (at most a day); it is never given up, except on 410 Gone, which stops its polling. A stored
  next try further ahead than that is a clock's error, not a backoff (:func:`waiting`).
- **Mutes** (``alerts.mutes``). A match of a muted rule or source is held: recorded and
  counted on its mute, not alerted.
- **Digests.** A match a rule or chat holds for a digest (``digest``, ``quiet``, a rule over
  its ``max_per_hour``) is written held instead of queued; ``alerts.digest`` states where each
  match goes. A held match is a story in the window like a sent one, so dedup applies across.
- **Health.** A feed failing for ``polling.broken_after`` is reported to the admins once, and
  once more when it works again; a 410 is reported at once (``message.notices``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.config import Config, FeedConfig
from alerts.dedup.embed_memo import Memo
from alerts.dedup.window import Entry, StoryWindow
from alerts.digest import route_all
from alerts.errors import FeedGone, FetchError, ParseError, TripError
from alerts.message.notices import health_notices
from alerts.models import (
    FeedForUpdate,
    FeedItem,
    FeedState,
    FeedUpdateIntent,
    FetchedFeed,
    HealthChange,
    ItemContent,
    Notice,
    StoryVectors,
    TripStatus,
)
from alerts.mutes import Muted
from alerts.rules import RuleSet
from alerts.select import NONE_SKIPPED, Selection, Skipped, kept_note, note
from alerts.select import select_new as select_new  # its home before alerts.select
from alerts.stories import Stories, Suppressed
from alerts.text.skeleton import skeleton

MAX_RETRY_AFTER = 86400.0  # seconds: a Retry-After beyond a day is taken as a day
_MAX_DOUBLINGS = 32  # 2**32 intervals is past any backoff_max; a larger power overflows timedelta


@dataclass(frozen=True, slots=True)
class Policy:
    """What decisions depend on besides the trip: settings, rules, the window (read only), and
    the embedder memoised by text (None: string-only), a deterministic function of its text."""

    config: Config
    rules: RuleSet
    window: StoryWindow
    memo: Memo | None = None

    def interval(self, feed: FeedConfig) -> timedelta:
        """How often this feed is polled."""
        return feed.interval or self.config.polling.interval


@dataclass(frozen=True, slots=True)
class Decision:
    """A trip's intent, what the log should say about it, and the window entries whose
    vectors the trip computed (set on them once the intent is committed)."""

    intent: FeedUpdateIntent
    items: int = 0
    new_items: int = 0
    suppressed: tuple[Suppressed, ...] = ()
    health: HealthChange | None = None
    vectored: tuple[tuple[Entry, StoryVectors], ...] = ()


def backoff(
    interval: timedelta, cap: timedelta, streak: int, retry_after: float | None
) -> timedelta:
    """Wait after the ``streak``-th consecutive failure: interval doubling, capped."""
    doublings = min(max(0, streak - 1), _MAX_DOUBLINGS)
    wait = min(interval * (1 << doublings), cap)
    if retry_after:
        wait = max(wait, timedelta(seconds=min(retry_after, MAX_RETRY_AFTER)))
    return wait


def waiting(state: FeedState, now: datetime, cap: timedelta) -> bool:
    """Whether a feed's backoff still holds it back; a ``next_poll`` beyond ``cap`` and a day
    (a clock that ran ahead, or jumped back since) is not trusted: the feed is polled now."""
    if state.next_poll is None or state.next_poll <= now:
        return False
    return state.next_poll - now <= max(cap, timedelta(seconds=MAX_RETRY_AFTER))


def health(
    state: FeedState, ok: bool, now: datetime, broken_after: timedelta
) -> tuple[HealthChange | None, datetime | None, bool]:
    """The change of a feed's health after a trip, with its new ``failing_since`` and
    ``reported_broken``; ``state`` is the feed as read before the trip."""
    if ok:
        return ("recovered" if state.reported_broken else None), None, False
    since = state.failing_since or now
    if state.reported_broken or now - since < broken_after:
        return None, since, state.reported_broken
    return "broken", since, True


def unchanged(policy: Policy, feed: FeedConfig, read: FeedForUpdate,
              fetched: FetchedFeed | None, now: datetime) -> Decision:  # fmt: skip
    """A 304 (``fetched`` None) or the same body as last time."""
    status: TripStatus = "not_modified" if fetched is None else "unchanged"
    change, notices = _recovery(policy, feed, read.state, now)
    intent = FeedUpdateIntent(
        feed.url, status,
        etag=fetched.etag if fetched else None,
        last_modified=fetched.last_modified if fetched else None,
        notices=notices, error=kept_note(read.state),
    )  # fmt: skip
    return Decision(intent, health=change)


FeedFailure = FetchError | ParseError | TripError


def failed(policy: Policy, feed: FeedConfig, read: FeedForUpdate,
           error: FeedFailure, now: datetime) -> Decision:  # fmt: skip
    """A fetch or parse error: one more failure, a backoff, maybe a notice."""
    gone = isinstance(error, FeedGone)
    retry_after = error.retry_after if isinstance(error, FetchError) else None
    streak = read.state.error_streak + 1
    polling = policy.config.polling
    wait = backoff(policy.interval(feed), polling.backoff_max, streak, retry_after)
    change, since, reported = health(read.state, False, now, polling.broken_after)
    after = FeedState(feed.url, error_streak=streak, last_error=error.reason)
    if gone:  # reported at once, and only once: its polling stops
        change, reported = "gone", read.state.reported_broken
    notices = () if change is None else health_notices(
        policy.config.telegram.admins, change, feed.url, feed.display_name, after,
        polling.broken_after, now)  # fmt: skip
    intent = FeedUpdateIntent(
        feed.url, "gone" if gone else "failed", error=error.reason, error_streak=streak,
        next_poll=None if gone else now + wait, failing_since=since, reported_broken=reported,
        notices=notices,
    )  # fmt: skip
    return Decision(intent, health=change)


def changed(policy: Policy, feed: FeedConfig, read: FeedForUpdate, fetched: FetchedFeed,
            digest: str, items: Sequence[FeedItem], fresh: Sequence[FeedItem],
            now: datetime, said: str | None = None) -> Decision:  # fmt: skip
    """A new body: record every item as seen; ``fresh`` (from :func:`select_new`) may alert;
    ``said`` is the feed's note for ``status`` (``alerts.select.note``)."""
    muted = Muted.of(read.mutes, now)  # a muted rule's or source's match is held, not queued
    stories = Stories(policy.config, policy.rules, policy.window, policy.memo, feed, now, muted)
    for item in fresh:
        stories.add(item)
    change, notices = _recovery(policy, feed, read.state, now)
    vectored = tuple(stories.window_vectors())
    # Held for a digest instead of queued, or counted against a cap (``alerts.digest``).
    alerts, holds = route_all(policy.config, stories.alerts, stories.matches, now)
    intent = FeedUpdateIntent(
        feed.url, "ok", etag=fetched.etag, last_modified=fetched.last_modified,
        content_hash=digest, seen_ids=tuple(dict.fromkeys(i.item_id for i in items)),
        alerts=alerts, holds=holds, joins=tuple(stories.joins),
        max_edits=policy.config.dedup.max_edits, window=tuple(stories.entries()),
        notices=notices, vectors=tuple(v for _, v in vectored), error=said,
        held=tuple(stories.held),
        contents=tuple(item_content(i) for i in fresh),
    )  # fmt: skip
    return Decision(intent, len(items), len(fresh), tuple(stories.suppressed), change, vectored)


def item_content(item: FeedItem) -> ItemContent:
    """What the store keeps of an item that could alert, for ``backtest``."""
    return ItemContent(item.item_id, item.title, item.link, item.published,
                       skeleton(item.content_html))  # fmt: skip


def _recovery(
    policy: Policy, feed: FeedConfig, state: FeedState, now: datetime
) -> tuple[HealthChange | None, tuple[Notice, ...]]:
    """A trip that worked: a feed reported broken is back."""
    change, _, _ = health(state, True, now, policy.config.polling.broken_after)
    if change is None:
        return None, ()
    return change, health_notices(policy.config.telegram.admins, change, feed.url,
                                  feed.display_name, state, policy.config.polling.broken_after,
                                  now)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Trip:
    """One trip after its read and its I/O, before anything is decided: a 304 (``fetched``
    None), the same body as last time (``digest`` equal to the stored hash), a failure
    (``error``), or a new body with its items and those that may alert (``fresh``)."""

    feed: FeedConfig
    read: FeedForUpdate
    now: datetime
    fetched: FetchedFeed | None = None
    digest: str = ""
    items: tuple[FeedItem, ...] = ()
    fresh: tuple[FeedItem, ...] = ()
    error: FeedFailure | None = None
    skipped: Skipped = NONE_SKIPPED  # the unseen items that may not alert (``alerts.select``)
    seconds: float | None = None  # how long its fetch and parse took (for an observer)


def decide(policy: Policy, trip: Trip) -> Decision:
    """The one intent of a trip, whatever its outcome."""
    if trip.error is not None:
        return failed(policy, trip.feed, trip.read, trip.error, trip.now)
    if trip.fetched is None or trip.digest == trip.read.state.content_hash:
        return unchanged(policy, trip.feed, trip.read, trip.fetched, trip.now)
    said = note(Selection(trip.fresh, trip.skipped), trip.read.state, policy.config.items.max_age)
    return changed(policy, trip.feed, trip.read, trip.fetched, trip.digest, trip.items,
                   trip.fresh, trip.now, said)  # fmt: skip
