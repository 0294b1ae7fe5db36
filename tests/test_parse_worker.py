"""alerts/feeds/parse_pool.py: feeds parsed in child processes, and what happens when one dies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from alerts.errors import ParseError
from alerts.feeds import parse_pool
from alerts.feeds.parse import parse_feed
from alerts.feeds.parse_pool import ParsePool, default_surge, default_workers
from alerts.models import FetchedFeed
from tests.fakes.parsing import by_pid, feed, poisoned

ROOT = Path(__file__).resolve().parent.parent


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def test_items_from_the_child_equal_a_parse_in_this_process() -> None:
    pool = ParsePool(workers=1)
    try:
        fetched = [feed(30, f"https://feed.example/{n}") for n in range(5)]

        async def go() -> list[list[object]]:
            return list(await asyncio.gather(*(pool.parse(f, "Name") for f in fetched)))

        assert asyncio.run(go()) == [parse_feed(f, "Name") for f in fetched]
    finally:
        pool.close()


def test_a_parse_error_comes_back_whole() -> None:
    pool = ParsePool(workers=1)
    try:
        bad = FetchedFeed("https://x.example/f", "https://x.example/f", b"<html>no", "text/html")
        with pytest.raises(ParseError) as caught:
            asyncio.run(pool.parse(bad, "Bad"))
        assert caught.value.url == "https://x.example/f"
        assert caught.value.reason.startswith("not a feed")
    finally:
        pool.close()


def test_a_child_killed_once_costs_no_feed() -> None:
    pool = ParsePool(workers=1)
    try:
        asyncio.run(pool.parse(feed(1), "Warm"))  # the child is up
        (child,) = children(os.getpid()) & set(pool._pool._processes)  # type: ignore[union-attr]

        async def killed_mid_parse() -> list[object]:
            task = asyncio.ensure_future(pool.parse(feed(20_000), "Big"))
            await asyncio.sleep(0.3)
            os.kill(child, signal.SIGKILL)
            return list(await task)

        assert len(asyncio.run(killed_mid_parse())) == 20_000  # parsed again in a new child
        assert child not in set(pool._pool._processes)  # type: ignore[union-attr]
    finally:
        pool.close()


def test_a_feed_that_kills_its_child_fails_alone() -> None:
    pool = ParsePool(workers=1, parser=poisoned)
    try:
        urls = [f"https://feed.example/{n}" for n in range(8)]
        urls[2] = "https://feed.example/poison"

        async def go() -> list[object]:
            trips = (pool.parse(feed(30, u), "F") for u in urls)
            return list(await asyncio.gather(*trips, return_exceptions=True))

        results = asyncio.run(go())
        failed = [u for u, r in zip(urls, results, strict=True) if isinstance(r, ParseError)]
        assert failed == ["https://feed.example/poison"]
        assert all(len(r) == 30 for r in results if isinstance(r, list))
        assert "parser process died" in str(results[2])
    finally:
        pool.close()


def test_children_ignore_ctrl_c_and_end_when_the_bot_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import asyncio, os, signal, sys, time
        from alerts.feeds.parse_pool import ParsePool
        from tests.fakes.parsing import feed
        pool = ParsePool(workers=1)
        asyncio.run(pool.parse(feed(1), "x"))
        print(" ".join(str(p) for p in pool._pool._processes), flush=True)
        for pid in pool._pool._processes:
            os.kill(pid, signal.SIGINT)
        time.sleep(0.5)
        print(len(asyncio.run(pool.parse(feed(2), "y"))), flush=True)
        time.sleep(60)
        """
    )
    bot = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                           text=True)  # fmt: skip
    try:
        assert bot.stdout is not None
        pids = [int(p) for p in bot.stdout.readline().split()]
        assert len(pids) == 1
        assert bot.stdout.readline().strip() == "2"  # SIGINT did not break the pool
    finally:
        bot.kill()
        bot.wait()
        bot.stdout.close()  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        time.sleep(0.1)
    assert not any(Path(f"/proc/{p}").exists() for p in pids)


def test_one_worker_per_cpu_beyond_the_first() -> None:
    cpus = len(os.sched_getaffinity(0))
    assert default_workers() == max(1, min(4, cpus - 1))


def test_a_deep_backlog_gets_a_surge_worker_that_stops_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More than SURGE_BACKLOG parses waiting (a first cycle): a second pool takes its share,
    and it is stopped once its parses are done and the backlog is short; a backlog that never
    gets that deep never starts it."""
    monkeypatch.setattr(parse_pool, "SURGE_BACKLOG", 8)
    pool = ParsePool(workers=1, parser=by_pid, surge=1)

    async def flood(count: int) -> list[str]:
        done = await asyncio.gather(*(pool.parse(feed(1, f"https://f{n}.example/"), "F")
                                      for n in range(count)))  # fmt: skip
        return [items[0].title for items in done]

    try:
        shallow = asyncio.run(flood(4))  # never 8 waiting
        assert pool.surges == 0 and len(set(shallow)) == 1
        deep = asyncio.run(flood(60))
        assert pool.surges == 1
        assert len(set(deep)) == 2  # two children parsed: the main one and the surge one
        assert not pool.surging  # stopped once the backlog was gone
    finally:
        pool.close()


def test_no_surge_worker_on_one_cpu() -> None:
    assert default_surge(1) == max(0, min(4, len(os.sched_getaffinity(0))) - 1)
