"""The delivery side of the store, its SQL for every backend: the outbox queue, one send's
states, the send log that paces each chat, the edits that list a story's other sources, and a
chat's migration.

A row keeps its destination in two parts, ``chat`` and ``topic`` (a forum topic, or NULL):
queues, the send log and migrations go by the chat, since a topic shares its group's pace;
the alert read back names the whole destination (``alerts.target``), as it was queued.

An alert is marked sent only after Telegram returned its message id; the send intent
(``sending_at``) is written just before the call, so an alert whose send began and never
finished (the bot died in between) can be told from one never tried.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from alerts.models import Alert, DeliveryStatus, Notice, OutboxEntry
from alerts.store.base import Backend, Db
from alerts.store.connection import ts
from alerts.store.protocol import FAILED, NOTICE_RULE, PENDING, SENT
from alerts.target import Target

ENTRY_SQL = (
    "SELECT id, key, chat, rule, title, link, text, silent, link_preview, status,"
    " attempts, last_error, source, message_id, topic FROM outbox"
)


def entry_of(row: tuple[Any, ...]) -> OutboxEntry:
    """An outbox row (as ``ENTRY_SQL`` selects it) as the model holds it."""
    (id_, key, chat, rule, title, link, text, silent, preview, status, attempts, error,
     source, message_id, topic) = row  # fmt: skip
    destination = Target(str(chat), None if topic is None else int(topic))
    alert = Alert(
        key=str(key), chat=str(destination), rule=str(rule), title=str(title), link=str(link),
        text=str(text), disable_notification=bool(silent), link_preview=bool(preview),
        source=str(source),
    )  # fmt: skip
    return OutboxEntry(
        id=int(id_), alert=alert, status=DeliveryStatus(str(status)), attempts=int(attempts),
        last_error=None if error is None else str(error), message_id=message_id,
    )  # fmt: skip


def insert_notice(db: Db, notice: Notice, t: float) -> bool:
    """An operator notice into the outbox, delivered like an alert; a key is queued once."""
    return bool(
        db.execute(
            "INSERT INTO outbox (key, chat, rule, title, link, text, source, created_at)"
            " VALUES (?, ?, ?, ?, '', ?, 'bot', ?) ON CONFLICT (key) DO NOTHING",
            (notice.key, notice.chat, NOTICE_RULE, notice.title, notice.text, t),
        ).rowcount
    )


class OutboxMixin(Backend):
    """The queue, a send's states, the send log, edits and chat moves."""

    # ------------------------------------------------------------ the queue

    def queue_notice(self, notice: Notice, now: datetime) -> bool:
        """An operator notice, delivered like an alert; a key is queued once, ever."""
        with self._tx() as db:
            return insert_notice(db, notice, ts(now))

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
            sql, params = ENTRY_SQL + " WHERE status = ? ORDER BY id LIMIT ?", (PENDING, limit)
        else:
            sql = ENTRY_SQL + " WHERE status = ? AND chat = ? ORDER BY id LIMIT ?"
            params = (PENDING, chat, limit)
        rows = self._query(sql, params)
        return [self._with_sources(entry_of(r)) for r in rows]

    def in_doubt(self) -> list[OutboxEntry]:
        """Pending alerts whose send began but never finished (the bot died in between)."""
        rows = self._query(ENTRY_SQL + " WHERE status = ? AND sending_at IS NOT NULL", (PENDING,))
        return [entry_of(r) for r in rows]

    # ------------------------------------------------------------ one send

    def mark_sending(self, entry_id: int, now: datetime) -> None:
        """The send intent, written just before the call (the crash window starts here)."""
        self._write("UPDATE outbox SET sending_at = ? WHERE id = ?", (ts(now), entry_id))

    def mark_sent(self, entry_id: int, message_id: int | None, now: datetime) -> None:
        """Telegram accepted the alert (the crash window ends with this commit)."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET status = ?, message_id = ?, sent_at = ?, sending_at = NULL,"
                " attempts = attempts + 1 WHERE id = ?",
                (SENT, message_id, ts(now), entry_id),
            )
            chat = db.execute("SELECT chat FROM outbox WHERE id = ?", (entry_id,)).fetchone()
            if chat and message_id is not None:
                db.execute("INSERT INTO send_log (chat, at) VALUES (?, ?)", (chat[0], ts(now)))

    def mark_attempt(self, entry_id: int, error: str) -> None:
        """A transient failure: the alert stays pending."""
        self._write(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, sending_at = NULL"
            " WHERE id = ?",
            (error, entry_id),
        )

    def mark_doubt(self, entry_id: int, error: str, now: datetime) -> int:
        """A send with no readable answer: Telegram may have posted it, so it counts against
        the chat's pace (at ``now``, the latest it can have been taken). Returns how many of
        the alert's sends were in doubt so far."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, doubts = doubts + 1, last_error = ?,"
                " sending_at = NULL WHERE id = ?",
                (error, entry_id),
            )
            db.execute(
                "INSERT INTO send_log (chat, at) SELECT chat, ? FROM outbox WHERE id = ?",
                (ts(now), entry_id),
            )
            row = db.execute("SELECT doubts FROM outbox WHERE id = ?", (entry_id,)).fetchone()
        return int(row[0]) if row else 0

    def mark_failed(self, entry_id: int, error: str) -> None:
        """A permanent failure: kept, with its reason, for an operator to re-drive (which
        starts its sends afresh: no doubt carried over)."""
        self._write(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, doubts = 0,"
            " sending_at = NULL WHERE id = ?",
            (FAILED, error, entry_id),
        )

    def log_unanswered(self, now: datetime) -> int:
        """Sends begun by a bot that died before their answer (``in_doubt``) count against
        their chat's pace at ``now``: Telegram may have taken them, at the latest now. Their
        alerts stay in doubt; returns how many were logged."""
        with self._tx() as db:
            return db.execute(
                "INSERT INTO send_log (chat, at) SELECT chat, ? FROM outbox"
                " WHERE status = ? AND sending_at IS NOT NULL",
                (ts(now), PENDING),
            ).rowcount

    def pull_back_sends(self, now: datetime) -> int:
        """Send times after ``now`` (the clock was set back, or the state came from a machine
        whose clock runs ahead) become ``now``; returns how many there were."""
        return self._write("UPDATE send_log SET at = ? WHERE at > ?", (ts(now), ts(now)))

    def recent_sends(self, chat: str, since: datetime) -> list[float]:
        """When Telegram accepted messages to ``chat`` since ``since``, oldest first."""
        rows = self._query(
            "SELECT at FROM send_log WHERE chat = ? AND at >= ? ORDER BY at", (chat, ts(since))
        )
        return [float(r[0]) for r in rows]

    # ------------------------------------------------------------ edits: a story's sources

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
        rows = self._query(ENTRY_SQL + " WHERE edit_pending = 1 AND chat = ? ORDER BY id", (chat,))
        return [self._with_sources(entry_of(r)) for r in rows]

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

    # ------------------------------------------------------------ chats

    def move_chat(self, old: str, new: str) -> None:
        """A group became a supergroup: its pending alerts and window follow it (the window
        of each of its topics too: a destination there is written ``CHAT/TOPIC``)."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET chat = ? WHERE chat = ? AND status != ?", (new, old, SENT)
            )
            db.execute("UPDATE stories SET chat = ? WHERE chat = ?", (new, old))
            db.execute(
                "UPDATE stories SET chat = ? || substr(chat, length(?) + 1)"
                " WHERE substr(chat, 1, length(?) + 1) = ? || '/'",
                (new, old, old, old),
            )
