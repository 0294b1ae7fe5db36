"""The PostgreSQL store: the shared mixins' SQL over a PostgreSQL connection (``pg``).

It offers what the SQLite ``Store`` offers through the store Protocol, on a database that
several machines can reach, and what several workers on it need (``pg_cluster``: claims,
leases, the window's catching up; ``pg``: the advisory locks); opened by
``alerts.store.open_store`` when the state is a ``postgresql://`` URL (or ``DATABASE_URL``).
"""

from __future__ import annotations

from alerts.store.digests import DigestsMixin
from alerts.store.factory import redact
from alerts.store.feeds import FeedsMixin
from alerts.store.mutes import MutesMixin
from alerts.store.operators import OperatorsMixin
from alerts.store.outbox import OutboxMixin
from alerts.store.pg import PgConnection
from alerts.store.pg_cluster import ClusterMixin
from alerts.store.protocol import StoreType


class PgStore(
    ClusterMixin, FeedsMixin, OutboxMixin, OperatorsMixin, MutesMixin, DigestsMixin, PgConnection
):
    """A state in PostgreSQL; one instance per process (its pool serves any thread)."""

    def __init__(self, url: str, *, lock: bool = False) -> None:
        super().__init__(url, redact(url), lock=lock)


# mypy checks here that the PostgreSQL store implements every method of the Protocol.
_implements: type[StoreType] = PgStore
