"""Clusters: a retelling from another source edits the original Telegram message (fake Bot API)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.decide import Trip
from alerts.delivery.courier import Courier
from alerts.delivery.telegram import TelegramDestination
from alerts.pipeline import fetch_and_parse, record
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import parse_pool

STORY = "Magnitude 7.1 earthquake strikes off the coast of Chile"
RETOLD = "Earthquake of magnitude 7.1 strikes off Chile's coast"
AGAIN = "Strong magnitude 7.1 earthquake strikes off the Chile coast"


def item(n: int, title: str, feed: str) -> dict[str, str]:
    when = datetime.now(UTC) - timedelta(minutes=5)
    return {
        "title": title,
        "link": f"https://{feed}.example/{n}",
        "guid": f"{feed}-{n}",
        "description": f"{title}. Tsunami warnings were issued.",
        "date": when.isoformat(),
    }


class Harness:
    def __init__(self, tmp: Path, feeds: FeedServer, api: FakeBotAPI, max_edits: int) -> None:
        names = ("alpha", "beta", "gamma")
        lines = "".join(
            f'  - {{url: "{feeds.url(f"/{n}.xml")}", name: {n.title()}}}\n' for n in names
        )
        self.config = config_mod.loads(
            f'telegram: {{chat: "@alerts", api_url: "{api.base_url}"}}\n'
            f"dedup: {{max_edits: {max_edits}}}\nfeeds:\n{lines}"
            "rules:\n  - {name: Quakes, any: [earthquake]}\n",
            base_dir=tmp,
        )
        self.feeds, self.api = feeds, api
        for name in names:
            feeds.set(f"/{name}.xml", rss([]))
        self.cycle()  # first sight of every feed

    def cycle(self) -> None:
        async def go() -> None:
            destination = TelegramDestination("123:ABC", self.api.base_url)
            try:
                async with open_bot(self.config, parser=parse_pool()) as ctx:
                    for feed in self.config.feeds:
                        step = await fetch_and_parse(ctx, feed)
                        if isinstance(step, Trip):
                            record(ctx, step)
                    assert await Courier(ctx.store, destination).drain(time.monotonic() + 30)
            finally:
                await destination.close()

        asyncio.run(go())

    def publish(self, feed: str, *titles: str) -> None:
        self.feeds.set(f"/{feed}.xml", rss([item(n, t, feed) for n, t in enumerate(titles)]))


@pytest.fixture
def harness(tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI) -> Harness:
    return Harness(tmp_path, feeds, telegram, max_edits=3)


def test_a_later_retelling_edits_the_sent_message(harness: Harness, telegram: FakeBotAPI) -> None:
    harness.publish("alpha", STORY)
    harness.cycle()
    (message,) = telegram.messages
    assert "Also:" not in message.text

    harness.publish("beta", RETOLD)
    harness.cycle()
    assert len(telegram.messages) == 1  # not alerted again
    (edit,) = telegram.edits
    assert edit.params["message_id"] == str(message.message_id)
    assert edit.text == message.text + "\n<i>Also: Beta</i>"

    harness.cycle()  # nothing new: no further edit
    harness.publish("gamma", AGAIN)
    harness.cycle()
    assert [e.text.rsplit("\n", 1)[1] for e in telegram.edits] == [
        "<i>Also: Beta</i>",
        "<i>Also: Beta, Gamma</i>",
    ]


def test_edits_per_message_are_capped(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    harness = Harness(tmp_path, feeds, telegram, max_edits=1)
    harness.publish("alpha", STORY)
    harness.cycle()
    harness.publish("beta", RETOLD)
    harness.cycle()
    harness.publish("gamma", AGAIN)
    harness.cycle()
    assert len(telegram.edits) == 1
    with sqlite3.connect(harness.config.state) as db:
        sources = db.execute("SELECT source FROM cluster_sources ORDER BY added_at").fetchall()
    assert sources == [("Beta",), ("Gamma",)]  # the cluster knows both; the message changed once


def test_retellings_before_delivery_go_into_the_first_message(
    harness: Harness, telegram: FakeBotAPI
) -> None:
    harness.publish("alpha", STORY)
    harness.publish("beta", RETOLD)
    harness.publish("gamma", "Parliament passes the budget")  # not a retelling, no rule
    harness.cycle()
    (message,) = telegram.messages
    assert message.text.endswith("\n<i>Also: Beta</i>")
    assert telegram.edits == []


def test_a_retelling_that_matches_no_rule_still_joins(
    harness: Harness, telegram: FakeBotAPI
) -> None:
    harness.publish("alpha", STORY)
    harness.cycle()
    harness.publish("beta", "Magnitude 7.1 earthquake strikes off coast of Chile")  # matches too
    harness.publish("gamma", "Magnitude 7.1 quake strikes off the coast of Chile")  # no rule
    harness.cycle()
    assert len(telegram.messages) == 1
    assert telegram.edits[-1].text.endswith("Gamma</i>")
