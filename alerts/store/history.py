"""The items the bot saw, kept for ``backtest``: written in a trip's one write, read back
through a read-only connection that changes nothing, even while the bot runs.

What is kept (migration 7) is every item that could alert (new, young enough, not a first
sight: ``alerts.select``), in the order its trip judged it, with what the rules and dedup read:
title, link, guid, published, and its HTML's skeleton (``text.skeleton``). Items that could not
alert are not kept: no rule could have sent them. A feed's URL is kept once (``item_feeds``),
the guid only when it is not the link, and a skeleton is compressed with zlib when that makes
it smaller (level 6; the short summaries most feeds carry are kept as they are). A skeleton is
stored as bytes on every backend (a BLOB, PostgreSQL's BYTEA), its first byte saying which: Z
for zlib, T for UTF-8 text. Rows live for ``items.retention`` (``OperatorsMixin.prune``).
"""

from __future__ import annotations

import sqlite3
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from alerts.errors import StoreError
from alerts.models import ItemContent
from alerts.store.base import Db
from alerts.store.connection import dt, ts
from alerts.store.factory import is_database_url, redact

_LEVEL = 6  # zlib's default: level 9 saves under 1% more here, at twice the time
_ZLIB, _TEXT = b"Z", b"T"  # the first byte of a stored skeleton: its form


@dataclass(frozen=True, slots=True)
class SeenItem:
    """An item as the store kept it: its feed, when its trip saw it (UNIX seconds), its content."""

    feed_url: str
    seen_at: float
    content: ItemContent


def record_contents(db: Db, feed_url: str, contents: Sequence[ItemContent], t: float) -> None:
    """Keep a trip's items that could alert, in the order it judged them (inside its write)."""
    if not contents:
        return
    db.execute("INSERT INTO item_feeds (url) VALUES (?) ON CONFLICT (url) DO NOTHING", (feed_url,))
    feed = db.execute("SELECT id FROM item_feeds WHERE url = ?", (feed_url,)).fetchone()[0]
    db.executemany(
        "INSERT INTO item_log (feed, seen_at, published, guid, title, link, body)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(feed, t, ts(c.published) if c.published else None,
          None if c.item_id == c.link else c.item_id, c.title, c.link, pack(c.body))
         for c in contents],
    )  # fmt: skip


def pack(body: str) -> bytes:
    """A skeleton as stored: compressed when that is smaller, its form in the first byte."""
    data = body.encode("utf-8")
    packed = zlib.compress(data, _LEVEL)
    return _ZLIB + packed if len(packed) < len(data) else _TEXT + data


def unpack(value: bytes) -> str:
    """A stored skeleton back."""
    value = bytes(value)  # a driver may hand a memoryview
    data = zlib.decompress(value[1:]) if value[:1] == _ZLIB else value[1:]
    return data.decode("utf-8")


_ITEMS_SQL = (
    "SELECT f.url, i.seen_at, i.published, i.guid, i.title, i.link, i.body"
    " FROM item_log i JOIN item_feeds f ON f.id = i.feed WHERE i.seen_at >= ? ORDER BY i.id"
)


class History:
    """The kept items of a state, read-only: a SQLite file opened with ``mode=ro``, or a
    PostgreSQL database read in READ ONLY transactions (``pg.read_only``). Nothing is written,
    no migration is run, and the bot may go on polling meanwhile."""

    def __init__(self, state: str | Path) -> None:
        self.path = str(state)
        self._url = self.path if is_database_url(self.path) else None
        self._db: sqlite3.Connection | None = None
        tables = self._pg_tables() if self._url else self._open_file()
        if "item_log" not in tables:
            self.close()
            raise StoreError(self._name, "the state keeps no items yet: run this bot once")

    @property
    def _name(self) -> str:
        return redact(self.path) if self._url else self.path

    def _open_file(self) -> set[str]:
        if not Path(self.path).is_file():
            raise StoreError(self.path, "no state file here: the bot has not run yet")
        try:
            self._db = sqlite3.connect(f"{Path(self.path).resolve().as_uri()}?mode=ro", uri=True)
            return {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.Error as e:
            raise StoreError(self.path, f"cannot read the state file: {e}") from e

    def _pg_tables(self) -> set[str]:
        return {str(r[0]) for r in self._rows(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema()", ())}  # fmt: skip

    def _rows(self, sql: str, params: tuple[object, ...]) -> Iterator[tuple[Any, ...]]:
        """A query's rows, streamed, from either backend."""
        if self._url is not None:
            from alerts.store import pg  # psycopg is loaded only for PostgreSQL

            with pg.read_only(self._url, self._name) as tx:
                yield from pg.stream(tx, sql, params)
            return
        assert self._db is not None
        try:
            yield from self._db.execute(sql, params)
        except sqlite3.Error as e:
            raise StoreError(self.path, str(e)) from e

    def count(self, since: datetime) -> int:
        """How many items were seen since ``since``."""
        rows = self._rows("SELECT COUNT(*) FROM item_log WHERE seen_at >= ?", (ts(since),))
        return int(next(rows)[0])

    def items(self, since: datetime) -> Iterator[SeenItem]:
        """The items seen since ``since``, in the order the bot judged them; streamed."""
        for url, seen, published, guid, title, link, body in self._rows(_ITEMS_SQL, (ts(since),)):
            content = ItemContent(guid or link, title, link, dt(published), unpack(body))
            yield SeenItem(sys.intern(url), float(seen), content)

    def close(self) -> None:
        """Release the file."""
        if self._db is not None:
            self._db.close()
