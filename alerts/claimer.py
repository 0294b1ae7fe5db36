"""The workers' claim loop (``alerts.workers``): which due feeds this worker polls, and when.

Policy: a worker claims at start, again as soon as one of its trips ends, and every
``CLAIM_EVERY`` (1 s) when none ends (a feed falls due, another worker's lease ran out); each
time up to its free fetch slots (``polling.concurrency`` less the trips it runs). Claiming only
on a 1 s tick capped a worker at ``concurrency`` trips a second (32 feeds/s, 1785 feeds a
minute against the SQLite bot's 3507 on 1,000 feeds); refilling a slot when it frees keeps
every slot busy while feeds are due. Not a busy loop: a claim follows a trip's end or the
tick, and trips that end while a claim runs are served by the next one together. The window
catches up with the other workers' stories at most once per ``CLAIM_EVERY`` (a trip that would
alert catches up again under its chats' locks, ``Cluster.record``: the guarantee is there).

Each due feed still goes to exactly one worker (the claim is the store's one ``FOR UPDATE SKIP
LOCKED`` statement) and a killed worker's feeds still wait out interval + lease. A worker that
stops (SIGTERM) cancels its trips and hands back the feeds whose trip it had not written: due
at once for the other workers (a fetch it cancelled may be repeated; nothing of it was
recorded). Its lock session is checked on every claim: one that ended while the process lives
(the server restarted, the connection dropped) released its chats and the listener to the
others, so the worker stops (exit 1, its supervisor restarts it) within a claim tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING

from alerts.config import FeedConfig
from alerts.errors import StoreError
from alerts.logs import event

if TYPE_CHECKING:
    from alerts.pipeline import Context
    from alerts.workers import Cluster

log = logging.getLogger("alerts.claimer")

CLAIM_EVERY = 1.0  # seconds: a claim when no trip ends; a feed falling due waits at most this

Poll = Callable[[FeedConfig], Coroutine[object, object, None]]


def claimer(ctx: Callable[[], Context], poll: Poll, fail: Callable[[BaseException], None]
            ) -> Claimer | None:  # fmt: skip
    """The claim loop of a worker on PostgreSQL; None on SQLite (APScheduler's jobs poll)."""
    cluster = ctx().cluster
    return None if cluster is None else Claimer(cluster, ctx, poll, fail)


class Claimer:
    """One worker's claims: each claimed feed is polled in a task of its own."""

    def __init__(
        self,
        cluster: Cluster,
        ctx: Callable[[], Context],
        poll: Poll,
        fail: Callable[[BaseException], None],
    ) -> None:
        self.cluster, self.ctx, self.poll, self.fail = cluster, ctx, poll, fail
        self.trips: dict[asyncio.Task[None], str] = {}  # running trip -> its feed's URL
        self.ended = asyncio.Event()  # a trip ended: a slot is free
        self._caught_up = self._checked = -CLAIM_EVERY  # monotonic: catch-up, session check
        self._loop: asyncio.Task[None] | None = None

    def sync(self) -> None:
        """The config's feeds and intervals into the store (at start, after each reload)."""
        ctx = self.ctx()
        self.cluster.sync(ctx.config, lambda f: ctx.interval(f).total_seconds())

    def start(self) -> None:
        """Start claiming (at once)."""
        self._loop = asyncio.create_task(self.run())

    async def run(self) -> None:
        """Claim at start, after each trip's end, and every CLAIM_EVERY otherwise."""
        while True:
            self.ended.clear()  # ends from here on wake the next claim
            if not self._session_held():
                return
            try:
                self.claim()
            except StoreError as e:  # the database is away: try again at the tick
                event(log, logging.ERROR, "claim_failed", error=e.reason)
                await asyncio.sleep(CLAIM_EVERY)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ended.wait(), CLAIM_EVERY)

    def _session_held(self) -> bool:
        """Once per CLAIM_EVERY: whether the lock session lives (else the service stops)."""
        if time.monotonic() - self._checked < CLAIM_EVERY:
            return True
        try:
            self.cluster.locks.check()  # the chats and the listener are still this worker's
        except StoreError as e:
            event(log, logging.CRITICAL, "lock_session_lost", error=e.reason)
            self.fail(e)
            return False
        self._checked = time.monotonic()
        return True

    def claim(self) -> None:
        """Claim up to the free slots, and start a trip for each claimed feed."""
        ctx, now = self.ctx(), time.monotonic()
        if now - self._caught_up >= CLAIM_EVERY:
            self.cluster.catch_up_all(ctx.config, ctx.window)
            self._caught_up = now
        free = ctx.config.polling.concurrency - len(self.trips)
        if free <= 0:
            return
        for feed in self.cluster.claim(ctx.config, free):
            task = asyncio.create_task(self.poll(feed))
            self.trips[task] = feed.url
            task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self.trips.pop(task, None)
        self.ended.set()

    async def stop(self) -> None:
        """Cancel the trips and hand back the feeds whose trip was not written."""
        if self._loop is not None:
            self._loop.cancel()
        urls = list(self.trips.values())
        for task in list(self.trips):
            task.cancel()
        await asyncio.gather(*self.trips, return_exceptions=True)
        try:
            released = self.cluster.release(urls)
        except StoreError as e:  # their leases run out instead (interval + lease)
            event(log, logging.WARNING, "claims_not_released", feeds=len(urls), error=e.reason)
            return
        if released:
            event(log, logging.INFO, "claims_released", feeds=released)
