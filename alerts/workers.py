"""Several workers on one PostgreSQL database: ``bot.py run`` on each machine, with the same
``config.yaml``, the same ``DATABASE_URL`` and the same token. No protocol of our own: only
what PostgreSQL gives (row locks with ``FOR UPDATE SKIP LOCKED``, leases with expiry, advisory
locks that end with their session or transaction).

Policy, and the bounds it gives:

- **Polling.** A worker claims at start, as soon as one of its trips ends, and every
  ``claimer.CLAIM_EVERY`` (1 s), up to its free fetch slots (``polling.concurrency`` less the
  trips it runs), of the due, unleased feeds (``alerts.claimer``, ``store.pg_cluster``): each
  due feed goes to exactly one worker. The lease is
  ``LEASE_FETCHES`` (2) fetch timeouts, the feed's fetch then its article pages; the trip's one
  write ends it and sets the next due poll one interval after the write, so no feed is polled
  twice within its interval. A claimed feed stays out of reach for its interval plus the lease:
  a killed worker's feeds are polled again by another within interval + lease + 1 s, which is
  within two intervals whenever 2 x ``polling.timeout`` + 1 s <= the interval (20 s timeouts:
  intervals of 41 s or more; the default 5 min has room). SQLite (one process) claims nothing:
  its APScheduler jobs poll as before.
- **Delivery.** A chat is drained by the worker holding its CHAT advisory lock (session): order
  and pace per chat hold across workers, and the pace counts every worker's sends (the send log
  is in the store). A worker that takes a chat counts the sends a dead drainer left unanswered
  (they may have been posted: at most one repeat per kill, the documented crash window). A dead
  worker's chats are taken within ``scheduler.WAKE_EVERY`` (10 s) of its session's end: at
  once for a killed process, within about 25 s for a machine that vanished (``store.pg.KEEPALIVE``).
  A lock session that ends while its worker lives (the server restarted, the connection
  dropped) is noticed within a claim tick (1 s): the worker stops, exit 1, for its supervisor
  to restart (``alerts.claimer``). A worker stopped by SIGTERM hands back the feeds whose trip
  it had not written: due at once for the others.
- **Dedup.** A trip that would alert takes the DEDUP advisory lock of each chat it alerts to
  (one transaction, sorted: no deadlock), brings its window up to date with the stories other
  workers committed in those chats since (ids grow in commit order within a chat), decides
  again if any came, and writes in that transaction: two workers finding one story at one
  moment give one alert. A claim also brings the window up to date for every chat (at most
  once a ``claimer.CLAIM_EVERY``).
- **Config.** Every worker checks its ``config.yaml`` every ``scheduler.RELOAD_EVERY`` (1 s):
  once the file is the same on every machine, two workers run different rules for at most 2 s.
  Each reload writes its feeds and intervals to the store (the last writer's list is claimed).
- **Admin commands.** Telegram allows one ``getUpdates`` consumer per token: the listener runs
  on the worker holding the LISTEN advisory lock; when that worker dies, another takes it at
  its next tick, within ``scheduler.WAKE_EVERY`` (10 s) of the session's end.

Not taken: procrastinate (a PostgreSQL task queue with ``SKIP LOCKED`` and LISTEN/NOTIFY) would
own a schema, migrations and a worker life cycle of its own beside ours, and a poll is not a
task to queue but a feed row whose due time and lease belong with its state; it has nothing
for per-chat order, pace or dedup. APScheduler 4's SQLAlchemy data store shares schedules
between schedulers with leases, but it is pre-release, brings SQLAlchemy and its own tables,
and schedules jobs, not our per-chat locks; APScheduler 3 (ours) has no shared store with
leases at all. A claim is one UPDATE and a lock is one function call: ours to keep.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from alerts.config import Config, FeedConfig
from alerts.dedup.window import Entry, StoryWindow
from alerts.logs import event
from alerts.store import StoreType

if TYPE_CHECKING:
    from alerts.decide import Decision
    from alerts.scheduler import Listener
    from alerts.store.pg import SessionLocks
    from alerts.store.pg_store import PgStore

log = logging.getLogger("alerts.workers")

LEASE_FETCHES = 2  # a trip's lease, in fetch timeouts: the feed, then its article pages
# Session advisory lock classes (``store.pg.SessionLocks``): a chat's drainer, the listener.
CHAT_LOCK, LISTEN_LOCK = 0x616C6563, 0x616C656C  # 'alec', 'alel'


def open_cluster(store: StoreType) -> Cluster | None:
    """The workers' coordination on a PostgreSQL store; None on SQLite (one process)."""
    if "alerts.store.pg_store" not in sys.modules:  # PostgreSQL was never opened here
        return None
    from alerts.store.pg_store import PgStore

    return Cluster(store) if isinstance(store, PgStore) else None


def lease(config: Config) -> float:
    """Seconds a trip may take before its feed may be claimed again."""
    return LEASE_FETCHES * config.polling.timeout.total_seconds()


