"""When each feed is polled and when alerts are delivered (APScheduler).

``run_once`` polls every feed once, then drains the outbox until it is empty or the deadline
passes. ``Service`` runs APScheduler's AsyncIOScheduler (one scheduler for all work): one
interval job per feed with jitter, ``max_instances=1`` so a feed is never polled twice at once,
``coalesce`` so a late job runs once; a feed in backoff skips its turns until its ``next_poll``
(the trip sees it in its one read, ``pipeline.poll_feed(backoff=True)``). Workers on one
PostgreSQL state claim their due feeds instead (``alerts.claimer``, ``alerts.workers``).
Delivery is the ``dispatcher``'s: one sender task per chat with alerts or edits waiting, woken
by a poll that found new items and every ``WAKE_EVERY`` seconds. That tick also checks that the
state file is still the one opened (deleted or replaced: the service stops, exit 1) and starts
the admins' command listener if the config names admins and it does not listen yet. Digests
are made when due: at start, then at the next due time (one date job, set again after each
poll that queued alerts, each digest and each reload), and on every tick as a safety net. A config
edit is applied within ``RELOAD_EVERY`` seconds (``config.watch``). APScheduler's two INFO lines
per job run are held at WARNING unless the log level is DEBUG. SIGINT/SIGTERM stop it: no new
polls or sends start, an in-flight send gets a grace period to finish (else its alert stays
pending), and the store is closed by the caller.
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from alerts.claimer import claimer
from alerts.config import Config, ConfigWatcher, FeedConfig, needs_restart
from alerts.delivery.courier import Courier
from alerts.delivery.destination import Destination
from alerts.digest_send import next_due, roll_due
from alerts.dispatcher import Dispatcher
from alerts.errors import ConfigError, InvalidTokenError, NotifyError, StoreError
from alerts.logs import event
from alerts.once import poll_all
from alerts.pipeline import Context, poll_feed
from alerts.store import STARTED_KEY

log = logging.getLogger("alerts.scheduler")

EXIT_OK = 0
EXIT_TEMPFAIL = 75  # sysexits.h EX_TEMPFAIL: try again later
SEND_GRACE = 10.0
WAKE_EVERY = 10.0  # seconds: the courier looks for pending alerts at least this often
RELOAD_EVERY = 1.0  # seconds between looks at the config file: an edit applies in 1-2 s


def prune(ctx: Context) -> None:
    """Forget what retention and the dedup window no longer need."""
    now = datetime.now(UTC)
    ctx.window.expire((now - ctx.config.dedup.window).timestamp())
    removed = ctx.store.prune(now, ctx.config.items.retention, ctx.config.dedup.window)
    if removed:
        event(log, logging.INFO, "store_pruned", rows=removed)


async def start_destination(destination: Destination) -> None:
    """Log in early so a bad token stops the bot at once; Telegram being down does not."""
    try:
        await destination.start()
    except InvalidTokenError:
        raise
    except NotifyError as e:
        event(log, logging.WARNING, "telegram_unreachable", error=e.reason)


async def run_once(ctx: Context, destination: Destination, deadline: timedelta) -> int:
    """Poll every feed once, deliver what is pending; 75 when Telegram kept failing."""
    prune(ctx)
    results = await poll_all(ctx)  # in config order, with a progress bar on a terminal
    failed = [r for r in results if r.status in ("failed", "error", "gone")]
    event(log, logging.INFO, "poll_cycle_done", feeds=len(results), failed=len(failed),
          alerts=sum(r.alerts for r in results))  # fmt: skip
    roll_due(ctx.store, ctx.config, datetime.now(UTC))  # digests due now, or while it was off
    await start_destination(destination)
    courier = Courier(ctx.store, destination, ctx.config.telegram.admins, ctx.observer)
    courier.gate = ctx.cluster or courier.gate  # workers: one drainer per chat
    done = await courier.drain(deadline=time.monotonic() + deadline.total_seconds())
    if not done:
        event(log, logging.WARNING, "delivery_deadline", pending=ctx.store.counts()["pending"])
        return EXIT_TEMPFAIL
    return EXIT_OK


class Listener(Protocol):
    """The operators' command listener (``telegram.CommandListener``)."""

    @property
    def running(self) -> bool:
        """Whether it listens."""

    async def start(self) -> None:
        """Start listening; Telegram unreachable is logged, and ``start`` is called again later."""

    async def stop(self) -> None:
        """Stop listening."""


