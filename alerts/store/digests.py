"""The digest side of the SQLite store: matches held for a digest, the cap count, and the
one transaction that turns held matches into a digest's messages.

A held match is an outbox row like any alert, written in its trip's transaction with its story
(so dedup sees it as alerted), but with status ``held`` and the digest it waits for: the
courier, which reads ``pending`` rows only, never sees it. Making a digest is one transaction
(:meth:`DigestsMixin.roll_digest`): the held rows become ``digested`` and the digest's parts
are queued as pending outbox entries, so a crash before its commit leaves every match held (the
digest is made again at start) and after it leaves the parts to the courier, which sends each
exactly once, in order, paced, like any alert.

The cap (``max_per_hour``) is counted here, in the trip's write of each alert: the alerts of
its rule to its chat written since the start of the hour that went out as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from alerts.models import Alert, HeldAlert, Hold
from alerts.store.base import Backend, Db
from alerts.store.connection import dt, ts
from alerts.store.protocol import DIGESTED, HELD, PENDING
from alerts.target import Target, split_destination

# A destination is stored in two parts (``outbox``): the chat, and the forum topic or NULL;
# NULL compares equal to nothing, so the topic is matched as COALESCE(topic, 0) (no topic is 0).


def at(destination: str) -> tuple[str, int]:
    """The parameters of ``chat = ? AND COALESCE(topic, 0) = ?`` for a destination as written
    (``CHAT`` or ``CHAT/TOPIC``)."""
    target = split_destination(destination)
    return target.chat, target.topic or 0


DIGEST_RULE = "(digest)"  # the rule of outbox rows that are digest messages

# status, held_for, cap_rule, published: the columns an alert's hold sets on its outbox row
HoldColumns = tuple[str, str | None, str | None, float | None]


def hold_columns(db: Db, alert: Alert, hold: Hold | None) -> HoldColumns:
    """How an alert is written: pending, or held for its digest (or for its cap's overflow,
    once the hour has had ``cap`` alerts of its rule to its chat sent as usual)."""
    if hold is None:
        return PENDING, None, None, None
    published = ts(hold.published) if hold.published is not None else None
    held_for = hold.digest or None
    if held_for is None and hold.cap and hold.since is not None:
        (sent,) = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE chat = ? AND COALESCE(topic, 0) = ? AND cap_rule = ?"
            " AND created_at >= ? AND held_for IS NULL",
            (*at(alert.chat), hold.cap_rule, ts(hold.since)),
        ).fetchone()
        held_for = hold.overflow if int(sent) >= hold.cap else None
    return (HELD if held_for else PENDING), held_for, hold.cap_rule or None, published


class _Raced(Exception):
    """Some of a digest's matches were no longer held: nothing of it is written."""


class DigestsMixin(Backend):
    """Held matches, and making their digests."""

    def held_digests(self) -> list[tuple[str, str, datetime]]:
        """(chat, digest, time of its oldest match) of every digest with matches held."""
        rows = self._query(
            "SELECT chat, topic, held_for, MIN(created_at) FROM outbox WHERE status = ?"
            " GROUP BY chat, topic, held_for ORDER BY MIN(id)",
            (HELD,),
        )
        return [
            (str(Target(str(c), None if tp is None else int(tp))), str(d),
             datetime.fromtimestamp(float(t), UTC))
            for c, tp, d, t in rows
        ]  # fmt: skip

    def held_alerts(self, chat: str, digest: str) -> list[HeldAlert]:
        """The matches held for one digest of a chat, in order of discovery."""
        rows = self._query(
            "SELECT id, title, link, source, COALESCE(published, created_at), silent"
            " FROM outbox WHERE status = ? AND chat = ? AND COALESCE(topic, 0) = ? AND held_for = ?"
            " ORDER BY id",
            (HELD, *at(chat), digest),
        )
        return [
            HeldAlert(int(i), chat, str(t), str(lk), str(s), dt(float(when)) or datetime.min,
                      bool(silent))
            for i, t, lk, s, when, silent in rows
        ]  # fmt: skip

    def roll_digest(self, held: Sequence[HeldAlert], parts: Sequence[Alert], now: datetime) -> bool:
        """In one transaction: the ``held`` matches become digested, listed by ``parts``, which
        are queued in order; False (nothing written) if any of them was not held any more."""
        ids = [h.id for h in held]
        try:
            with self._tx() as db:
                marked = sum(
                    db.execute(
                        "UPDATE outbox SET status = ?, digest_key = ? WHERE id = ? AND status = ?",
                        (DIGESTED, parts[0].key, i, HELD),
                    ).rowcount
                    for i in ids
                )  # one statement a row: a driver's executemany need not count its rows
                if marked != len(ids):
                    raise _Raced
                for part in parts:
                    _queue_part(db, part, ts(now))
        except _Raced:
            return False
        return True


def _queue_part(db: Db, part: Alert, t: float) -> None:
    target = part.target
    db.execute(
        "INSERT INTO outbox (key, chat, topic, rule, title, link, text, silent, link_preview,"
        " source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'bot', ?)"
        " ON CONFLICT (key) DO NOTHING",
        (part.key, target.chat, target.topic, DIGEST_RULE, part.title, part.link, part.text,
         int(part.disable_notification), t),
    )  # fmt: skip
