"""The poll side of the SQLite store: feed state, seen items, what one poll writes, feed health
and its notices, and the recent stories the dedup window is loaded from.

Everything one successful poll learns (validators, seen items, new stories and their alerts,
cluster joins) is one transaction, so an item is never marked seen without its alert queued.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from alerts.errors import StoreError
from alerts.models import Alert, ClusterJoin, FeedState, StoryKey
from alerts.store.connection import Connection, dt, ts
from alerts.store.protocol import NOTICE_RULE, SENT, PollRecord

_SEEN_CHUNK = 500  # ids per query: under SQLite's 999 bound parameters before 3.32


class FeedsMixin(Connection):
    """Feed state, seen items, poll writes, health, notices and recent stories."""

    def feed_state(self, url: str) -> FeedState:
        """What is known about a feed; a fresh state for one never polled."""
        rows = self._query(
            "SELECT etag, last_modified, content_hash, error_streak, last_error, last_success,"
            " next_poll, gone, polled_before FROM feeds WHERE url = ?",
            (url,),
        )
        if not rows:
            return FeedState(url=url)
        etag, lm, chash, streak, err, ok, nxt, gone, polled = rows[0]
        return FeedState(
            url=url,
            etag=etag,
            last_modified=lm,
            content_hash=chash,
            error_streak=int(streak),
            last_error=err,
            last_success=dt(ok),
            next_poll=dt(nxt),
            gone=bool(gone),
            polled_before=bool(polled),
        )

    def feed_states(self) -> list[FeedState]:
        """Every feed the store knows."""
        urls = [str(r[0]) for r in self._query("SELECT url FROM feeds ORDER BY url")]
        return [self.feed_state(u) for u in urls]

    def seen(self, feed_url: str, item_ids: Iterable[str]) -> set[str]:
        """Which of these item ids were already seen in this feed."""
        ids = list(dict.fromkeys(item_ids))
        found: set[str] = set()
        for start in range(0, len(ids), _SEEN_CHUNK):
            chunk = ids[start : start + _SEEN_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                f"SELECT item_id FROM items WHERE feed_url = ? AND item_id IN ({marks})",  # noqa: S608
                (feed_url, *chunk),
            )
            found.update(str(r[0]) for r in rows)
        return found

    # ------------------------------------------------------------ what a poll writes

    def record_poll(self, record: PollRecord, now: datetime) -> int:
        """Write one successful poll; returns the number of alerts queued."""
        t = ts(now)
        with self._tx() as db:
            _save_feed(db, record, t)
            db.executemany(
                "INSERT INTO items (feed_url, item_id, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO UPDATE SET seen_at = excluded.seen_at",
                [(record.feed_url, i, t) for i in record.seen_ids],
            )
            queued = sum(_queue_alert(db, alert, key, t) for alert, key in record.alerts)
            for join in record.joins:
                _record_join(db, join, record.max_edits, t)
        return queued

    def record_unchanged(
        self, url: str, now: datetime, etag: str | None = None, last_modified: str | None = None
    ) -> None:
        """A poll that found nothing new (304, or the same body as last time)."""
        self._write(
            "INSERT INTO feeds (url, last_success, polled_before) VALUES (?, ?, 1)"
            " ON CONFLICT (url) DO UPDATE SET error_streak = 0, last_error = NULL,"
            " last_success = excluded.last_success, next_poll = NULL,"
            " etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified)",
            (url, ts(now), etag, last_modified),
        )

    def record_failure(
        self,
        url: str,
        error: str,
        next_poll: datetime | None,
        *,
        gone: bool = False,
        now: datetime | None = None,
    ) -> int:
        """Count one more failure of a feed; returns its error streak."""
        began = ts(now or datetime.now(UTC))
        self._write(
            "INSERT INTO feeds (url, error_streak, last_error, next_poll, gone, failing_since)"
            " VALUES (?, 1, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
            " error_streak = error_streak + 1, last_error = excluded.last_error,"
            " next_poll = excluded.next_poll, gone = excluded.gone,"
            " failing_since = COALESCE(failing_since, excluded.failing_since)",
            (url, error, ts(next_poll) if next_poll else None, int(gone), began),
        )
        return int(self._query("SELECT error_streak FROM feeds WHERE url = ?", (url,))[0][0])

    # ------------------------------------------------------------ health and notices

    def health_change(
        self, url: str, ok: bool, now: datetime, broken_after: timedelta
    ) -> str | None:
        """``"broken"`` once a feed has failed for ``broken_after``, ``"recovered"`` when a
        feed reported broken works again, else None; each is returned once."""
        rows = self._query("SELECT failing_since, reported_broken FROM feeds WHERE url = ?", (url,))
        if not rows:
            return None
        since, reported = rows[0]
        # A healthy feed that was never failing, or a failing one not yet due, writes nothing:
        # this runs after every poll.
        if ok:
            if since is None and not reported:
                return None
            self._write(
                "UPDATE feeds SET failing_since = NULL, reported_broken = 0 WHERE url = ?", (url,)
            )
            return "recovered" if reported else None
        due = since is not None and ts(now) - since >= broken_after.total_seconds()
        if reported or not due:
            return None
        self._write("UPDATE feeds SET reported_broken = 1 WHERE url = ?", (url,))
        return "broken"

    def queue_notice(self, key: str, chat: str, title: str, text: str, now: datetime) -> bool:
        """An operator notice, delivered like an alert; a key is queued once, ever."""
        return bool(
            self._write(
                "INSERT INTO outbox (key, chat, rule, title, link, text, source, created_at)"
                " VALUES (?, ?, ?, ?, '', ?, 'bot', ?) ON CONFLICT (key) DO NOTHING",
                (key, chat, NOTICE_RULE, title, text, ts(now)),
            )
        )

    # ------------------------------------------------------------ the window's stories

    def recent_stories(self, since: datetime) -> Iterator[tuple[str, StoryKey, str, float, str]]:
        """(chat, key, alert key, time, source) of every story alerted since ``since``.

        Streamed, not fetched whole: a window of 100,000 stories is loaded without holding all
        its rows at once; the few distinct chats, feeds and sources are stored once each."""
        try:
            rows = self._db.execute(
                "SELECT chat, title, link, feed_url, guid, alert_key, created_at, source"
                " FROM stories WHERE created_at >= ? ORDER BY id",
                (ts(since),),
            )
            for c, t, lk, f, g, k, at, s in rows:
                key = StoryKey(str(t), str(lk), sys.intern(str(f)), str(g))
                yield sys.intern(str(c)), key, str(k or ""), float(at), sys.intern(str(s))
        except sqlite3.Error as e:
            raise StoreError(self.path, str(e)) from e


def _save_feed(db: sqlite3.Connection, record: PollRecord, t: float) -> None:
    """The feed's validators after a successful poll; its error streak ends."""
    db.execute(
        "INSERT INTO feeds (url, etag, last_modified, content_hash, error_streak,"
        " last_error, last_success, next_poll, polled_before)"
        " VALUES (?, ?, ?, ?, 0, NULL, ?, NULL, 1)"
        " ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
        " last_modified = excluded.last_modified, content_hash = excluded.content_hash,"
        " error_streak = 0, last_error = NULL, last_success = excluded.last_success,"
        " next_poll = NULL, polled_before = 1",
        (record.feed_url, record.etag, record.last_modified, record.content_hash, t),
    )


