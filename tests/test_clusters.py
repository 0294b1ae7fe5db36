"""Clusters: a retelling from another source edits the original Telegram message (fake Bot API)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer
from tests.harness import ThreeFeeds

STORY = "Magnitude 7.1 earthquake strikes off the coast of Chile"
RETOLD = "Earthquake of magnitude 7.1 strikes off Chile's coast"
AGAIN = "Strong magnitude 7.1 earthquake strikes off the Chile coast"


QUAKES = "{name: Quakes, any: [earthquake]}"


def three_feeds(tmp: Path, feeds: FeedServer, api: FakeBotAPI, max_edits: int) -> ThreeFeeds:
    return ThreeFeeds(tmp, feeds, api, rule=QUAKES, dedup=f"{{max_edits: {max_edits}}}")


@pytest.fixture
def harness(tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI) -> ThreeFeeds:
    return three_feeds(tmp_path, feeds, telegram, max_edits=3)


def test_a_later_retelling_edits_the_sent_message(
    harness: ThreeFeeds, telegram: FakeBotAPI
) -> None:
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
    harness = three_feeds(tmp_path, feeds, telegram, max_edits=1)
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
    harness: ThreeFeeds, telegram: FakeBotAPI
) -> None:
    harness.publish("alpha", STORY)
    harness.publish("beta", RETOLD)
    harness.publish("gamma", "Parliament passes the budget")  # not a retelling, no rule
    harness.cycle()
    (message,) = telegram.messages
    assert message.text.endswith("\n<i>Also: Beta</i>")
    assert telegram.edits == []


def test_a_retelling_that_matches_no_rule_still_joins(
    harness: ThreeFeeds, telegram: FakeBotAPI
) -> None:
    harness.publish("alpha", STORY)
    harness.cycle()
    harness.publish("beta", "Magnitude 7.1 earthquake strikes off coast of Chile")  # matches too
    harness.publish("gamma", "Magnitude 7.1 quake strikes off the coast of Chile")  # no rule
    harness.cycle()
    assert len(telegram.messages) == 1
    assert telegram.edits[-1].text.endswith("Gamma</i>")
