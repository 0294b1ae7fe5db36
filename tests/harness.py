"""Three feeds (Alpha, Beta, Gamma) through the whole bot, restarted every cycle: the feeds on
the real feed server, Telegram faked, a real SQLite file. Clusters, the semantic stage and its
background vectors are tested on it (tests/test_clusters.py, test_semantic_e2e.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.decide import Trip
from alerts.dedup.embed import Counting
from alerts.delivery.courier import Courier
from alerts.delivery.telegram import TelegramDestination
from alerts.pipeline import fetch_and_parse, record
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import parse_pool

NAMES = ("alpha", "beta", "gamma")


def item(n: int, title: str, feed: str) -> dict[str, str]:
    """Story ``n`` of ``feed``, published five minutes ago, with a description."""
    when = datetime.now(UTC) - timedelta(minutes=5)
    return {
        "title": title,
        "link": f"https://{feed}.example/{n}",
        "guid": f"{feed}-{n}",
        "description": f"{title}. Tsunami warnings were issued.",
        "date": when.isoformat(),
    }


class ThreeFeeds:
    """The three feeds under one rule and a dedup section; the first cycle sees them empty."""

    def __init__(self, tmp: Path, feeds: FeedServer, api: FakeBotAPI, *, rule: str,
                 dedup: str = "{}") -> None:  # fmt: skip
        lines = "".join(f'  - {{url: "{feeds.url(f"/{n}.xml")}", name: {n.title()}}}\n'
                        for n in NAMES)  # fmt: skip
        self.config = config_mod.loads(
            f'telegram: {{chat: "@alerts", api_url: "{api.base_url}"}}\ndedup: {dedup}\n'
            f"feeds:\n{lines}rules:\n  - {rule}\n",
            base_dir=tmp,
        )
        self.feeds, self.api = feeds, api
        for name in NAMES:
            feeds.set(f"/{name}.xml", rss([]))
        self.cycle()  # first sight of every feed

    def cycle(self) -> int:
        """One restart and one poll of every feed; the texts the model embedded, counted once
        the bot stopped (its background embedder has then written its queue)."""

        async def go() -> int:
            destination = TelegramDestination("123:ABC", self.api.base_url)
            try:
                async with open_bot(self.config, parser=parse_pool()) as ctx:
                    for feed in self.config.feeds:
                        step = await fetch_and_parse(ctx, feed)
                        if isinstance(step, Trip):
                            record(ctx, step)
                    assert await Courier(ctx.store, destination).drain(time.monotonic() + 30)
                    embedder = ctx.memo.embedder if ctx.memo is not None else None
                return embedder.texts if isinstance(embedder, Counting) else 0
            finally:
                await destination.close()

        return asyncio.run(go())

    def publish(self, feed: str, *titles: str, first: int = 0) -> None:
        stories = [item(first + n, t, feed) for n, t in enumerate(titles)]
        self.feeds.set(f"/{feed}.xml", rss(stories))

    def vectors(self) -> dict[str, bool]:
        """Each stored story's raw title, and whether its title vector is stored."""
        with sqlite3.connect(self.config.state) as db:
            rows = db.execute("SELECT raw_title, title_vec IS NOT NULL FROM stories").fetchall()
        return {str(t): bool(v) for t, v in rows}
