"""What the store's SQL runs on, for every backend: the ``Db`` a transaction hands its
statements to, and ``Backend``, the base the mixins (``feeds``, ``outbox``, ``operators``) are
written against and that each backend's connection class fills in (``connection`` for SQLite,
``pg`` for PostgreSQL).

The mixins' SQL is written once, in the dialect both databases agree on: ``?`` placeholders
(the PostgreSQL adapter turns them into psycopg's ``%s``), ``INSERT ... ON CONFLICT (key) DO
UPDATE SET col = excluded.col`` upserts with their conflict target named, a column of the
upserted table qualified by its name, integers for flags, UNIX seconds as floats for times.
Where the dialects differ (the schema, streaming a large result, listing tables) each backend
has its own code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Cursor(Protocol):
    """What a statement returns: its rows and how many rows it changed."""

    @property
    def rowcount(self) -> int:
        """Rows the statement changed (-1 when the driver cannot tell)."""

    def fetchone(self) -> Any:
        """The next row, or None."""

    def fetchall(self) -> list[Any]:
        """Every row left."""

    def __iter__(self) -> Iterator[Any]:
        """The rows, one at a time."""


class Db(Protocol):
    """A database inside one transaction: what the mixins' helpers run their SQL on."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor:
        """One statement with ``?`` placeholders."""

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> object:
        """One statement once per row of parameters."""


class Backend(ABC):
    """A store's database: the transactions and queries the mixins build on.

    ``path`` names the database in every ``StoreError`` (a file, or a URL without password)."""

    path: str

    @abstractmethod
    def _tx(self) -> AbstractContextManager[Db]:
        """One write transaction: all of it or none of it."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Db]:
        """One read transaction: its queries see one snapshot of the state."""

    @abstractmethod
    def _stream(self, sql: str, params: Sequence[object]) -> Iterator[tuple[Any, ...]]:
        """The rows of a large query, a batch at a time, never all held at once."""

    @abstractmethod
    def _tables(self) -> list[str]:
        """The names of the tables that hold the state (not the backend's own bookkeeping)."""

    def _claim(self, db: Db, tables: Sequence[str]) -> None:  # noqa: B027 (optional hook)
        """Inside a write transaction: keep every other writer off ``tables`` until it ends
        (``state migrate`` replaces them whole). SQLite's write transaction already does."""

    def _renumber(self, db: Db, tables: Sequence[str]) -> None:  # noqa: B027 (optional hook)
        """After rows were copied in with their ids (``state migrate``): new ids go on past
        the largest. SQLite's integer keys already do."""

    def _write(self, sql: str, params: Sequence[object] = ()) -> int:
        """One statement in its own transaction; returns the number of rows it changed."""
        with self._tx() as db:
            return db.execute(sql, params).rowcount

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of one query."""
        with self._read() as db:
            return [tuple(row) for row in db.execute(sql, params).fetchall()]

    @abstractmethod
    def check_file(self) -> None:
        """Raise ``StoreError`` if the database is no longer the one opened."""

    @abstractmethod
    def close(self) -> None:
        """Release the database; safe to call twice."""
