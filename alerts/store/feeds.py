"""The poll side of the store, its SQL for every backend: one read and one write per trip, the
feed states that operators see, the recent stories the dedup window is loaded from, and their
vectors computed after their trip (``save_vectors``).

A trip reads its feed's state and seen ids in one read transaction (``feed_for_update``) and
writes everything it decided in one write transaction (``update_feed``): validators, seen
items (and what a backtest needs of those that could alert: ``store.history``), new stories
and their alerts, cluster joins, the failure count and health, the operators' notices, and the
matches mutes held back (the mutes are read with the state). A crash leaves all of a trip or
none: an item is never marked seen without its alert queued, and a feed's failure is never
counted without its notice.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from alerts.models import (
    Alert,
    ClusterJoin,
    FeedForUpdate,
    FeedState,
    FeedUpdateIntent,
    Hold,
    StoryKey,
    StoryVectors,
    Vector,
    WindowEntry,
)
from alerts.store.base import Backend, Db
from alerts.store.connection import dt, ts
from alerts.store.digests import hold_columns
from alerts.store.history import record_contents
from alerts.store.mutes import count_held, read_mutes, story_muted
from alerts.store.outbox import insert_notice
from alerts.store.protocol import SENT, RecentStory

_STATE_SQL = (
    "SELECT url, etag, last_modified, content_hash, error_streak, last_error, last_success,"
    " next_poll, gone, polled_before, failing_since, reported_broken FROM feeds"
)


class FeedsMixin(Backend):
    """The trip's read and write, feed states, and the window's stories."""

    def feed_for_update(self, url: str) -> FeedForUpdate:
        """The one read of a trip: the feed's state and the ids seen in it, one snapshot."""
        with self._read() as db:
            row = db.execute(_STATE_SQL + " WHERE url = ?", (url,)).fetchone()
            seen = db.execute("SELECT item_id FROM items WHERE feed_url = ?", (url,)).fetchall()
            mutes = read_mutes(db)
        state = _state(row) if row else FeedState(url=url)
        return FeedForUpdate(state, frozenset(str(r[0]) for r in seen), mutes)

    def update_feed(self, intent: FeedUpdateIntent, now: datetime) -> frozenset[str]:
        """The one write of a trip, whatever its outcome; returns the keys of the alerts it
        queued (an alert whose key is in the outbox already is not queued again)."""
        with self._tx() as db:
            return write_trip(db, intent, ts(now))

    def feed_state(self, url: str) -> FeedState:
        """What is known about a feed; a fresh state for one never polled."""
        rows = self._query(_STATE_SQL + " WHERE url = ?", (url,))
        return _state(rows[0]) if rows else FeedState(url=url)

    def feed_states(self) -> list[FeedState]:
        """Every feed the store knows."""
        return [_state(r) for r in self._query(_STATE_SQL + " ORDER BY url")]

    # ------------------------------------------------------------ the window's stories

    def recent_stories(self, since: datetime) -> Iterator[RecentStory]:
        """(chat, key, alert key, time, source, title vector, lead vector) of every story
        alerted since ``since`` (a vector None when never computed).

        Streamed, not fetched whole: a window of 100,000 stories is loaded without holding all
        its rows at once; the few distinct chats, feeds and sources are stored once each."""
        rows = self._stream(
            "SELECT chat, title, link, feed_url, guid, alert_key, created_at, source,"
            " raw_title, lead, title_vec, lead_vec FROM stories WHERE created_at >= ?"
            " ORDER BY id",
            (ts(since),),
        )
        for c, t, lk, f, g, k, at, s, raw, lead, tv, lv in rows:
            key = StoryKey(str(t), str(lk), sys.intern(str(f)), str(g), str(raw), str(lead))
            yield (sys.intern(str(c)), key, str(k or ""), float(at), sys.intern(str(s)),
                   _blob(tv), _blob(lv))  # fmt: skip

    def save_vectors(self, vectors: Sequence[StoryVectors]) -> None:
        """Vectors computed after their stories' trip (the background embedder), in one small
        transaction; a vector already stored is kept."""
        with self._tx() as db:
            _record_vectors(db, vectors)


def write_trip(db: Db, intent: FeedUpdateIntent, t: float) -> frozenset[str]:
    """Everything a trip decided, inside the caller's transaction; the keys it queued."""
    queued: frozenset[str] = frozenset()
    if intent.status == "ok":
        queued = _record_changed(db, intent, t)
    elif intent.status in ("failed", "gone"):
        _record_failed(db, intent, t)
    else:
        _record_unchanged(db, intent, t)
    for notice in intent.notices:
        insert_notice(db, notice, t)
    return queued


def _blob(value: object) -> Vector | None:
    return bytes(value) if isinstance(value, bytes | memoryview) and value else None


def _state(row: tuple[Any, ...]) -> FeedState:
    url, etag, lm, chash, streak, err, ok, nxt, gone, polled, since, reported = row
    return FeedState(
        url=str(url), etag=etag, last_modified=lm, content_hash=chash, error_streak=int(streak),
        last_error=err, last_success=dt(ok), next_poll=dt(nxt), gone=bool(gone),
        polled_before=bool(polled), failing_since=dt(since), reported_broken=bool(reported),
    )  # fmt: skip


