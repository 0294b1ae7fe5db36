"""Workers on one PostgreSQL database (issue 18): claims with leases, the dedup race between
two workers, and failover when one worker dies for good. The crash test with three workers
is test_workers_crash.py. Skipped, with the reason, where PostgreSQL is unavailable."""

from __future__ import annotations

import asyncio
import random
import string
import threading
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.decide import Trip
from alerts.models import FeedUpdateIntent
from alerts.pipeline import Context, fetch_and_parse, record
from alerts.store.pg_store import PgStore
from tests import cluster
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import TOKEN, Running, parse_pool, wait_until

BOT_TOKEN = TOKEN  # the telegram fixture accepts it (conftest)
NOW = datetime.now(UTC)


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[PgStore]:
    store = PgStore(pg_url)
    yield store
    store.close()


# ---------------------------------------------------------------- claims and leases


def test_two_workers_claiming_at_once_get_disjoint_feeds(pg_url: str, pg_store: PgStore) -> None:
    urls = [f"https://f.example/{n}" for n in range(40)]
    pg_store.sync_feeds([(u, 60.0, NOW.timestamp()) for u in urls])
    other = PgStore(pg_url)
    got: dict[str, list[str]] = {}
    start = threading.Barrier(2)

    def claim(name: str, store: PgStore) -> None:
        start.wait()
        got[name] = [u for _ in range(4) for u in store.claim_feeds(name, 6, 10.0, NOW)]

    threads = [threading.Thread(target=claim, args=(n, s)) for n, s in
               (("a", pg_store), ("b", other))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert len(got["a"]) + len(got["b"]) == 40  # 48 asked for: each due feed once
    assert set(got["a"]).isdisjoint(got["b"])
    assert pg_store.claim_feeds("a", 10, 10.0, NOW + timedelta(seconds=30)) == []


def test_a_dead_claimers_feed_waits_its_interval_and_lease_then_is_taken(
    pg_store: PgStore,
) -> None:
    url = "https://f.example/a"
    pg_store.sync_feeds([(url, 60.0, NOW.timestamp())])
    assert pg_store.claim_feeds("dead", 5, 10.0, NOW) == [url]  # never written: it died
    assert pg_store.claim_feeds("b", 5, 10.0, NOW + timedelta(seconds=69)) == []
    assert pg_store.claim_feeds("b", 5, 10.0, NOW + timedelta(seconds=71)) == [url]


def test_the_trips_write_ends_the_lease_and_sets_the_next_poll(pg_store: PgStore) -> None:
    url = "https://f.example/a"
    pg_store.sync_feeds([(url, 60.0, NOW.timestamp())])
    now = datetime.now(UTC)
    assert pg_store.claim_feeds("a", 5, 10.0, now) == [url]
    pg_store.update_feed(FeedUpdateIntent(feed_url=url, status="not_modified"), now)
    lease, due = pg_store._query("SELECT lease_until, next_due FROM feeds")[0]
    assert lease is None and 59 < due - now.timestamp() < 62
    assert pg_store.claim_feeds("b", 5, 10.0, now + timedelta(seconds=58)) == []
    assert pg_store.claim_feeds("b", 5, 10.0, now + timedelta(seconds=63)) == [url]
    pg_store.sync_feeds([])  # no longer in the config: never claimed again
    assert pg_store.claim_feeds("b", 5, 10.0, now + timedelta(days=1)) == []


# ---------------------------------------------------------------- the dedup race


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(9))


def _race_config(tmp: Path, feeds: FeedServer, url: str) -> config_mod.Config:
    text = (
        f'telegram: {{chat: "@race"}}\nstate: "{url}"\ndedup: {{semantic: false}}\n'
        f'feeds:\n  - {{url: "{feeds.url("/one.xml")}", name: One}}\n'
        f'  - {{url: "{feeds.url("/two.xml")}", name: Two}}\n'
        "rules:\n  - {name: budget, any: [budget]}\n"
    )
    (tmp / "config.yaml").write_text(text)
    return config_mod.load(tmp / "config.yaml")


