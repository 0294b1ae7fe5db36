"""Making the digests that are due: read their held matches, render, write in one transaction.

:func:`roll_due` makes every digest due at ``now`` (``alerts.digest.due_at``): its held matches
are read, rendered as one message or its parts (``alerts.message.digest``), and written in one
store transaction that marks them digested and queues the parts (``alerts.store.digests``).
Reading, rendering and writing run without an ``await`` in between, so a trip of the same
process cannot hold a match for the digest half way. The courier then delivers the parts like
any alert: exactly once, in order, paced; a crash before the commit makes the digest again at
the next start, with every match it held.

:func:`next_due` says when the next digest falls due, so that the service wakes then; the
service also makes the due digests at start (those that fell due while it was down) and
``run --once`` before its delivery.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime

from alerts.config import Config
from alerts.digest import due_at, label
from alerts.logs import event
from alerts.message.digest import render_digest
from alerts.models import Alert, HeldAlert
from alerts.store import DIGEST_RULE, StoreType

log = logging.getLogger("alerts.digest")


def digest_parts(config: Config, chat: str, digest: str, held: Sequence[HeldAlert]) -> list[Alert]:
    """The messages of one digest, with keys unique to it (its first match's row id)."""
    name = label(config, chat, digest)
    texts = render_digest(name, held, config.message.timezone)
    seed = f"{chat}\n{digest}\n{held[0].id}".encode()
    base = "digest-" + hashlib.sha256(seed).hexdigest()[:24]
    silent = all(h.silent for h in held)  # every match was of a silent rule
    count = len(texts)
    return [
        Alert(key=f"{base}-{i}", chat=chat, rule=DIGEST_RULE,
              title=name + (f" ({i}/{count})" if count > 1 else ""), link="", text=text,
              disable_notification=silent, source="bot")
        for i, text in enumerate(texts, start=1)
    ]  # fmt: skip


def due(store: StoreType, config: Config, now: datetime) -> list[tuple[str, str]]:
    """(chat, digest) of every digest due at ``now``, oldest first."""
    return [(chat, digest) for chat, digest, oldest in store.held_digests()
            if due_at(config, chat, digest, oldest) <= now]  # fmt: skip


def roll_due(store: StoreType, config: Config, now: datetime) -> list[str]:
    """Make every digest due at ``now``; the keys of the messages queued."""
    queued: list[str] = []
    for chat, digest in due(store, config, now):
        held = store.held_alerts(chat, digest)
        if not held:
            continue
        parts = digest_parts(config, chat, digest, held)
        if store.roll_digest(held, parts, now):
            queued += [p.key for p in parts]
            event(log, logging.INFO, "digest_queued", chat_id=chat, digest=digest,
                  matches=len(held), messages=len(parts))  # fmt: skip
    return queued


def next_due(store: StoreType, config: Config) -> datetime | None:
    """When the next digest falls due (None: no match is held)."""
    times = [due_at(config, chat, digest, oldest) for chat, digest, oldest in store.held_digests()]
    return min(times, default=None)
