"""The PostgreSQL backend's connection (psycopg 3 and its pool are imported here only): the
pool, migrations under an advisory lock, transactions, queries, streaming, and closing.

Connections are in autocommit mode, so every transaction is explicit, as on SQLite: writes
run at READ COMMITTED (each statement sees what committed before it; the outbox's unique key
and ``ON CONFLICT`` keep an alert queued once even when two writers race), reads at
REPEATABLE READ, READ ONLY (a trip's one read sees one snapshot). A transaction is a
``Tx``: the later multi-worker store adds its row locks (``FOR UPDATE SKIP LOCKED``) and
advisory locks as statements inside one, nothing else changes.

The pool keeps 1 to 4 connections (the event loop, the background embedder, a streamed
window load) and checks a connection before lending it, so a restarted server costs a
reconnect, not a failed poll. Opening connects once directly first: an unreachable server or
a bad URL fails at once with the driver's reason, not after the pool's wait. Every
``psycopg.Error`` leaves this module as a ``StoreError`` naming the database by its URL
without the password (``factory.redact``).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
import psycopg_pool

from alerts.errors import StoreError
from alerts.store import pg_schema
from alerts.store.base import Backend, Cursor, Db

CONNECT_TIMEOUT_S = 10  # a server that does not answer fails the open, not hangs it
POOL_MAX = 4
STREAM_BATCH = 2000  # rows a streamed query fetches at a time
# Advisory lock keys: (class, the schema's hash), so that bots on two schemas of one
# database are apart. MIGRATE is held while migrating: a second opener waits on it, then finds
# the schema migrated. RUN is held by every running worker for its life, shared (workers share
# a state; ``status`` sees it held, and a tool that needs the state to itself can take it
# exclusively). DEDUP is a chat's dedup decision (per transaction: ``serialised``); a named
# lock adds its name to the schema's hash (``alerts.workers`` has the session ones).
MIGRATE_LOCK, RUN_LOCK, DEDUP_LOCK = 0x616C6572, 0x616C6573, 0x616C6564  # 'aler' 'ales' 'aled'
# The lock session's server-side keepalive: a worker whose machine vanished (no FIN) loses its
# session, and its locks, after 10 + 3 x 5 = 25 s of silence (Linux servers).
KEEPALIVE = ("SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5",
             "SET tcp_keepalives_count = 3")  # fmt: skip
_KEY = "%s, hashtext(current_schema())"
_NAMED = "%s, hashtext(current_schema() || ':' || %s)"
# The transaction that ``serialised`` holds open: the writes of its block join it.
_OUTER: contextvars.ContextVar[Tx | None] = contextvars.ContextVar("alerts_pg_outer", default=None)


@functools.lru_cache(maxsize=512)
def placeholders(sql: str) -> str:
    """The shared SQL's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class Tx:
    """A PostgreSQL connection inside one transaction, as the shared SQL runs on it (``Db``)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        """One statement with ``?`` placeholders."""
        return self.conn.execute(placeholders(sql), parameters)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> object:
        """One statement per row (psycopg pipelines them: one round trip, not one per row)."""
        with self.conn.cursor() as cursor:
            cursor.executemany(placeholders(sql), parameters)
        return None


class PgConnection(Backend):
    """One PostgreSQL database, opened and migrated; its pool serves any thread."""

    def __init__(self, url: str, name: str, *, lock: bool = False) -> None:
        """``url`` is what libpq connects with (a password included, if any); ``name`` is how
        errors name the database (the URL without its password). ``lock``: refuse to open
        while another bot runs on this state, and hold it off until closed."""
        self.path, self._url = name, url
        self._holder: psycopg.Connection[Any] | None = None
        try:
            if lock:
                self._holder = self._take_lock()
            self._migrate()
            self._pool = psycopg_pool.ConnectionPool(
                url, min_size=1, max_size=POOL_MAX, open=False, name="alerts",
                kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
                check=psycopg_pool.ConnectionPool.check_connection, timeout=30,
            )  # fmt: skip
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as e:
            self.close()
            raise StoreError(self.path, f"cannot open the database: {e}") from e
        except BaseException:
            self.close()  # e.g. a schema newer than this bot: the lock is let go
            raise

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)

    def _take_lock(self) -> psycopg.Connection[Any]:
        """A connection of its own holding RUN_LOCK, shared with the other workers (ended with
        it, if the bot dies)."""
        conn = self._connect()
        conn.execute(f"SELECT pg_advisory_lock_shared({_KEY})", (RUN_LOCK,))
        return conn

    @staticmethod
    def _release_lock(holder: psycopg.Connection[Any]) -> None:
        """Let the run lock go before the session ends: the server ends a closed session's
        backend a moment after the client hangs up, so a bot started right after this one
        stopped could still find the lock held (seen in the tests)."""
        try:
            holder.execute(f"SELECT pg_advisory_unlock({_KEY})", (RUN_LOCK,))
        except psycopg.Error:
            pass  # the session is gone already, and its locks with it
        finally:
            holder.close()

    def in_use(self) -> bool:
        """Whether a bot process holds this state's run lock right now."""
        if self._holder is not None:
            return True
        try:
            with self._connect() as conn:
                row = conn.execute(f"SELECT pg_try_advisory_lock({_KEY})", (RUN_LOCK,))
                return not next(iter(row.fetchall()))[0]  # the lock ends with the connection
        except psycopg.Error as e:
            raise StoreError(self.path, str(e).strip()) from e

    def _migrate(self) -> None:
        """The migrations the database lacks, each in its own transaction, under the lock."""
        with self._connect() as conn:
            conn.execute(f"SELECT pg_advisory_lock({_KEY})", (MIGRATE_LOCK,))
            try:
                conn.execute(pg_schema.VERSION_TABLE)
                row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                version = int(next(iter(row.fetchall()))[0])
                for number, statements in pg_schema.steps(version, self.path):
                    with conn.transaction():
                        for statement in statements:
                            conn.execute(statement)
                        conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))
            finally:
                conn.execute(f"SELECT pg_advisory_unlock({_KEY})", (MIGRATE_LOCK,))

    # ------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Tx]:
        """One write transaction: all of it or none of it, whatever fails; inside
        ``serialised``, the block's own transaction."""
        outer = _OUTER.get()
        if outer is not None:
            yield outer
            return
        with self._transaction("BEGIN") as tx:
            yield tx

    @contextlib.contextmanager
    def serialised(self, names: Iterable[str]) -> Iterator[None]:
        """One write transaction holding DEDUP_LOCK for each name (a chat) until it ends: a
        second worker deciding for one of these chats waits here. The store's writes inside
        the block are part of it. Taken in sorted order, so two workers never deadlock."""
        with self._transaction("BEGIN") as tx:
            for name in sorted(set(names)):
                tx.conn.execute(f"SELECT pg_advisory_xact_lock({_NAMED})", (DEDUP_LOCK, name))
            token = _OUTER.set(tx)
            try:
                yield
            finally:
                _OUTER.reset(token)

    def session_locks(self) -> SessionLocks:
        """A connection of its own for locks held across transactions (a chat's drainer, the
        listener); each lock ends with ``unlock``, or with the session if the worker dies."""
        try:
            conn = self._connect()
            for statement in KEEPALIVE:
                conn.execute(statement)
            return SessionLocks(conn, self.path)
        except psycopg.Error as e:
            raise StoreError(self.path, str(e).strip()) from e

    @contextlib.contextmanager
    def _read(self) -> Iterator[Tx]:
        """One read transaction: its queries see one snapshot of the state."""
        with self._transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY") as tx:
            yield tx

    @contextlib.contextmanager
    def _transaction(self, begin: str) -> Iterator[Tx]:
        """A pooled connection inside ``begin`` ... COMMIT, rolled back on any exception."""
        try:
            with self._pool.connection() as conn:
                conn.execute(begin)
                try:
                    yield Tx(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(psycopg.Error):
                        conn.execute("ROLLBACK")
                    raise
        except psycopg.Error as e:  # the pool's errors (closed, timed out) are psycopg's too
            raise StoreError(self.path, str(e).strip()) from e

    def _stream(self, sql: str, params: Sequence[object]) -> Iterator[tuple[Any, ...]]:
        """A server-side cursor inside a read transaction (``stream``)."""
        with self._read() as tx:
            yield from stream(tx, sql, params)

    def _tables(self) -> list[str]:
        rows = self._query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema() AND table_type = 'BASE TABLE' AND table_name != 'schema_version'"
            " ORDER BY table_name"
        )
        return [str(r[0]) for r in rows]

    def _claim(self, db: Db, tables: Sequence[str]) -> None:
        """No bot writes these tables until the transaction ends (reads go on)."""
        names = ", ".join(f'"{t}"' for t in tables)
        db.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")

    def _renumber(self, db: Db, tables: Sequence[str]) -> None:
        """After rows came in with their ids: each identity goes on past the largest id."""
        for (table,) in db.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND column_name = 'id' AND is_identity = 'YES'"
        ).fetchall():
            if table in tables:  # a name the database listed, not input
                top = f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1'  # noqa: S608
                db.execute(f"SELECT setval(pg_get_serial_sequence(?, 'id'), {top}, false)",
                           (f'"{table}"',))  # fmt: skip

    # ------------------------------------------------------------ life cycle

    def check_file(self) -> None:
        """Nothing to check: a server's database cannot be swapped under an open connection
        the way a file can be replaced; a dropped one fails the next statement instead."""

    def close(self) -> None:
        """Close the pool and its connections; safe to call twice."""
        pool: psycopg_pool.ConnectionPool[Any] | None = getattr(self, "_pool", None)
        try:
            if pool is not None:
                pool.close()
        finally:
            if self._holder is not None:
                self._release_lock(self._holder)
                self._holder = None