class Cluster:
    """One worker's part: its claims, its chat locks, its window catching up."""

    def __init__(self, store: PgStore) -> None:
        self.store = store
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.locks: SessionLocks = store.session_locks()
        self.heads = store.story_heads()  # the newest story of each chat this window holds
        self.mine: set[str] = set()  # alert keys this worker wrote: in its window already

    # ------------------------------------------------------------ polling

    def sync(self, ctx_config: Config, interval: Callable[[FeedConfig], float]) -> None:
        """The config's feeds and intervals into the store; a new one is due within jitter."""
        now, jitter = datetime.now(UTC).timestamp(), ctx_config.polling.jitter.total_seconds()
        self.store.sync_feeds(
            [(f.url, interval(f), now + random.uniform(0, jitter)) for f in ctx_config.feeds]
        )

    def claim(self, config: Config, free: int) -> list[FeedConfig]:
        """Up to ``free`` due feeds for this worker to poll now (``alerts.claimer``)."""
        now = datetime.now(UTC)
        urls = self.store.claim_feeds(self.owner, free, lease(config), now)
        known = {f.url: f for f in config.feeds}
        if unknown := [u for u in urls if u not in known]:  # a newer config elsewhere
            self.store.release_feeds(unknown, now)
        return [known[u] for u in urls if u in known]

    def release(self, urls: list[str]) -> int:
        """Feeds this worker claimed and will not poll (it stops): those whose trip is not
        written (still leased to it) are due at once for the others; how many."""
        if not urls:
            return 0
        return self.store.release_feeds(urls, datetime.now(UTC), owner=self.owner)

    # ------------------------------------------------------------ dedup

    def record(
        self, window: StoryWindow, decide: Callable[[], Decision], now: datetime
    ) -> tuple[Decision, frozenset[str]]:
        """Decide and write a trip, serialised per chat with the other workers: under the
        chats' DEDUP locks the window catches up, and the trip is decided again if it did."""
        decision = decide()
        chats = _alerted(decision)
        while chats:
            with self.store.serialised(chats):
                if self.catch_up(window, chats):
                    decision = decide()
                wanted = _alerted(decision)
                if wanted <= chats:
                    queued = self.store.update_feed(decision.intent, now)
                    self.mine.update(queued)
                    return decision, queued
            chats |= wanted  # the new decision alerts elsewhere too: lock those as well
        return decision, self.store.update_feed(decision.intent, now)

    def catch_up(self, window: StoryWindow, chats: set[str]) -> int:
        """The stories other workers committed in ``chats`` since the window last looked, into
        the window; how many came."""
        added = 0
        heads = {c: self.heads.get(c, 0) for c in chats}
        for story_id, (chat, key, alert_key, at, source, _, _) in self.store.stories_after(heads):
            self.heads[chat] = max(self.heads.get(chat, 0), story_id)
            if alert_key in self.mine:
                self.mine.discard(alert_key)  # written by this worker: added after its commit
                continue
            window.add(chat, Entry(key, alert_key, at, source))
            added += 1
        return added

    def catch_up_all(self, config: Config, window: StoryWindow) -> int:
        """``catch_up`` for every chat the config routes to or the window holds."""
        routed = {config.chat_of(rule) for rule in config.rules}
        chats = {c for c in routed if c} | set(window.chats()) | set(self.heads)
        return self.catch_up(window, chats)

    # ------------------------------------------------------------ delivery: the courier's gate

    def take(self, chat: str) -> bool:
        """Whether this worker may drain ``chat`` now (another drains it otherwise)."""
        if not self.locks.take(CHAT_LOCK, chat):
            return False
        if unanswered := self.store.log_unanswered_chat(chat, datetime.now(UTC)):
            event(log, logging.INFO, "unanswered_sends_counted", chat_id=chat, sends=unanswered)
        return True

    def give(self, chat: str) -> None:
        """This worker no longer drains ``chat``."""
        self.locks.give(CHAT_LOCK, chat)

    # ------------------------------------------------------------ the admins' listener

    def elected(self, listener: Listener) -> Listener:
        """``listener``, started only on the worker that holds the LISTEN lock."""
        return Elected(listener, self.locks)

    def close(self) -> None:
        """End the lock session: its chats and the listener go to the other workers."""
        self.locks.close()


class Elected:
    """A listener that listens only while its worker holds the LISTEN lock."""

    def __init__(self, inner: Listener, locks: SessionLocks) -> None:
        self.inner, self.locks, self.held = inner, locks, False

    @property
    def running(self) -> bool:
        """Whether it listens."""
        return self.inner.running

    async def start(self) -> None:
        """Listen if this worker is (or now becomes) the listener; else try again next tick."""
        if not self.held:
            self.held = self.locks.take(LISTEN_LOCK, "listener")
            if not self.held:
                return
            event(log, logging.INFO, "listener_elected")
        await self.inner.start()

    async def stop(self) -> None:
        """Stop listening and let another worker be the listener."""
        await self.inner.stop()
        if self.held:
            self.locks.give(LISTEN_LOCK, "listener")
            self.held = False


def _alerted(decision: Decision) -> set[str]:
    """The chats a decision alerts to."""
    return {alert.chat for alert, _ in decision.intent.alerts}
