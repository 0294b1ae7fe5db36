"""The SQLite backend's connection: opening the file (lock file, WAL pragmas, migrations),
transactions, queries, the backup copy, the check that it is still the file opened, closing.

One connection per process, in autocommit mode, so that every write is an explicit ``BEGIN
IMMEDIATE`` transaction: the write lock is taken at its start (a read lock upgraded half way
fails at once instead of waiting). WAL mode lets readers go on while a write is in progress;
with ``synchronous=NORMAL`` a power cut may lose the last commits but never corrupts the file
(Specs: https://www.sqlite.org/pragma.html#pragma_synchronous). A write waits up to 5 seconds
for another connection's lock, then fails the poll rather than hanging it. Every
``sqlite3.Error`` leaves this module as a ``StoreError`` naming the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from alerts.errors import StoreError
from alerts.store import schema
from alerts.store.base import Backend

BUSY_TIMEOUT_MS = 5000  # how long a write waits for another connection's lock


def ts(when: datetime) -> float:
    """A time as the store keeps it: UNIX seconds (UTC)."""
    return when.timestamp()


def dt(value: float | None) -> datetime | None:
    """A kept time back as an aware datetime (UTC)."""
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


class Connection(Backend):
    """The state file, opened and migrated; one instance per process, used from one thread."""

    def __init__(self, path: str | Path, *, lock: bool = False) -> None:
        self.path = str(path)
        self._lock_file: IO[str] | None = self._take_lock() if lock else None
        try:
            self._db = self._connect()
            self._identity = self._file_identity()
            self._migrate()
        except (sqlite3.Error, OSError) as e:
            self._release_lock()
            raise StoreError(self.path, f"cannot open the state file: {e}") from e
        except BaseException:
            self._release_lock()  # e.g. a schema newer than this bot: the file stays free
            raise

    def _connect(self) -> sqlite3.Connection:
        if not Path(self.path).exists():
            # Specs: the state file holds chat ids and message text: owner-only (0600).
            Path(self.path).touch(mode=0o600)
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return db

    def _file_identity(self) -> tuple[int, int]:
        """(device, inode) of the file at ``path`` now, just after SQLite opened it."""
        st = Path(self.path).stat()
        return st.st_dev, st.st_ino

    def check_file(self) -> None:
        """Raise ``StoreError`` if ``path`` no longer names the file opened (deleted, or another
        file moved in its place): writes would go on into a file no one will open again, and
        the next start would begin from another state. One stat: cheap enough to ask often. A
        stat failing for another reason (a permission) says nothing about identity: no error."""
        try:
            now = self._file_identity()
        except FileNotFoundError as e:
            raise StoreError(self.path, "the state file was deleted while the bot used it") from e
        except OSError:
            return
        if now != self._identity:
            raise StoreError(self.path, "the state file was replaced while the bot used it")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        for number, statements in schema.steps(version, self.path):
            with self._tx():
                for statement in statements:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    # ------------------------------------------------------------ the lock file

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

    # ------------------------------------------------------------ life cycle

    def close(self) -> None:
        """Checkpoint and close; safe to call twice."""
        try:
            self._db.close()
        finally:
            self._release_lock()

    def backup_to(self, path: str | Path) -> None:
        """A consistent copy of the state, in one file (``state backup``, the dry run's copy).

        SQLite's online backup reads one snapshot while the bot writes on (Specs:
        https://www.sqlite.org/backup.html). The copy is owner-only like the state, leaves WAL
        mode so that it is whole without a ``-wal`` file beside it, and is written beside
        ``path`` then renamed onto it: ``path`` is never a half copy."""
        final = Path(path)
        try:
            # mkstemp makes the file 0600; SQLite takes an empty file for a new database.
            handle, partial = tempfile.mkstemp(prefix=f".{final.name}.", dir=final.parent)
            os.close(handle)
        except OSError as e:
            raise StoreError(self.path, f"cannot copy the state file to {final}: {e}") from e
        try:
            self._copy_into(partial)
            Path(partial).replace(final)
        except (sqlite3.Error, OSError) as e:
            with contextlib.suppress(OSError):
                Path(partial).unlink()
            raise StoreError(self.path, f"cannot copy the state file to {final}: {e}") from e

    def _copy_into(self, path: str) -> None:
        """The online backup into a new database file, left in rollback-journal mode."""
        target = sqlite3.connect(path)
        try:
            self._db.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()

    # ------------------------------------------------------------ statements

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

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: its queries see one snapshot of the state."""
        try:
            self._db.execute("BEGIN")
            yield self._db
        except sqlite3.Error as e:
            raise StoreError(self.path, str(e)) from e
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("COMMIT")

    def trace(self, callback: Callable[[str], object] | None) -> None:
        """Hand every SQL statement run from now on to ``callback`` (None stops): for tests
        that count transactions, and for debugging."""
        self._db.set_trace_callback(callback)

    def _write(self, sql: str, params: Sequence[object] = ()) -> int:
        """One statement in its own transaction; returns the number of rows it changed."""
        with self._tx() as db:
            return db.execute(sql, params).rowcount

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise StoreError(self.path, str(e)) from e

    def _stream(self, sql: str, params: Sequence[object]) -> Iterator[tuple[Any, ...]]:
        """SQLite's cursor steps through the rows as they are asked for."""
        try:
            yield from self._db.execute(sql, params)
        except sqlite3.Error as e:
            raise StoreError(self.path, str(e)) from e

    def _tables(self) -> list[str]:
        rows = self._query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
            " ORDER BY name"
        )
        return [str(r[0]) for r in rows]
