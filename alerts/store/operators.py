"""The operators' side of the store, its SQL for every backend: counts and failures for
``status``, the re-drive of failed alerts, small values kept across runs (paused, started at),
and retention.

Retention: seen items, the items kept for backtest, and sent alerts are kept for
``items.retention`` (an item still listed by its feed is seen again at every poll, so it is
never forgotten while the feed shows it; its backtest copy is from its first sight); the
window's stories for the dedup window; the send log for an hour (pacing looks back a minute
at most: 20 messages a minute to a channel); mutes until they end, and the buttons of an
alert as long as the alert.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.models import OutboxEntry
from alerts.store.base import Backend
from alerts.store.connection import ts
from alerts.store.mutes import prune_mutes
from alerts.store.outbox import ENTRY_SQL, entry_of
from alerts.store.protocol import DIGESTED, FAILED, NOTICE_RULE, PENDING, SENT

_SEND_LOG_KEPT = 3600.0  # seconds; pacing's longest look back is 60: a wide margin


class OperatorsMixin(Backend):
    """Counts, failures, re-drive, kept values and retention."""

    # ------------------------------------------------------------ what status shows

    def counts(self) -> dict[str, int]:
        """Alerts by delivery status (operator notices not counted)."""
        rows = self._query(
            "SELECT status, COUNT(*) FROM outbox WHERE rule != ? GROUP BY status", (NOTICE_RULE,)
        )
        counts: dict[str, int] = {PENDING: 0, SENT: 0, FAILED: 0}
        counts.update({str(s): int(n) for s, n in rows})
        return counts

    def outbox_depth(self) -> dict[str, tuple[int, datetime]]:
        """Pending alerts per chat, with the time the oldest was queued (notices included)."""
        rows = self._query(
            "SELECT chat, COUNT(*), MIN(created_at) FROM outbox WHERE status = ? GROUP BY chat",
            (PENDING,),
        )
        return {str(c): (int(n), datetime.fromtimestamp(float(t), UTC)) for c, n, t in rows}

    def failed(self, limit: int = 20) -> list[OutboxEntry]:
        """The newest alerts that Telegram refused, with their reasons."""
        rows = self._query(
            ENTRY_SQL + " WHERE status = ? ORDER BY id DESC LIMIT ?", (FAILED, limit)
        )
        return [entry_of(r) for r in rows]

    def sent_messages(self) -> list[tuple[str, int | None, str]]:
        """(chat, message_id, title) of every sent alert, oldest first (for tests and status)."""
        rows = self._query(
            "SELECT chat, message_id, title FROM outbox WHERE status = ? ORDER BY id", (SENT,)
        )
        return [(str(c), m, str(t)) for c, m, t in rows]

    def redrive(self) -> int:
        """Failed alerts become pending again; returns how many."""
        return self._write(
            "UPDATE outbox SET status = ?, last_error = NULL, sending_at = NULL WHERE status = ?",
            (PENDING, FAILED),
        )

    # ------------------------------------------------------------ kept values

    def get_meta(self, key: str) -> str | None:
        """A small value kept across runs (e.g. the paused flag)."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str | None) -> None:
        """Set (or with None, clear) a kept value."""
        if value is None:
            self._write("DELETE FROM meta WHERE key = ?", (key,))
            return
        self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # ------------------------------------------------------------ retention

    def prune(self, now: datetime, retention: timedelta, window: timedelta) -> int:
        """Forget seen items and sent alerts past retention, and stories past the window."""
        keep_items = ts(now - retention)
        keep_stories = ts(now - max(window, timedelta(0)))
        with self._tx() as db:
            removed = db.execute("DELETE FROM items WHERE seen_at < ?", (keep_items,)).rowcount
            removed += db.execute("DELETE FROM item_log WHERE seen_at < ?", (keep_items,)).rowcount
            removed += db.execute(
                "DELETE FROM outbox WHERE status = ? AND sent_at < ?", (SENT, keep_items)
            ).rowcount
            removed += db.execute(
                "DELETE FROM stories WHERE created_at < ?", (keep_stories,)
            ).rowcount
            removed += db.execute(  # matches listed in a digest: its message is the record
                "DELETE FROM outbox WHERE status = ? AND created_at < ?", (DIGESTED, keep_items)
            ).rowcount
            db.execute(
                "DELETE FROM cluster_sources WHERE alert_key NOT IN (SELECT key FROM outbox)"
            )
            db.execute("DELETE FROM send_log WHERE at < ?", (ts(now) - _SEND_LOG_KEPT,))
            removed += prune_mutes(db, ts(now))
        return removed