class Service:
    """The long-running bot: scheduled polls and continuous delivery."""

    def __init__(
        self,
        ctx: Context,
        destination: Destination,
        watcher: ConfigWatcher | None = None,
        listener: Listener | None = None,
    ) -> None:
        self.ctx = ctx
        self.destination = destination
        self.watcher = watcher
        self.listener = listener
        self._triggers: dict[str, tuple[float, float]] = {}
        self.stop = asyncio.Event()
        self.dispatcher = Dispatcher(
            ctx.store, destination, ctx.config.telegram.admins, self.stop, self._fail, ctx.observer
        )
        self.wake = self.dispatcher.wake
        self.dispatcher.courier.gate = ctx.cluster or self.dispatcher.courier.gate
        self.fatal: BaseException | None = None
        self._polls: set[asyncio.Task[object]] = set()
        self._file_lost = False  # the state file was deleted or replaced: write nothing more
        self.claimer = claimer(lambda: self.ctx, self._poll, self._fail)  # None on SQLite

    async def run(self) -> int:
        """Run until a signal (or a fatal error); returns the exit code."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop.set)
        quiet_apscheduler()
        await start_destination(self.destination)
        self.ctx.store.set_meta(STARTED_KEY, str(datetime.now(UTC).timestamp()))
        for entry in self.ctx.store.in_doubt():
            event(log, logging.WARNING, "alert_in_doubt", chat_id=entry.alert.chat,
                  alert=entry.id, title=entry.alert.title)  # fmt: skip
        scheduler = self._jobs = self._scheduler()
        scheduler.start()
        self._digests()  # those that fell due while the bot was down go first
        await self._listen()
        self.wake.set()  # alerts left pending by an earlier run are sent first
        dispatcher = asyncio.create_task(self.dispatcher.run())
        if self.claimer is not None:
            self.claimer.start()
        event(log, logging.INFO, "service_started", feeds=len(self.ctx.config.feeds))
        await self.stop.wait()
        event(log, logging.INFO, "service_stopping")
        scheduler.shutdown(wait=False)
        dispatcher.cancel()
        await self._finish()
        return 1 if self.fatal else EXIT_OK

    def _fail(self, error: BaseException) -> None:
        """Something the service cannot go on after: stop, exit 1."""
        self.fatal = error
        self.stop.set()

    def _scheduler(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(timezone=UTC)
        self._schedule_feeds(scheduler)
        scheduler.add_job(lambda: prune(self.ctx), IntervalTrigger(hours=1, timezone=UTC))
        # Alerts re-driven or resumed from the command line, and retries, are picked up.
        scheduler.add_job(self._tick, IntervalTrigger(seconds=WAKE_EVERY, timezone=UTC),
                          max_instances=1)  # fmt: skip
        if self.watcher is not None:
            scheduler.add_job(self._watch, IntervalTrigger(seconds=RELOAD_EVERY, timezone=UTC),
                              max_instances=1, coalesce=True)  # fmt: skip
        return scheduler

    def _schedule_feeds(self, scheduler: AsyncIOScheduler) -> None:
        """One job per feed; after a reload, add new feeds, drop removed ones, retime changed.
        Workers: the feeds and their intervals go to the store, where they are claimed."""
        if self.claimer is not None:
            self.claimer.sync()
            return
        jitter = self.ctx.config.polling.jitter.total_seconds()
        wanted = {feed.url: feed for feed in self.ctx.config.feeds}
        for url in set(self._triggers) - set(wanted):
            scheduler.remove_job(url)
            del self._triggers[url]
        now = datetime.now(UTC)
        for url, feed in wanted.items():
            timing = (self.ctx.interval(feed).total_seconds(), jitter)
            trigger = IntervalTrigger(seconds=timing[0], jitter=jitter or None, timezone=UTC)
            if url not in self._triggers:
                first = now + timedelta(seconds=random.uniform(0, jitter))
                scheduler.add_job(self._poll, trigger, args=[feed], id=url, max_instances=1,
                                  coalesce=True, next_run_time=first,
                                  misfire_grace_time=None)  # fmt: skip
            else:
                scheduler.modify_job(url, args=[feed])
                if self._triggers[url] != timing:
                    scheduler.reschedule_job(url, trigger=trigger)
            self._triggers[url] = timing

    async def _watch(self) -> None:
        """Apply a valid edit of the config file; report an invalid one and keep the last good."""
        assert self.watcher is not None
        result = self.watcher.check()
        if isinstance(result, ConfigError):
            problems = "; ".join(str(p) for p in result.problems)
            event(log, logging.ERROR, "config_reload_failed", path=result.source, problems=problems)
            await self.destination.admin_notice(
                self.ctx.config.telegram.admins,
                f"Config edit rejected, the last good config keeps running:\n{result}",
            )
        elif result is not None:
            self._apply(result)

    def _apply(self, config: Config) -> None:
        config, changed = needs_restart(self.ctx.config, config)
        if changed:  # kept as they run until a restart: say so
            event(log, logging.WARNING, "config_needs_restart", keys=" ".join(changed))
        self.ctx = self.ctx.reconfigured(config)
        self.dispatcher.courier.admins = config.telegram.admins  # who hears of refusals
        self._schedule_feeds(self._jobs)
        self._digests()  # a schedule may have changed
        event(log, logging.INFO, "config_reloaded", feeds=len(config.feeds),
              rules=len(config.rules))  # fmt: skip

    async def _poll(self, feed: FeedConfig) -> None:
        if self.stop.is_set():
            return
        task = asyncio.current_task()
        if task is not None:
            self._polls.add(task)
        try:
            result = await poll_feed(self.ctx, feed, backoff=True)
        finally:
            if task is not None:
                self._polls.discard(task)
        if result.alerts or result.new_items:  # new items may edit a sent alert ("Also:")
            self.wake.set()
        if result.alerts:  # some may be held: the next digest may be due sooner
            self._digests()

    def _digests(self) -> None:
        """Make the digests due now (``alerts.digest_send``), then wake at the next due time."""
        try:
            if roll_due(self.ctx.store, self.ctx.config, datetime.now(UTC)):
                self.wake.set()
            due = next_due(self.ctx.store, self.ctx.config)
        except StoreError as e:  # e.g. a locked database: the next tick tries again
            event(log, logging.ERROR, "digest_store_failed", error=str(e))
            return
        if due is not None:
            due = max(due, datetime.now(UTC) + timedelta(seconds=1))  # never a busy loop
            self._jobs.add_job(self._digests, DateTrigger(run_date=due, timezone=UTC),
                               id="digests", replace_existing=True,
                               misfire_grace_time=None)  # fmt: skip

    async def _tick(self) -> None:
        """Every WAKE_EVERY: the state file is the one opened, the listener listens, wake."""
        try:
            self.ctx.store.check_file()
        except StoreError as e:  # writing on would go into a file no one opens again
            event(log, logging.CRITICAL, "state_file_lost", path=e.path, error=e.reason)
            self._file_lost = True
            self._fail(e)
            return
        await self._listen()
        self._digests()  # a safety net: a clock set forward, a job lost
        self.wake.set()

    async def _listen(self) -> None:
        """Start listening to admins (Telegram was down at start, or a reload added them)."""
        listener = self.listener
        if listener is not None and self.ctx.config.telegram.admins and not listener.running:
            await listener.start()

    async def _finish(self) -> None:
        if self.listener is not None:
            await self.listener.stop()
        if self.claimer is not None:  # its feeds not polled go to the other workers at once
            await self.claimer.stop()
        for task in list(self._polls):
            task.cancel()
        await self.dispatcher.finish(SEND_GRACE)
        if not self._file_lost:
            self.ctx.store.set_meta(STARTED_KEY, None)
        await self.destination.close()


def quiet_apscheduler() -> None:
    """APScheduler's two INFO lines per job run (per poll: logs growing with the feeds) show at
    DEBUG only; its warnings (a missed or skipped run) still show."""
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