async def _race(contexts: list[Context], config: config_mod.Config, rounds: int,
                feeds: FeedServer) -> None:  # fmt: skip
    rng = random.Random(18)
    one, two = config.feeds
    for ctx, feed in zip(contexts, (one, two), strict=True):  # first sight: nothing alerted
        trip = await fetch_and_parse(ctx, feed)
        assert isinstance(trip, Trip)
        record(ctx, trip)
    for n in range(rounds):
        title = f"{_word(rng).title()} {_word(rng)} council passes {_word(rng)} budget"
        for path in ("/one.xml", "/two.xml"):
            feeds.set(path, rss([{"title": title, "link": f"https://{path[1:4]}.example/{n}",
                                  "guid": f"{path}-{n}", "date": NOW.isoformat()}]))  # fmt: skip
        trips = [await fetch_and_parse(c, f) for c, f in zip(contexts, (one, two), strict=True)]
        start = threading.Barrier(2)
        threads = [threading.Thread(target=_decide, args=(c, t, start)) for c, t in
                   zip(contexts, trips, strict=True)]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def _decide(ctx: Context, trip: Trip | object, start: threading.Barrier) -> None:
    assert isinstance(trip, Trip)
    start.wait()  # both workers decide and write at the same moment
    record(ctx, trip)


def test_two_workers_finding_one_story_at_once_give_one_alert(
    tmp_path: Path, feeds: FeedServer, pg_url: str
) -> None:
    feeds.set("/one.xml", rss([]))
    feeds.set("/two.xml", rss([]))
    config = _race_config(tmp_path, feeds, pg_url)
    rounds = 100

    async def main() -> None:
        async with AsyncExitStack() as stack:
            contexts = []
            for _ in range(2):  # two workers: each its own store, locks and window
                store = PgStore(pg_url)
                stack.callback(store.close)
                bot = open_bot(config, store=store, parser=parse_pool(), background_vectors=False)
                contexts.append(await stack.enter_async_context(bot))
            assert all(c.cluster is not None for c in contexts)
            await _race(contexts, config, rounds, feeds)

    asyncio.run(main())
    store = PgStore(pg_url)
    try:
        alerts = [e for e in store.pending(limit=1000)]
        stories = store._query("SELECT COUNT(*) FROM stories")[0][0]
    finally:
        store.close()
    print(f"\nrace: {rounds} stories, each in two feeds decided by two workers at once: "
          f"{len(alerts)} alerts, {stories} stories in the window")  # fmt: skip
    assert len(alerts) == rounds
    assert len({a.alert.title for a in alerts}) == rounds


# ---------------------------------------------------------------- failover


def test_a_worker_killed_for_good_leaves_its_feeds_and_chats_to_the_other(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI, pg_url: str
) -> None:
    paths, interval = [f"/f{n}.xml" for n in range(6)], 6
    for path in paths:
        feeds.set(path, rss([]))
    chat = "424242"  # a private chat: paced at one message a second, so alerts stay pending
    config = cluster.config(tmp_path, pg_url, feeds, telegram, paths=paths, chats=[chat],
                            interval=interval)  # fmt: skip
    workers = [Running(config), Running(config)]
    try:
        wait_until(lambda: all(feeds.requests.get(p) for p in paths), 30, "every first poll")
        for n, path in enumerate(paths):  # two alerts a feed, in one chat
            feeds.set(path, rss([cluster.item(2 * n, 0), cluster.item(2 * n + 1, 0)]))
        wait_until(lambda: len(telegram.messages) >= 2, 60, "the first alerts")
        drainer = next(w for w in workers if any("alert_sent" in line for line in w.lines))
        cluster.kill(drainer)
        killed_at = time.time()
        survivor = next(w for w in workers if w is not drainer)
        wait_until(lambda: all(max(feeds.times[p]) > killed_at for p in paths), 4 * interval,
                   "every feed polled again")  # fmt: skip
        polled_again = max(min(t for t in feeds.times[p] if t > killed_at) for p in paths)
        wait_until(lambda: len({m.text for m in telegram.messages}) >= 12, 60, "every alert")
    finally:
        codes = [w.stop() for w in workers]
    repeats = cluster.delivered_once_in_order(telegram, pg_url, [chat])
    took = polled_again - killed_at
    print(
        f"\nfailover: every feed polled again {took:.1f}s after the kill (interval "
        f"{interval}s), {len(telegram.messages)} messages for 12 alerts ({repeats} repeat), "
        f"{sum('alert_sent' in line for line in survivor.lines)} sent by the survivor"
    )
    assert took <= 2 * interval
    assert repeats <= 1
    assert codes[workers.index(survivor)] == 0
    assert min(cluster.shortest_gaps(feeds, paths).values()) >= interval
