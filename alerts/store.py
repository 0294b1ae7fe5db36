"""The SQLite store: feed state, seen items, the story window and the outbox of alerts.

One file, WAL mode (readers never block the writer), a versioned schema migrated on open
(``PRAGMA user_version``). Everything one poll of a feed learns (validators, seen items, new
stories and their alerts) is written in one transaction, so a crash leaves either all of it or
none: an item is never marked seen without its alert being queued. An alert is marked sent only
after Telegram returned its message id. Times are UNIX seconds (UTC).
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from alerts.errors import StoreError
from alerts.models import Alert, ClusterJoin, FeedState, OutboxEntry, StoryKey

_MIGRATIONS: list[str] = [
    """
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        etag TEXT, last_modified TEXT, content_hash TEXT,
        error_streak INTEGER NOT NULL DEFAULT 0, last_error TEXT,
        last_success REAL, next_poll REAL,
        gone INTEGER NOT NULL DEFAULT 0, polled_before INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE items (
        feed_url TEXT NOT NULL, item_id TEXT NOT NULL, seen_at REAL NOT NULL,
        PRIMARY KEY (feed_url, item_id)
    ) WITHOUT ROWID;
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY, chat TEXT NOT NULL, title TEXT NOT NULL, link TEXT NOT NULL,
        alert_key TEXT, created_at REAL NOT NULL
    );
    CREATE INDEX stories_chat_time ON stories (chat, created_at);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, chat TEXT NOT NULL,
        rule TEXT NOT NULL, title TEXT NOT NULL, link TEXT NOT NULL, text TEXT NOT NULL,
        silent INTEGER NOT NULL DEFAULT 0, link_preview INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT, message_id INTEGER, created_at REAL NOT NULL, sent_at REAL
    );
    CREATE INDEX outbox_status_chat ON outbox (status, chat, id);
    """,
    # 2: clusters. Stories remember their feed and guid (exact identity); an alert remembers
    # its source and how often its message was edited; other sources of a story are kept.
    """
    ALTER TABLE stories ADD COLUMN feed_url TEXT NOT NULL DEFAULT '';
    ALTER TABLE stories ADD COLUMN guid TEXT NOT NULL DEFAULT '';
    ALTER TABLE stories ADD COLUMN source TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN source TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN edit_pending INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outbox_edit_pending ON outbox (chat, id) WHERE edit_pending = 1;
    CREATE TABLE cluster_sources (
        alert_key TEXT NOT NULL, source TEXT NOT NULL, feed_url TEXT NOT NULL,
        item_id TEXT NOT NULL, added_at REAL NOT NULL,
        PRIMARY KEY (alert_key, source)
    ) WITHOUT ROWID;
    """,
    # 3: delivery. Every message Telegram accepted (sends and edits) is logged per chat, so the
    # pace of 20 a minute per channel holds across restarts; an alert records the moment its
    # send began, so a crash between Telegram's answer and our write can be told apart.
    """
    CREATE TABLE send_log (chat TEXT NOT NULL, at REAL NOT NULL);
    CREATE INDEX send_log_chat_at ON send_log (chat, at);
    ALTER TABLE outbox ADD COLUMN sending_at REAL;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 4: feed health. When a feed's failures began, and whether the admins were told.
    """
    ALTER TABLE feeds ADD COLUMN failing_since REAL;
    ALTER TABLE feeds ADD COLUMN reported_broken INTEGER NOT NULL DEFAULT 0;
    """,
]

SCHEMA_VERSION = len(_MIGRATIONS)
PENDING, SENT, FAILED = "pending", "sent", "failed"
STARTED_KEY, PAUSED_KEY = "started_at", "paused"  # meta keys
NOTICE_RULE = "(operator notice)"  # the rule of outbox rows that are notices to admins


def _ts(when: datetime) -> float:
    return when.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


@dataclass(frozen=True, slots=True)
class PollRecord:
    """Everything a successful poll of one feed writes, in one transaction."""

    feed_url: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    seen_ids: Sequence[str]
    alerts: Sequence[tuple[Alert, StoryKey]]
    joins: Sequence[ClusterJoin] = ()
    max_edits: int = 3


