"""The workers' claim loop (``alerts.claimer``, issue 18): a worker claims again as soon as a
trip ends (not only on its 1 s tick), without claiming in a loop when nothing ends; a stopping
worker hands back the feeds whose trip it had not written; a lock session that ends while the
process lives stops the worker. Real PostgreSQL; skipped, with the reason, where unavailable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from alerts import claimer as claimer_mod
from alerts import config as config_mod
from alerts.claimer import Claimer
from alerts.config import FeedConfig
from alerts.dedup.window import StoryWindow
from alerts.errors import StoreError
from alerts.models import FeedUpdateIntent
from alerts.store.pg_store import PgStore
from alerts.workers import Cluster
from tests.fakes import WAIT_SCALE

INTERVAL = 600


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[PgStore]:
    store = PgStore(pg_url)
    yield store
    store.close()


def _setup(tmp: Path, store: PgStore, feeds: int, concurrency: int) -> SimpleNamespace:
    """A worker's context (what the claimer reads of it), its feeds synced and due now."""
    lines = "".join(f'  - {{url: "https://f.example/{n}", name: "F{n}"}}\n' for n in range(feeds))
    (tmp / "config.yaml").write_text(
        f'telegram: {{chat: "@claims"}}\nstate: state.db\nfeeds:\n{lines}'
        "rules:\n  - {name: any, any: [news]}\n"
        f"polling: {{interval: {INTERVAL}s, jitter: 0s, concurrency: {concurrency}}}\n"
    )
    config = config_mod.load(tmp / "config.yaml")
    cluster = Cluster(store)
    ctx = SimpleNamespace(config=config, window=StoryWindow(0.9), cluster=cluster,
                          interval=lambda f: timedelta(seconds=INTERVAL))  # fmt: skip
    cluster.sync(config, lambda f: float(INTERVAL))
    return ctx


def _written(store: PgStore, url: str) -> None:
    """The trip's one write (it ends the lease)."""
    store.update_feed(FeedUpdateIntent(feed_url=url, status="not_modified"), datetime.now(UTC))


async def _until(condition: Callable[[], object]) -> None:
    """Until ``condition`` holds; a failure after 20 s (scaled)."""
    async with asyncio.timeout(20 * WAIT_SCALE):
        while not condition():  # noqa: ASYNC110 (the claimer's state has no event to await)
            await asyncio.sleep(0.01)


def test_a_worker_claims_again_as_soon_as_a_trip_ends(
    tmp_path: Path, pg_store: PgStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claimer_mod, "CLAIM_EVERY", 3600.0)  # no tick: only ends can claim
    ctx = _setup(tmp_path, pg_store, feeds=12, concurrency=2)
    polled: list[str] = []
    running, peak, claims = 0, 0, 0
    claim = ctx.cluster.claim

    def counted(config: config_mod.Config, free: int) -> list[FeedConfig]:
        nonlocal claims
        claims += 1
        return claim(config, free)

    ctx.cluster.claim = counted

    async def poll(feed: FeedConfig) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)  # a fetch
        _written(pg_store, feed.url)
        polled.append(feed.url)
        running -= 1

    async def main() -> None:
        claimer = Claimer(ctx.cluster, lambda: ctx, poll, pytest.fail)
        claimer.start()
        # Every trip ended, and the claim it woke ran (it clears ``ended`` as it starts).
        await _until(lambda: len(polled) == 12 and not claimer.trips and not claimer.ended.is_set())
        settled = claims
        await asyncio.sleep(0.3)  # nothing due, nothing ends: no claim until the tick
        assert claims == settled
        await claimer.stop()

    asyncio.run(main())
    ctx.cluster.close()
    assert sorted(polled) == sorted(f.url for f in ctx.config.feeds)  # each once
    assert peak == 2  # never more trips than fetch slots
    assert claims <= 1 + 12  # one at start, at most one per trip's end


def test_a_stopping_worker_hands_back_the_feeds_it_did_not_write(
    tmp_path: Path, pg_store: PgStore
) -> None:
    ctx = _setup(tmp_path, pg_store, feeds=3, concurrency=3)
    written = ctx.config.feeds[0].url
    started: list[str] = []

    async def poll(feed: FeedConfig) -> None:
        if feed.url == written:
            _written(pg_store, feed.url)  # its trip wrote, then (say) edits a sent alert
        started.append(feed.url)
        await asyncio.Event().wait()

    async def main() -> None:
        claimer = Claimer(ctx.cluster, lambda: ctx, poll, pytest.fail)
        claimer.start()
        await _until(lambda: len(started) == 3)
        await claimer.stop()
        assert not claimer.trips

    asyncio.run(main())
    ctx.cluster.close()
    other = pg_store.claim_feeds("other", 10, 40.0, datetime.now(UTC))
    assert sorted(other) == sorted(f.url for f in ctx.config.feeds[1:])  # due at once
    later = datetime.now(UTC) + timedelta(seconds=INTERVAL - 5)
    assert pg_store.claim_feeds("other", 10, 40.0, later) == []  # the written one: an interval


def test_a_lock_session_lost_while_the_worker_lives_stops_it(
    tmp_path: Path, pg_store: PgStore
) -> None:
    ctx = _setup(tmp_path, pg_store, feeds=1, concurrency=1)
    pid = ctx.cluster.locks._conn.info.backend_pid
    pg_store._query("SELECT pg_terminate_backend(?)", (pid,))  # the server drops the session
    failures: list[BaseException] = []

    async def poll(feed: FeedConfig) -> None:
        _written(pg_store, feed.url)

    async def main() -> None:
        claimer = Claimer(ctx.cluster, lambda: ctx, poll, failures.append)
        claimer.start()
        await _until(lambda: failures)
        await claimer.stop()

    asyncio.run(main())
    ctx.cluster.close()
    assert isinstance(failures[0], StoreError)