class SessionLocks:
    """Advisory locks held by one session (connection): taken without waiting, released one
    by one, or all at once when the connection closes (or the worker's process dies)."""

    def __init__(self, conn: psycopg.Connection[Any], path: str) -> None:
        self._conn, self.path = conn, path

    def take(self, kind: int, name: str) -> bool:
        """Whether this session now holds the lock (it may hold it already: counted twice)."""
        return bool(self._call(f"SELECT pg_try_advisory_lock({_NAMED})", kind, name))

    def give(self, kind: int, name: str) -> None:
        """Release one hold of the lock."""
        self._call(f"SELECT pg_advisory_unlock({_NAMED})", kind, name)

    def check(self) -> None:
        """StoreError if the session has ended (the connection dropped: its locks went with it)."""
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error as e:
            raise StoreError(self.path, f"advisory lock session: {str(e).strip()}") from e

    def _call(self, sql: str, kind: int, name: str) -> object:
        try:
            return self._conn.execute(sql, (kind, name)).fetchall()[0][0]
        except psycopg.Error as e:  # the session is gone, and its locks with it
            raise StoreError(self.path, f"advisory lock: {str(e).strip()}") from e

    def close(self) -> None:
        """End the session: every lock it holds is released."""
        self._conn.close()


@contextlib.contextmanager
def read_only(url: str, name: str) -> Iterator[Tx]:
    """A READ ONLY snapshot on a connection of its own, no pool, no migration (``backtest``)."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield Tx(conn)  # closing the connection ends the transaction: nothing to commit
    except psycopg.Error as e:
        raise StoreError(name, str(e).strip()) from e


def stream(tx: Tx, sql: str, params: Sequence[object]) -> Iterator[tuple[Any, ...]]:
    """A query's rows through a server-side cursor: ``STREAM_BATCH`` rows at a time."""
    with tx.conn.cursor(name="alerts_stream") as cursor:
        cursor.itersize = STREAM_BATCH
        yield from cursor.execute(placeholders(sql), params)