def _record_changed(db: Db, intent: FeedUpdateIntent, t: float) -> frozenset[str]:
    """A new body: validators and hash, the seen items, the alerts and the cluster joins."""
    db.execute(
        "INSERT INTO feeds (url, etag, last_modified, content_hash, error_streak,"
        " last_error, last_success, next_poll, polled_before, failing_since, reported_broken)"
        " VALUES (?, ?, ?, ?, 0, ?, ?, NULL, 1, NULL, 0)"
        " ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
        " last_modified = excluded.last_modified, content_hash = excluded.content_hash,"
        " error_streak = 0, last_error = excluded.last_error,"
        " last_success = excluded.last_success,"
        " next_poll = NULL, polled_before = 1, failing_since = NULL, reported_broken = 0",
        (intent.feed_url, intent.etag, intent.last_modified, intent.content_hash, intent.error, t),
    )
    db.executemany(
        "INSERT INTO items (feed_url, item_id, seen_at) VALUES (?, ?, ?)"
        " ON CONFLICT (feed_url, item_id) DO UPDATE SET seen_at = excluded.seen_at",
        [(intent.feed_url, i, t) for i in intent.seen_ids],
    )
    stories = {w.alert_key: w for w in intent.window}
    holds = dict(intent.holds)
    queued = frozenset(
        a.key for a, k in intent.alerts
        if _queue_alert(db, a, k, stories.get(a.key), t, holds.get(a.key))
    )  # fmt: skip
    for join in intent.joins:
        _record_join(db, join, intent.max_edits, t)
    _record_vectors(db, intent.vectors)
    count_held(db, intent.held)
    record_contents(db, intent.feed_url, intent.contents, t)
    return queued


def _record_unchanged(db: Db, intent: FeedUpdateIntent, t: float) -> None:
    """A 304, or the same body as last time: the feed works; new validators, if any."""
    db.execute(
        "INSERT INTO feeds (url, last_success, polled_before, last_error) VALUES (?, ?, 1, ?)"
        " ON CONFLICT (url) DO UPDATE SET error_streak = 0, last_error = excluded.last_error,"
        " last_success = excluded.last_success, next_poll = NULL, failing_since = NULL,"
        " reported_broken = 0, etag = COALESCE(?, feeds.etag),"
        " last_modified = COALESCE(?, feeds.last_modified)",
        (intent.feed_url, t, intent.error, intent.etag, intent.last_modified),
    )


def _record_failed(db: Db, intent: FeedUpdateIntent, t: float) -> None:
    """One more failure: the streak, the error, the next try (none once gone), the health."""
    db.execute(
        "INSERT INTO feeds (url, error_streak, last_error, next_poll, gone, failing_since,"
        " reported_broken) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
        " error_streak = excluded.error_streak, last_error = excluded.last_error,"
        " next_poll = excluded.next_poll, gone = excluded.gone,"
        " failing_since = excluded.failing_since, reported_broken = excluded.reported_broken",
        (intent.feed_url, intent.error_streak, intent.error,
         ts(intent.next_poll) if intent.next_poll else None, int(intent.status == "gone"),
         ts(intent.failing_since) if intent.failing_since else t,
         int(intent.reported_broken)),
    )  # fmt: skip


def _queue_alert(db: Db, alert: Alert, key: StoryKey, story: WindowEntry | None,
                 t: float, hold: Hold | None = None) -> bool:  # fmt: skip
    """An alert into the outbox (pending, or held for a digest: ``store.digests``) and its story
    (with the vectors the trip computed for it) into the window; False if its key was queued."""
    target = alert.target  # the outbox keeps chat and forum topic apart
    cursor = db.execute(
        "INSERT INTO outbox (key, chat, topic, rule, title, link, text, silent,"
        " link_preview, source, created_at, status, held_for, cap_rule, published)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
        (alert.key, target.chat, target.topic, alert.rule, alert.title, alert.link, alert.text,
         int(alert.disable_notification), int(alert.link_preview), alert.source, t,
         *hold_columns(db, alert, hold)),
    )  # fmt: skip
    if not cursor.rowcount:
        return False
    db.execute(
        "INSERT INTO stories (chat, title, link, alert_key, created_at, feed_url, guid, source,"
        " raw_title, lead, title_vec, lead_vec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (alert.chat, key.title, key.link, alert.key, t, key.feed_url, key.guid, alert.source,
         key.raw_title, key.lead, story.title_vec if story else None,
         story.lead_vec if story else None),
    )  # fmt: skip
    return True


def _record_vectors(db: Db, vectors: Sequence[StoryVectors]) -> None:
    """Vectors computed for stories already in the window; one already stored is kept."""
    db.executemany(
        "UPDATE stories SET title_vec = COALESCE(title_vec, ?), lead_vec = COALESCE(lead_vec, ?)"
        " WHERE alert_key = ?",
        [(v.title_vec, v.lead_vec, v.alert_key) for v in vectors],
    )


def _record_join(db: Db, join: ClusterJoin, max_edits: int, t: float) -> None:
    """A new source for a story: if its message is out, queue one edit (within the cap and
    unless the story is muted)."""
    added = db.execute(
        "INSERT INTO cluster_sources (alert_key, source, feed_url, item_id, added_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (join.alert_key, join.source, join.feed_url, join.item_id, t),
    ).rowcount
    if added and not story_muted(db, join.alert_key, t):
        db.execute(
            "UPDATE outbox SET edit_pending = 1 WHERE key = ? AND status = ?"
            " AND message_id IS NOT NULL AND edits < ?",
            (join.alert_key, SENT, max_edits),
        )
