"""The store's side for several workers on one PostgreSQL database (``alerts.workers``): the
feeds of the config and their due polls, claims with leases, the stories other workers
committed, and a chat's unanswered sends.

A feed row carries ``next_due`` (when it may be polled next), ``poll_every`` (its interval in
the config; NULL once the config no longer lists it) and a lease (``lease_until``,
``lease_owner``). A claim is one statement: the due, unleased feeds are locked with ``FOR
UPDATE SKIP LOCKED`` (two workers claiming at once get disjoint rows, neither waits), leased
to the claimer and moved ``poll_every + lease`` ahead, so a claimer that dies leaves the feed
to the others only once both its interval and its lease are over: never polled twice within
an interval, taken over within interval + lease + one claim tick. The trip's one write
(``update_feed``) ends the lease and sets the next due poll one interval after the write (or
at the feed's backoff, if later).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

from alerts.models import FeedUpdateIntent, StoryKey
from alerts.store.base import Backend
from alerts.store.connection import ts
from alerts.store.feeds import write_trip
from alerts.store.protocol import PENDING, RecentStory

_CLAIM = """
    UPDATE feeds SET lease_until = ? + ?, lease_owner = ?, next_due = ? + poll_every + ?
    WHERE url IN (
        SELECT url FROM feeds WHERE poll_every IS NOT NULL AND next_due <= ?
        AND (lease_until IS NULL OR lease_until < ?) AND gone = 0
        ORDER BY next_due LIMIT ? FOR UPDATE SKIP LOCKED
    ) RETURNING url
"""
_END_LEASE = (
    "UPDATE feeds SET lease_until = NULL, lease_owner = NULL,"
    " next_due = GREATEST(? + COALESCE(poll_every, 0), COALESCE(next_poll, 0)) WHERE url = ?"
)
_STORY = (
    "SELECT s.id, s.chat, s.title, s.link, s.feed_url, s.guid, s.alert_key, s.created_at,"
    " s.source, s.raw_title, s.lead FROM stories"
)


class ClusterMixin(Backend):
    """Claims, leases and the window's catching up, for ``alerts.workers``."""

    def sync_feeds(self, feeds: Sequence[tuple[str, float, float]]) -> None:
        """The config's feeds as (url, interval in seconds, first due poll): a new feed is
        due at its first poll, a known one keeps its due time and takes the interval; a feed
        the config no longer lists is never claimed again (its state stays)."""
        with self._tx() as db:
            db.executemany(
                "INSERT INTO feeds (url, poll_every, next_due) VALUES (?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET poll_every = excluded.poll_every,"
                " next_due = COALESCE(feeds.next_due, excluded.next_due)",
                list(feeds),
            )
            db.execute(
                "UPDATE feeds SET poll_every = NULL WHERE poll_every IS NOT NULL"
                " AND NOT (url = ANY(?))",
                ([url for url, _, _ in feeds],),
            )

    def claim_feeds(self, owner: str, limit: int, lease: float, now: datetime) -> list[str]:
        """Up to ``limit`` due feeds, leased to ``owner`` for ``lease`` seconds."""
        t = ts(now)
        with self._tx() as db:
            rows = db.execute(_CLAIM, (t, lease, owner, t, lease, t, t, limit)).fetchall()
        return [str(r[0]) for r in rows]

    def release_feeds(self, urls: Sequence[str], now: datetime, owner: str | None = None) -> int:
        """Claimed feeds this worker will not poll (stopping, or not in its config yet): the
        lease ends and they are due at once, for another worker; with ``owner``, only those
        still leased to it (a written trip ended its lease: its next poll stays an interval
        away). How many were released."""
        return self._write(
            "UPDATE feeds SET lease_until = NULL, lease_owner = NULL, next_due = ?"
            " WHERE url = ANY(?) AND (?::text IS NULL OR lease_owner = ?)",
            (ts(now), list(urls), owner, owner),
        )

    def update_feed(self, intent: FeedUpdateIntent, now: datetime) -> frozenset[str]:
        """The trip's one write (``feeds.write_trip``), which also ends its lease and sets
        its next due poll."""
        t = ts(now)
        with self._tx() as db:
            queued = write_trip(db, intent, t)
            db.execute(_END_LEASE, (time.time(), intent.feed_url))
        return queued

    def story_heads(self) -> dict[str, int]:
        """The newest story id of each chat."""
        return {str(c): int(i) for c, i in self._query(
            "SELECT chat, MAX(id) FROM stories GROUP BY chat")}  # fmt: skip

    def stories_after(self, heads: dict[str, int]) -> list[tuple[int, RecentStory]]:
        """The stories of each chat of ``heads`` committed after its head (a story id), by
        id. Within a chat, ids grow in commit order (its stories are written under its DEDUP
        lock), so what this returns, after what it returned before, is a prefix of the chat's
        stories: none is skipped."""
        rows = self._query(
            _STORY + " s JOIN unnest(?::text[], ?::bigint[]) AS h(chat, head)"
            " ON s.chat = h.chat AND s.id > h.head ORDER BY s.id",
            (list(heads), list(heads.values())),
        )
        return [(int(i), (str(c), StoryKey(str(t), str(lk), str(f), str(g), str(raw), str(lead)),
                          str(k or ""), float(at), str(s), None, None))
                for i, c, t, lk, f, g, k, at, s, raw, lead in rows]  # fmt: skip

    def log_unanswered_chat(self, chat: str, now: datetime) -> int:
        """Sends to ``chat`` begun by a drainer that died before their answer count for its
        pace at ``now`` (the new drainer holds the chat: no live send is among them)."""
        return self._write(
            "INSERT INTO send_log (chat, at) SELECT chat, ? FROM outbox"
            " WHERE status = ? AND chat = ? AND sending_at IS NOT NULL",
            (ts(now), PENDING, chat),
        )
