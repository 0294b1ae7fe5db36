"""Which store a state names, and opening it: a file path is SQLite (the default), a
``postgresql://`` URL is PostgreSQL.

Where the state is, and the password policy:

- ``DATABASE_URL`` in the environment, when set, wins over the config's ``state``: the
  deployment decides the database (several workers share one ``config.yaml``, each machine
  its own environment), and it is the one place a password may be written.
- ``state: postgresql://user@host/db`` in the config may not hold a password (``check``
  refuses it): config files are copied, shared and committed. Without DATABASE_URL, libpq's
  own ``PGPASSWORD`` or ``~/.pgpass`` give the password to a URL without one.

A URL is shown (errors, logs, ``status``) without its password: ``redact``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from alerts.errors import StoreError
from alerts.store.protocol import StoreType

if TYPE_CHECKING:
    from alerts.store import Store
    from alerts.store.pg_store import PgStore

SCHEMES = ("postgresql://", "postgres://")
ENV = "DATABASE_URL"


def is_database_url(state: str) -> bool:
    """Whether a state names a PostgreSQL database rather than a SQLite file."""
    return state.strip().lower().startswith(SCHEMES)


def password_in(url: str) -> bool:
    """Whether a database URL carries a password (``user:pw@`` or ``?password=``)."""
    parts = urlsplit(url)
    return parts.password is not None or any(
        k == "password" for k, _ in parse_qsl(parts.query, keep_blank_values=True)
    )


def redact(url: str) -> str:
    """A database URL as it may be shown: without its password, wherever it was given."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))


def location(state: str) -> str:
    """Where the state really is: ``DATABASE_URL`` if set, else the config's ``state``."""
    env = os.environ.get(ENV, "").strip()
    if env and not is_database_url(env):
        raise StoreError(ENV, "not a postgresql:// URL (unset it to use the config's state)")
    return env or state


def shown(state: str) -> str:
    """The state's location as messages name it (no password)."""
    where = location(state)
    return redact(where) if is_database_url(where) else where


def open_store(state: str, *, lock: bool = False) -> StoreType:
    """The store at ``location(state)``: PostgreSQL for a URL, else the SQLite file. With
    ``lock``, a second bot on the same state is refused while this one has it open."""
    return open_at(location(state), lock=lock)


def open_at(where: str, *, lock: bool = False) -> Store | PgStore:
    """The store at exactly ``where`` (a URL or a file; ``DATABASE_URL`` not asked)."""
    if is_database_url(where):
        from alerts.store.pg_store import PgStore  # psycopg is loaded only for PostgreSQL

        return PgStore(where, lock=lock)
    from alerts.store import Store

    return Store(where, lock=lock)


def in_use(store: StoreType) -> bool:
    """Whether a bot process runs on this store's state right now (for ``status``)."""
    from alerts.store import Store

    if isinstance(store, Store):
        return Store.in_use(store.path)
    from alerts.store.pg_store import PgStore

    return isinstance(store, PgStore) and store.in_use()