def _queue_alert(db: sqlite3.Connection, alert: Alert, key: StoryKey, t: float) -> bool:
    """An alert into the outbox and its story into the window; False if its key was queued."""
    cursor = db.execute(
        "INSERT INTO outbox (key, chat, rule, title, link, text, silent,"
        " link_preview, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (key) DO NOTHING",
        (alert.key, alert.chat, alert.rule, alert.title, alert.link, alert.text,
         int(alert.disable_notification), int(alert.link_preview), alert.source, t),
    )  # fmt: skip
    if not cursor.rowcount:
        return False
    db.execute(
        "INSERT INTO stories (chat, title, link, alert_key, created_at, feed_url,"
        " guid, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (alert.chat, key.title, key.link, alert.key, t, key.feed_url, key.guid, alert.source),
    )
    return True


def _record_join(db: sqlite3.Connection, join: ClusterJoin, max_edits: int, t: float) -> None:
    """A new source for a story: if its message is out, queue one edit (within the cap)."""
    added = db.execute(
        "INSERT INTO cluster_sources (alert_key, source, feed_url, item_id, added_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (join.alert_key, join.source, join.feed_url, join.item_id, t),
    ).rowcount
    if added:
        db.execute(
            "UPDATE outbox SET edit_pending = 1 WHERE key = ? AND status = ?"
            " AND message_id IS NOT NULL AND edits < ?",
            (join.alert_key, SENT, max_edits),
        )