class Store:
    """The state file; one instance per process, used from one thread."""

    def __init__(self, path: str | Path, *, lock: bool = False) -> None:
        self.path = str(path)
        self._lock_file: IO[str] | None = self._take_lock() if lock else None
        try:
            new = not Path(self.path).exists()
            if new:
                # Specs: the state file holds chat ids and message text: owner-only (0600).
                Path(self.path).touch(mode=0o600)
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except (sqlite3.Error, OSError) as e:
            self._release_lock()
            raise StoreError(self.path, f"cannot open the state file: {e}") from e

    # ------------------------------------------------------------ life cycle

    def _take_lock(self) -> IO[str]:
        lock_path = self.path + ".lock"
        try:
            handle = Path(lock_path).open("a")  # noqa: SIM115  (held for the process's life)
        except OSError as e:
            raise StoreError(self.path, f"cannot create the lock file: {e}") from e
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            handle.close()
            raise StoreError(
                self.path, "another bot process is using this state file (stop it first)"
            ) from e
        return handle

    @staticmethod
    def in_use(path: str | Path) -> bool:
        """Whether a bot process holds the lock of this state file right now."""
        lock_path = Path(str(path) + ".lock")
        if not lock_path.exists():
            return False
        with lock_path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
        return False

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(_MIGRATIONS):
            raise StoreError(self.path, f"schema version {version} is newer than this bot")
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            with self._tx():
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        """Checkpoint and close; safe to call twice."""
        try:
            self._db.close()
        finally:
            self._release_lock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it or none of it, whatever fails (a full disk can fail
        the COMMIT itself, which would leave SQLite inside the transaction: roll it back)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise StoreError(self.path, str(e)) from e
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException as e:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):
                raise StoreError(self.path, str(e)) from e
            raise

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise StoreError(self.path, str(e)) from e

    def backup_to(self, path: str | Path) -> None:
        """A consistent copy of the state (for a dry run that must change nothing here)."""
        target = sqlite3.connect(str(path))
        try:
            self._db.backup(target)
        finally:
            target.close()

    # ------------------------------------------------------------ feeds

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
            last_success=_dt(ok),
            next_poll=_dt(nxt),
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
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                f"SELECT item_id FROM items WHERE feed_url = ? AND item_id IN ({marks})",  # noqa: S608
                (feed_url, *chunk),
            )
            found.update(str(r[0]) for r in rows)
        return found

    def record_poll(self, record: PollRecord, now: datetime) -> int:
        """Write one successful poll; returns the number of alerts queued."""
        t = _ts(now)
        queued = 0
        with self._tx() as db:
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
            db.executemany(
                "INSERT INTO items (feed_url, item_id, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO UPDATE SET seen_at = excluded.seen_at",
                [(record.feed_url, i, t) for i in record.seen_ids],
            )
            for alert, key in record.alerts:
                cursor = db.execute(
                    "INSERT INTO outbox (key, chat, rule, title, link, text, silent,"
                    " link_preview, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (key) DO NOTHING",
                    (
                        alert.key,
                        alert.chat,
                        alert.rule,
                        alert.title,
                        alert.link,
                        alert.text,
                        int(alert.disable_notification),
                        int(alert.link_preview),
                        alert.source,
                        t,
                    ),
                )
                if cursor.rowcount:
                    queued += 1
                    db.execute(
                        "INSERT INTO stories (chat, title, link, alert_key, created_at, feed_url,"
                        " guid, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            alert.chat,
                            key.title,
                            key.link,
                            alert.key,
                            t,
                            key.feed_url,
                            key.guid,
                            alert.source,
                        ),
                    )
            for join in record.joins:
                _record_join(db, join, record.max_edits, t)
        return queued

    def record_unchanged(
        self, url: str, now: datetime, etag: str | None = None, last_modified: str | None = None
    ) -> None:
        """A poll that found nothing new (304, or the same body as last time)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO feeds (url, last_success, polled_before) VALUES (?, ?, 1)"
                " ON CONFLICT (url) DO UPDATE SET error_streak = 0, last_error = NULL,"
                " last_success = excluded.last_success, next_poll = NULL,"
                " etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified)",
                (url, _ts(now), etag, last_modified),
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
        began = _ts(now or datetime.now(UTC))
        with self._tx() as db:
            db.execute(
                "INSERT INTO feeds (url, error_streak, last_error, next_poll, gone, failing_since)"
                " VALUES (?, 1, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
                " error_streak = error_streak + 1, last_error = excluded.last_error,"
                " next_poll = excluded.next_poll, gone = excluded.gone,"
                " failing_since = COALESCE(failing_since, excluded.failing_since)",
                (url, error, _ts(next_poll) if next_poll else None, int(gone), began),
            )
        return int(self._query("SELECT error_streak FROM feeds WHERE url = ?", (url,))[0][0])

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
        if ok and since is None and not reported:
            return None
        due = since is not None and _ts(now) - since >= broken_after.total_seconds()
        if not ok and (reported or not due):
            return None
        with self._tx() as db:
            if ok:
                db.execute(
                    "UPDATE feeds SET failing_since = NULL, reported_broken = 0 WHERE url = ?",
                    (url,),
                )
                return "recovered" if reported else None
            db.execute("UPDATE feeds SET reported_broken = 1 WHERE url = ?", (url,))
        return "broken"

    def queue_notice(self, key: str, chat: str, title: str, text: str, now: datetime) -> bool:
        """An operator notice, delivered like an alert; a key is queued once, ever."""
        with self._tx() as db:
            return bool(
                db.execute(
                    "INSERT INTO outbox (key, chat, rule, title, link, text, source, created_at)"
                    " VALUES (?, ?, ?, ?, '', ?, 'bot', ?) ON CONFLICT (key) DO NOTHING",
                    (key, chat, NOTICE_RULE, title, text, _ts(now)),
                ).rowcount
            )

    # ------------------------------------------------------------ stories

    def recent_stories(self, since: datetime) -> Iterator[tuple[str, StoryKey, str, float, str]]:
        """(chat, key, alert key, time, source) of every story alerted since ``since``.

        Streamed, not fetched whole: a window of 100,000 stories is loaded without holding all
        its rows at once; the few distinct chats, feeds and sources are stored once each."""
        try:
            rows = self._db.execute(
                "SELECT chat, title, link, feed_url, guid, alert_key, created_at, source"
                " FROM stories WHERE created_at >= ? ORDER BY id",
                (_ts(since),),
            )
            for c, t, lk, f, g, k, at, s in rows:
                key = StoryKey(str(t), str(lk), sys.intern(str(f)), str(g))
                yield sys.intern(str(c)), key, str(k or ""), float(at), sys.intern(str(s))
        except sqlite3.Error as e:
            raise StoreError(self.path, str(e)) from e

    def sources(self, alert_key: str) -> tuple[str, ...]:
        """The other sources that carried an alerted story, in the order they came."""
        rows = self._query(
            "SELECT source FROM cluster_sources WHERE alert_key = ? ORDER BY added_at, source",
            (alert_key,),
        )
        return tuple(str(r[0]) for r in rows)

    def edit_chats(self) -> list[str]:
        """Chats with messages waiting to be edited."""
        rows = self._query("SELECT DISTINCT chat FROM outbox WHERE edit_pending = 1")
        return [str(r[0]) for r in rows]

    def pending_edits(self, chat: str) -> list[OutboxEntry]:
        """Sent alerts of a chat whose message must be edited to list new sources."""
        rows = self._query(_ENTRY_SQL + " WHERE edit_pending = 1 AND chat = ? ORDER BY id", (chat,))
        return [self._with_sources(_entry(r)) for r in rows]

    def mark_edited(self, entry_id: int, *, counted: bool = True) -> None:
        """The edit was made (or given up): clear the flag, count it and log the send."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET edit_pending = 0, edits = edits + ? WHERE id = ?",
                (int(counted), entry_id),
            )
            if counted:
                db.execute(
                    "INSERT INTO send_log (chat, at) SELECT chat, ? FROM outbox WHERE id = ?",
                    (datetime.now(UTC).timestamp(), entry_id),
                )

    def _with_sources(self, entry: OutboxEntry) -> OutboxEntry:
        sources = self.sources(entry.alert.key)
        return replace(entry, sources=sources) if sources else entry

    # ------------------------------------------------------------ outbox

    def pending_chats(self) -> list[str]:
        """Chats with alerts waiting, in order of their oldest alert."""
        rows = self._query(
            "SELECT chat FROM outbox WHERE status = ? GROUP BY chat ORDER BY MIN(id)", (PENDING,)
        )
        return [str(r[0]) for r in rows]

    def pending(self, chat: str | None = None, limit: int = 100) -> list[OutboxEntry]:
        """Alerts waiting for delivery, in order of discovery."""
        params: tuple[object, ...]
        if chat is None:
            sql, params = _ENTRY_SQL + " WHERE status = ? ORDER BY id LIMIT ?", (PENDING, limit)
        else:
            sql = _ENTRY_SQL + " WHERE status = ? AND chat = ? ORDER BY id LIMIT ?"
            params = (PENDING, chat, limit)
        rows = self._query(sql, params)
        return [self._with_sources(_entry(r)) for r in rows]

    def mark_sending(self, entry_id: int, now: datetime) -> None:
        """The send intent, written just before the call (the crash window starts here)."""
        with self._tx() as db:
            db.execute("UPDATE outbox SET sending_at = ? WHERE id = ?", (_ts(now), entry_id))

    def mark_sent(self, entry_id: int, message_id: int | None, now: datetime) -> None:
        """Telegram accepted the alert (the crash window ends with this commit)."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET status = ?, message_id = ?, sent_at = ?, sending_at = NULL,"
                " attempts = attempts + 1 WHERE id = ?",
                (SENT, message_id, _ts(now), entry_id),
            )
            chat = db.execute("SELECT chat FROM outbox WHERE id = ?", (entry_id,)).fetchone()
            if chat and message_id is not None:
                db.execute("INSERT INTO send_log (chat, at) VALUES (?, ?)", (chat[0], _ts(now)))

    def recent_sends(self, chat: str, since: datetime) -> list[float]:
        """When Telegram accepted messages to ``chat`` since ``since``, oldest first."""
        rows = self._query(
            "SELECT at FROM send_log WHERE chat = ? AND at >= ? ORDER BY at", (chat, _ts(since))
        )
        return [float(r[0]) for r in rows]

    def in_doubt(self) -> list[OutboxEntry]:
        """Pending alerts whose send began but never finished (the bot died in between)."""
        rows = self._query(_ENTRY_SQL + " WHERE status = ? AND sending_at IS NOT NULL", (PENDING,))
        return [_entry(r) for r in rows]

    def redrive(self) -> int:
        """Failed alerts become pending again; returns how many."""
        with self._tx() as db:
            return db.execute(
                "UPDATE outbox SET status = ?, last_error = NULL, sending_at = NULL"
                " WHERE status = ?",
                (PENDING, FAILED),
            ).rowcount

    def failed(self, limit: int = 20) -> list[OutboxEntry]:
        """The newest alerts that Telegram refused, with their reasons."""
        rows = self._query(
            _ENTRY_SQL + " WHERE status = ? ORDER BY id DESC LIMIT ?", (FAILED, limit)
        )
        return [_entry(r) for r in rows]

    def get_meta(self, key: str) -> str | None:
        """A small value kept across runs (e.g. the paused flag)."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str | None) -> None:
        """Set (or with None, clear) a kept value."""
        with self._tx() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def mark_attempt(self, entry_id: int, error: str) -> None:
        """A transient failure: the alert stays pending."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, sending_at = NULL"
                " WHERE id = ?",
                (error, entry_id),
            )

    def mark_failed(self, entry_id: int, error: str) -> None:
        """A permanent failure: kept, with its reason, for an operator to re-drive."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?"
                " WHERE id = ?",
                (FAILED, error, entry_id),
            )

    def move_chat(self, old: str, new: str) -> None:
        """A group became a supergroup: its pending alerts and window follow it."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET chat = ? WHERE chat = ? AND status != ?", (new, old, SENT)
            )
            db.execute("UPDATE stories SET chat = ? WHERE chat = ?", (new, old))

    def counts(self) -> dict[str, int]:
        """Alerts by delivery status (operator notices not counted)."""
        rows = self._query(
            "SELECT status, COUNT(*) FROM outbox WHERE rule != ? GROUP BY status", (NOTICE_RULE,)
        )
        counts = {PENDING: 0, SENT: 0, FAILED: 0}
        counts.update({str(s): int(n) for s, n in rows})
        return counts

    def sent_messages(self) -> list[tuple[str, int | None, str]]:
        """(chat, message_id, title) of every sent alert, oldest first (for tests and status)."""
        rows = self._query(
            "SELECT chat, message_id, title FROM outbox WHERE status = ? ORDER BY id", (SENT,)
        )
        return [(str(c), m, str(t)) for c, m, t in rows]

    # ------------------------------------------------------------ retention

    def prune(self, now: datetime, retention: timedelta, window: timedelta) -> int:
        """Forget seen items and sent alerts past retention, and stories past the window."""
        keep_items = _ts(now - retention)
        keep_stories = _ts(now - max(window, timedelta(0)))
        with self._tx() as db:
            removed = db.execute("DELETE FROM items WHERE seen_at < ?", (keep_items,)).rowcount
            removed += db.execute(
                "DELETE FROM outbox WHERE status = ? AND sent_at < ?", (SENT, keep_items)
            ).rowcount
            removed += db.execute(
                "DELETE FROM stories WHERE created_at < ?", (keep_stories,)
            ).rowcount
            db.execute(
                "DELETE FROM cluster_sources WHERE alert_key NOT IN (SELECT key FROM outbox)"
            )
            db.execute("DELETE FROM send_log WHERE at < ?", (_ts(now) - 3600,))
        return removed


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


_ENTRY_SQL = (
    "SELECT id, key, chat, rule, title, link, text, silent, link_preview, status,"
    " attempts, last_error, source, message_id FROM outbox"
)


def _entry(row: tuple[Any, ...]) -> OutboxEntry:
    (id_, key, chat, rule, title, link, text, silent, preview, status, attempts, error,
     source, message_id) = row  # fmt: skip
    alert = Alert(
        key=str(key), chat=str(chat), rule=str(rule), title=str(title), link=str(link),
        text=str(text), disable_notification=bool(silent), link_preview=bool(preview),
        source=str(source),
    )  # fmt: skip
    return OutboxEntry(
        id=int(id_), alert=alert, status=str(status), attempts=int(attempts),
        last_error=None if error is None else str(error), message_id=message_id,
    )  # fmt: skip
