"""The mutes side of the store (SQL of both backends): mutes (a rule, source or story
silenced until an expiry, with the matches each held back) and the buttons under alerts, by
their short ids.

A mute is one row per (kind, target): muting again replaces its expiry, origin and count.
A trip reads the mutes in its one read (``feed_for_update``) and counts what they held in its
one write (``update_feed``, :func:`count_held`). Muting a story clears an edit of its message
that was waiting, and while the mute lasts a new source of the story is recorded without
flagging an edit (:func:`story_muted`, asked by the trip's write). Buttons are written when
their keyboard is first built (before the send), with ids that are a function of what they
do, so a keyboard built again writes nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from alerts.models import Mute, MuteButton, MuteKind, OutboxEntry
from alerts.store.base import Backend, Db
from alerts.store.connection import dt, ts
from alerts.store.outbox import ENTRY_SQL, entry_of

MUTES_SQL = "SELECT kind, target, until, by, origin, held FROM mutes"


def mute_of(row: tuple[Any, ...]) -> Mute:
    """A mutes row (as ``MUTES_SQL`` selects it) as the model holds it."""
    kind, target, until, by, origin, held = row
    when = dt(float(until))
    assert when is not None
    return Mute(kind, str(target), when, None if by is None else int(by), str(origin), int(held))


def read_mutes(db: Db) -> tuple[Mute, ...]:
    """Every stored mute, active or not (the reader's clock decides)."""
    return tuple(mute_of(r) for r in db.execute(MUTES_SQL + " ORDER BY until").fetchall())


def count_held(db: Db, held: Sequence[tuple[MuteKind, str]]) -> None:
    """One more match held back by each mute named (a mute ended meanwhile counts nothing)."""
    db.executemany("UPDATE mutes SET held = held + 1 WHERE kind = ? AND target = ?", held)


def story_muted(db: Db, alert_key: str, t: float) -> bool:
    """Whether the story of ``alert_key`` is muted at ``t``: its message is not edited."""
    row = db.execute(
        "SELECT 1 FROM mutes WHERE kind = 'story' AND target = ? AND until > ?", (alert_key, t)
    ).fetchone()
    return row is not None


def prune_mutes(db: Db, t: float) -> int:
    """Forget ended mutes, and the buttons of alerts no longer kept."""
    removed = db.execute("DELETE FROM mutes WHERE until <= ?", (t,)).rowcount
    removed += db.execute(
        "DELETE FROM buttons WHERE alert_key NOT IN (SELECT key FROM outbox)"
    ).rowcount
    return int(removed)


class MutesMixin(Backend):
    """Mutes and buttons."""

    def mutes(self) -> list[Mute]:
        """Every stored mute, soonest to end first (ended ones until they are pruned)."""
        with self._read() as db:
            return list(read_mutes(db))

    def mute(self, mute: Mute, now: datetime) -> None:
        """Start (or replace) a mute; a muted story's waiting edit is dropped."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO mutes (kind, target, until, by, origin, held, created_at)"
                " VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (kind, target) DO UPDATE SET"
                " until = excluded.until, by = excluded.by, origin = excluded.origin, held = 0,"
                " created_at = excluded.created_at",
                (mute.kind, mute.target, ts(mute.until), mute.by, mute.origin, ts(now)),
            )
            if mute.kind == "story":
                db.execute("UPDATE outbox SET edit_pending = 0 WHERE key = ?", (mute.target,))

    def unmute(self, kind: MuteKind, target: str) -> Mute | None:
        """End a mute; the mute as it was, or None if there was none."""
        with self._tx() as db:
            row = db.execute(
                MUTES_SQL + " WHERE kind = ? AND target = ?", (kind, target)
            ).fetchone()
            db.execute("DELETE FROM mutes WHERE kind = ? AND target = ?", (kind, target))
        return None if row is None else mute_of(row)

    def save_buttons(self, buttons: Sequence[MuteButton], now: datetime) -> None:
        """What each button does, under its id; a button already stored is kept."""
        with self._tx() as db:
            db.executemany(
                "INSERT INTO buttons (id, action, kind, target, alert_key, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                [(b.id, b.action, b.kind, b.target, b.alert_key, ts(now)) for b in buttons],
            )

    def button(self, button_id: str) -> MuteButton | None:
        """What the button with this id does; None if unknown (or pruned)."""
        rows = self._query(
            "SELECT id, action, kind, target, alert_key FROM buttons WHERE id = ?", (button_id,)
        )
        if not rows:
            return None
        id_, action, kind, target, alert_key = rows[0]
        return MuteButton(str(id_), action, kind, str(target), str(alert_key))

    def alert_of(self, alert_key: str) -> OutboxEntry | None:
        """The outbox entry of an alert (a button's message), if it is still kept."""
        rows = self._query(ENTRY_SQL + " WHERE key = ?", (alert_key,))
        return entry_of(rows[0]) if rows else None
