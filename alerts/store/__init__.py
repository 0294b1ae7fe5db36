"""The store: what the bot keeps between polls and across restarts, in one SQLite file.

It keeps each feed's state (validators, error streak, health), the items seen per feed, the
stories alerted recently (the dedup window is loaded from them, and the clusters of their other
sources), the outbox of alerts and operator notices with their delivery status, the log of
sends that paces each chat, and a few kept values (paused, started at). Times are UNIX
seconds (UTC) inside, aware datetimes outside.

Transaction rules: every write method is one transaction, all of it or none of it. A poll of a
feed reads once (``feed_for_update``: its state and seen ids) and writes once
(``update_feed``: validators, seen items, new stories and their alerts, cluster joins, or its
failure and health, and the operators' notices), so a crash leaves all of a poll or none: an
item is never marked seen without its alert queued. An alert is marked sent only after
Telegram returned its message id, and its send intent is written just before the call, so a
crash in between is told apart. Any failure of the database is a ``StoreError`` naming the file.

``Store`` is the SQLite backend, made of one mixin per side over the connection:
``connection`` (open, lock file, WAL, transactions), ``schema`` (migrations), ``feeds`` (the
poll side), ``outbox`` (the delivery side), ``digests`` (matches held for digests),
``operators`` (status, re-drive, kept values, retention). ``protocol`` lists the public
methods by side and topic for a second backend.
"""

from __future__ import annotations

from alerts.store.digests import DIGEST_RULE, DigestsMixin
from alerts.store.feeds import FeedsMixin
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
]


class Store(FeedsMixin, OutboxMixin, OperatorsMixin, DigestsMixin):
    """The SQLite state file; one instance per process, used from one thread."""


# mypy checks here that the SQLite Store implements every method of the Protocol.
_implements: type[StoreType] = Store
