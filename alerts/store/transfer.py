"""A whole state copied from one store to another, whatever their backends (``state migrate``:
SQLite to PostgreSQL, or back; the dry run's copy of a PostgreSQL state).

Every table of the source is copied, column by column under its own name, with its ids, so
outbox order, the window and the send log come over as they were; a table the target lacks,
or a column, refuses the copy before anything is written (the two backends' migrations must
be at the same version: ``schema.py`` and ``pg_schema.py``). The target is written in one
transaction that first keeps every other writer off its tables: it ends with all of the state
or none of it. A target that already holds a state is refused unless ``force``, which replaces
it whole. Before the commit, each table's row count on the target must equal what was read
from the source's one snapshot; a mismatch rolls everything back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from alerts.errors import StoreError
from alerts.store.base import Backend, Db

BATCH = 1000  # rows per executemany: one round trip each on PostgreSQL


class TargetNotEmpty(StoreError):
    """The target already holds a state; ``filled`` names its tables with rows."""

    def __init__(self, path: str, filled: Sequence[str]) -> None:
        self.filled = tuple(filled)
        super().__init__(
            path, f"already holds a state (rows in {', '.join(filled)}): --force replaces it"
        )


def copy_state(source: Backend, target: Backend, *, force: bool = False) -> dict[str, int]:
    """Copy every table of ``source`` into ``target``; the rows copied, by table."""
    tables, theirs = source._tables(), target._tables()
    missing = sorted(set(tables) - set(theirs))
    if missing:
        raise StoreError(target.path, f"has no table {', '.join(missing)}: upgrade this bot")
    with source._read() as src, target._tx() as dst:
        target._claim(dst, theirs)
        filled = [t for t in theirs if dst.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()]  # noqa: S608
        if filled and not force:
            raise TargetNotEmpty(target.path, filled)
        for table in theirs:
            dst.execute(f'DELETE FROM "{table}"')  # noqa: S608  (names the database listed)
        counts = {t: _copy_table(src, dst, t, target.path) for t in tables}
        target._renumber(dst, tables)
        _verify(dst, counts, target.path)
    return counts


def _columns(db: Db, table: str) -> list[str]:
    cursor: Any = db.execute(f'SELECT * FROM "{table}" LIMIT 0')  # noqa: S608
    return [str(column[0]) for column in cursor.description]


def _copy_table(src: Db, dst: Db, table: str, path: str) -> int:
    """The rows of one table, in batches; how many."""
    columns = _columns(src, table)
    lacking = sorted(set(columns) - set(_columns(dst, table)))
    if lacking:
        raise StoreError(path, f"table {table} has no column {', '.join(lacking)}: upgrade")
    names = ", ".join(f'"{c}"' for c in columns)
    insert = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'  # noqa: S608
    rows: Iterator[Sequence[Any]] = iter(src.execute(f'SELECT {names} FROM "{table}"'))  # noqa: S608
    copied = 0
    while batch := list(islice(rows, BATCH)):
        dst.executemany(insert, batch)
        copied += len(batch)
    return copied


def _verify(dst: Db, counts: dict[str, int], path: str) -> None:
    """Each table on the target holds what was read from the source, or nothing commits."""
    for table, expected in counts.items():
        found = int(dst.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])  # noqa: S608
        if found != expected:
            raise StoreError(path, f"table {table}: {found} rows after the copy, not {expected}")


def copy_to_file(state: str, path: str | Path) -> None:
    """A consistent copy of a state in one SQLite file (``state backup``, the dry run's copy):
    SQLite's online backup of a file, or every table of a PostgreSQL state copied into a
    new file from one snapshot while the bot writes on."""
    from alerts.store import Store
    from alerts.store.factory import location, open_at

    store = open_at(location(state))
    try:
        if isinstance(store, Store):
            store.backup_to(path)
            return
        copy = Store(path)
        try:
            copy_state(store, copy)
        finally:
            copy.close()
    finally:
        store.close()
