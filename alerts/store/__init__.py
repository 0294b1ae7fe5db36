"""The store: what the bot keeps between polls and across restarts, in one SQLite file (the
default) or a PostgreSQL database (``state: postgresql://...`` or ``DATABASE_URL``).

It keeps each feed's state (validators, error streak, health), the items seen per feed, the
stories alerted recently (the dedup window is loaded from them, and the clusters of their other
sources), the outbox of alerts and operator notices with their delivery status, the log of
sends that paces each chat, the mutes and the buttons under alerts, and a few kept values
(paused, started at). Times are UNIX seconds (UTC) inside, aware datetimes outside.

Transaction rules: every write method is one transaction, all of it or none of it. A poll of a
feed reads once (``feed_for_update``: its state and seen ids) and writes once
(``update_feed``: validators, seen items, new stories and their alerts, cluster joins, or its
failure and health, and the operators' notices), so a crash leaves all of a poll or none: an
item is never marked seen without its alert queued. An alert is marked sent only after
Telegram returned its message id, and its send intent is written just before the call, so a
crash in between is told apart. Any failure of the database is a ``StoreError`` naming the file.

``Store`` is the SQLite backend, made of one mixin per side over the connection:
``connection`` (open, lock file, WAL, transactions), ``schema`` (migrations), ``feeds`` (the
poll side), ``outbox`` (the delivery side), ``operators`` (status, re-drive, kept values,
retention), ``mutes`` (mutes and the buttons under alerts), ``digests`` (matches held for
digests). The mixins' SQL runs on any
``base.Backend``: ``pg_store.PgStore`` is the same mixins over ``pg`` (psycopg's pool,
transactions) with ``pg_schema`` (its migrations).
``protocol`` lists the public methods by side and topic; ``factory.open_store`` opens the
backend a state names; ``transfer`` copies a whole state between backends (``state migrate``).
"""

from __future__ import annotations

from alerts.store.connection import Connection
from alerts.store.digests import DIGEST_RULE, DigestsMixin
from alerts.store.factory import in_use, is_database_url, open_store, shown
from alerts.store.feeds import FeedsMixin
from alerts.store.mutes import MutesMixin
from alerts.store.operators import OperatorsMixin
from alerts.store.outbox import OutboxMixin
from alerts.store.protocol import (
    FAILED,
    NOTICE_RULE,
    PAUSED_KEY,
    PENDING,
    SENT,
    STARTED_KEY,
    StoreType,
)
from alerts.store.schema import SCHEMA_VERSION

__all__ = [
    "DIGEST_RULE",
    "FAILED",
    "NOTICE_RULE",
    "PAUSED_KEY",
    "PENDING",
    "SCHEMA_VERSION",
    "SENT",
    "STARTED_KEY",
    "Store",
    "StoreType",
    "in_use",
    "is_database_url",
    "open_store",
    "shown",
]


class Store(FeedsMixin, OutboxMixin, OperatorsMixin, MutesMixin, DigestsMixin, Connection):
    """The SQLite state file; one instance per process, used from one thread."""


# mypy checks here that the SQLite Store implements every method of the Protocol.
_implements: type[StoreType] = Store
