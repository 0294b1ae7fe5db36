"""Parsing in a child process, so feedparser's CPU never holds up fetching or delivery.

feedparser is pure Python: in a thread it holds the GIL, and the event loop that drives every
other fetch, the rules and the deliveries waits for it; at a thousand feeds the parses were
most of a cycle and the fetches queued behind them. ``ParsePool`` runs ``parse.parse_feed`` in
child processes instead (``concurrent.futures.ProcessPoolExecutor``): the body goes to the child,
plain ``FeedItem`` values come back, feedparser's objects never cross.

Policy:
- Workers: one per CPU beyond the first, at least one, at most ``MAX_WORKERS``; the first CPU
  is the event loop's. They are started with ``spawn`` (a fresh interpreter that imports only
  ``feeds.parse`` and feedparser): ``fork`` from a process with threads is unsafe, and a forked
  copy of the whole bot would double its memory.
- A surge: while ``SURGE_BACKLOG`` parses or more wait (128, two seconds of one worker's
  parsing at 30 items a feed: a first cycle, a mass change), the event loop mostly waits for
  them, so a second pool of one worker per CPU left (``default_surge``: the event loop's own)
  takes its share, and it is stopped once its last parse is back and a quarter of that backlog
  or less waits. A first cycle of 1,000 feeds was bound by its one worker, the CPUs half idle
  (19 s of CPU in 18 s on two; 10 to 12 s with the surge). A steady cycle's hundred changed
  feeds never queue that deep, so it never pays the surge worker's start or its memory (some
  28 MB), nor does the 100,000-story cycle of ``bench/bench_cycle.py``.
- ``start`` boots the children (and their import of feedparser) while the bot starts up, so
  the first changed feed does not wait for them; else they start on the first parse.
- The children ignore SIGINT and SIGTERM (a Ctrl-C or a service stop reaches the whole process
  group; the bot stops them itself, after the polls in flight) and exit on their own within
  ``ORPHAN_CHECK`` seconds when the bot process is gone, even killed with SIGKILL.
- A child that dies (a feed that crashes the parser, the OOM killer) breaks the pool, and every
  parse queued in it fails with it. Each of those is tried once more, one at a time, in a new
  pool: the feeds that were only queued behind the culprit are parsed, and the culprit, alone
  in flight when it kills its child again, is the only feed whose poll fails (a ParseError).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from alerts.errors import ParseError
from alerts.models import FeedItem, FetchedFeed

MAX_WORKERS = 4
SURGE_BACKLOG = 128  # parses waiting before the surge pool starts
ORPHAN_CHECK = 1.0  # seconds between a child's looks at whether its parent is still there


def default_workers() -> int:
    """One worker per CPU this process may use, less the event loop's; at least one."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_WORKERS, (cpus or 1) - 1))


def default_surge(workers: int | None = None) -> int:
    """Surge workers: the CPUs (at most ``MAX_WORKERS``) that ``workers`` leave, the event
    loop's included."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(0, min(MAX_WORKERS, cpus or 1) - (workers or default_workers()))


Parser = Callable[[FetchedFeed, str], list[FeedItem]]


class ParsePool:
    """Parses feed bodies in child processes; ``close`` stops them. ``parser`` is the function
    the children run (a module-level function, so that it can be named to them)."""

    def __init__(
        self, workers: int | None = None, parser: Parser | None = None, surge: int | None = None
    ) -> None:
        self.workers = workers or default_workers()
        self.surge = default_surge(self.workers) if surge is None else surge
        self._parser: Parser = parser or _parse
        self._pool: ProcessPoolExecutor | None = None
        self._surge: ProcessPoolExecutor | None = None
        self._waiting = {False: 0, True: 0}  # parses sent and not back, by lane (surge or not)
        self.surges = 0  # how many times the surge pool was started
        self._alone: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    async def parse(self, fetched: FetchedFeed, feed_name: str) -> list[FeedItem]:
        """``parse.parse_feed`` of this body, computed in a child process."""
        try:
            return await self._run(fetched, feed_name)
        except BrokenProcessPool:
            pass  # maybe only queued behind the feed that killed the child: once more, alone
        async with self._one_at_a_time():
            try:
                return await self._run(fetched, feed_name)
            except BrokenProcessPool as e:
                raise ParseError(fetched.url, "the parser process died on this feed") from e

    async def _run(self, fetched: FetchedFeed, feed_name: str) -> list[FeedItem]:
        surge = self._to_surge()
        pool = (self._surge or self._start_surge()) if surge else (self._pool or self._start())
        loop = asyncio.get_running_loop()
        self._waiting[surge] += 1
        try:
            return await loop.run_in_executor(pool, self._parser, fetched, feed_name)
        except BrokenProcessPool:
            self._discard(pool)
            raise
        finally:
            self._waiting[surge] -= 1
            if not self._waiting[True] and self._waiting[False] <= SURGE_BACKLOG // 4:
                self._retire_surge()  # a quarter: a lull within a surge does not stop it

    @property
    def surging(self) -> bool:
        """Whether the surge pool is running."""
        return self._surge is not None

    def _to_surge(self) -> bool:
        """Whether the next parse goes to the surge pool: when the backlog is deep, or while
        the surge pool runs and has fewer parses waiting per worker than the main one."""
        if not self.surge:
            return False
        main, extra = self._waiting[False], self._waiting[True]
        if self._surge is None:
            return main >= SURGE_BACKLOG
        return extra * self.workers < main * self.surge

    def _one_at_a_time(self) -> asyncio.Lock:
        # One lock per event loop: an asyncio.Lock belongs to the loop it first waited in.
        loop = asyncio.get_running_loop()
        if self._alone is None or self._alone[0] is not loop:
            self._alone = (loop, asyncio.Lock())
        return self._alone[1]

    def start(self) -> None:
        """Start every child now and have it import the parser, without waiting for them."""
        pool = self._pool or self._start()
        for _ in range(self.workers):
            pool.submit(_warm_up)

    def close(self) -> None:
        """Stop the children (a parse still running is cancelled)."""
        for pool in (self._pool, self._surge):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._surge = None

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_child_init, initargs=(os.getpid(),)
        )
        return self._pool

    def _start_surge(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        self._surge = ProcessPoolExecutor(
            self.surge, mp_context=context, initializer=_child_init, initargs=(os.getpid(),)
        )
        self.surges += 1
        return self._surge

    def _retire_surge(self) -> None:
        """Stop the surge pool, idle now (its children exit once they see it shut down)."""
        if self._surge is not None:
            self._surge.shutdown(wait=False)
            self._surge = None

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        if self._surge is pool:
            self._surge = None
        pool.shutdown(wait=False, cancel_futures=True)


def _parse(fetched: FetchedFeed, feed_name: str) -> list[FeedItem]:
    # Runs in a child; imported there, so the bot's own process never loads feedparser.
    from alerts.feeds.parse import parse_feed

    return parse_feed(fetched, feed_name)


def _warm_up() -> None:
    from alerts.feeds import parse  # noqa: F401 (imported for its cost, paid before the first feed)


def _child_init(parent: int) -> None:
    """In each child: leave signals to the parent, and end when the parent has ended."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    # The pool's queues cannot tell a child that its parent was killed: the child holds both
    # ends of its pipe, so it would wait for work forever. Re-parented means orphaned.
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK)
    os._exit(0)
