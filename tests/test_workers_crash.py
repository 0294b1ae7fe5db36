"""The workers' crash test (issue 18): three ``bot.py run`` workers on one PostgreSQL database,
five channels, 100 alerts published over half a minute into five feeds, and workers SIGKILLed
at random moments (six kills, each restarted at once), against a fake Bot API that enforces
Telegram's 20 messages a minute per chat. Every alert arrives once, in the outbox's order per
chat, but for at most one repeat per kill (the message in flight); no 429 is provoked; no feed
is polled twice within its interval. Seed: ``WORKERS_SEED``."""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import pytest

from alerts.store.pg_store import PgStore
from tests import cluster
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import TOKEN, Running, wait_until

pytestmark = pytest.mark.slow  # a minute and a half: the pace holds 20 a minute per chat

WORKERS, CHATS, ALERTS, KILLS, INTERVAL = 3, 5, 100, 6, 3


class Publisher(threading.Thread):
    """Items appear one by one in random feeds, like a newsroom's wires."""

    def __init__(self, feeds: FeedServer, paths: list[str], rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.feeds, self.paths, self.rng = feeds, paths, rng
        self.items: dict[str, list[dict[str, str]]] = {p: [] for p in paths}

    def run(self) -> None:
        for n in range(ALERTS):
            path = self.rng.choice(self.paths)
            self.items[path].insert(0, cluster.item(n, n % CHATS))
            self.feeds.set(path, rss(self.items[path]))
            time.sleep(self.rng.uniform(0.1, 0.4))  # the publishing pace, not a wait


class Chaos(threading.Thread):
    """Kills a random worker at random moments, and starts a new one in its place at once."""

    def __init__(self, workers: list[Running], config: Path, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.workers, self.config, self.rng, self.kills = workers, config, rng, 0

    def run(self) -> None:
        while self.kills < KILLS:
            time.sleep(self.rng.uniform(1.5, 5.0))  # a random moment, not a wait
            victim = self.rng.randrange(len(self.workers))
            cluster.kill(self.workers[victim])
            self.kills += 1
            self.workers[victim] = Running(self.config)


def test_three_workers_killed_at_random_deliver_every_alert_once(
    tmp_path: Path, feeds: FeedServer, pg_url: str
) -> None:
    rng = random.Random(os.environ.get("WORKERS_SEED", "18"))
    paths, chats = [f"/w{n}.xml" for n in range(5)], [f"@chan_{c}" for c in range(CHATS)]
    for path in paths:
        feeds.set(path, rss([]))
    with FakeBotAPI(token=TOKEN, per_chat_per_minute=20) as telegram:
        config = cluster.config(tmp_path, pg_url, feeds, telegram, paths=paths, chats=chats,
                                interval=INTERVAL)  # fmt: skip
        workers = [Running(config) for _ in range(WORKERS)]
        chaos = Chaos(workers, config, rng)
        try:
            wait_until(lambda: all(feeds.requests.get(p) for p in paths), 60, "first polls")
            publisher = Publisher(feeds, paths, rng)
            publisher.start()
            chaos.start()
            wait_until(lambda: len({m.text for m in telegram.messages}) >= ALERTS, 180,
                       "every alert delivered")  # fmt: skip
            chaos.join()
        finally:
            chaos.kills = KILLS if chaos.is_alive() else chaos.kills  # no kill after a failure
            chaos.join()
            for worker in workers:
                worker.stop()
        repeats = cluster.delivered_once_in_order(telegram, pg_url, chats)
        gaps = cluster.shortest_gaps(feeds, paths)
        store = PgStore(pg_url)
        counts = store.counts()
        store.close()
        print(f"\n{WORKERS} workers, {CHATS} chats, {ALERTS} alerts, {chaos.kills} kills: "
              f"{counts['sent']} sent once each, {repeats} in-flight repeats, "
              f"{telegram.count_429} 429s, shortest gap between two polls of a feed "
              f"{min(gaps.values()):.2f}s (interval {INTERVAL}s)")  # fmt: skip
        assert chaos.kills == KILLS
        assert counts["sent"] == ALERTS and counts["pending"] == 0
        assert repeats <= chaos.kills
        assert telegram.count_429 == 0
        assert min(gaps.values()) >= INTERVAL
