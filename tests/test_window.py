"""alerts/dedup/window.py: exact identity, candidates from the word index, expiry, restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.dedup.keys import identity_guid
from alerts.dedup.links import normalize_link
from alerts.dedup.window import MAX_CANDIDATES, Entry, StoryWindow
from alerts.dedup.words import comparable_title
from alerts.models import Alert, StoryKey
from alerts.store import Store
from tests.helpers import parse_pool, queue_alerts

CHAT = "@alerts"


def key(
    title: str, link: str = "", feed: str = "https://a.example/rss", guid: str = ""
) -> StoryKey:
    return StoryKey(comparable_title(title), normalize_link(link), feed, guid)


def window_with(*keys: StoryKey) -> StoryWindow:
    window = StoryWindow(88)
    for n, k in enumerate(keys):
        window.add(CHAT, Entry(k, f"alert-{n}", 1000.0 + n, "Alpha"))
    return window


ORIGINAL = key(
    "Earthquake of magnitude 7.1 strikes off Chile coast",
    "https://a.example/q?utm_source=x",
    guid="a-17",
)


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        (key("Totally different words", "http://www.a.example/q/"), "same link"),
        (key("Totally different words", guid="a-17"), "same guid"),
        (
            key("Magnitude 7.1 earthquake strikes off coast of Chile", "https://b.example/x"),
            "similar title",
        ),
    ],
)
def test_retellings_are_found(other: StoryKey, reason: str) -> None:
    found = window_with(ORIGINAL).find(CHAT, other)
    assert found is not None
    entry, verdict = found
    assert entry.alert_key == "alert-0"
    assert verdict.reason == reason


@pytest.mark.parametrize(
    "other",
    [
        key("Totally different words", guid="a-17", feed="https://b.example/rss"),  # guid elsewhere
        key("Earthquake of magnitude 6.2 strikes off Peru coast"),
        key("Parliament passes budget"),
    ],
)
def test_other_stories_are_not(other: StoryKey) -> None:
    assert window_with(ORIGINAL).find(CHAT, other) is None


def test_a_url_guid_is_the_same_story_in_any_feed() -> None:
    first = key("One title", guid="https://x.example/story/1", feed="https://a.example/rss")
    second = key("Another", guid="https://www.x.example/story/1/", feed="https://b.example/rss")
    assert identity_guid(first) == identity_guid(second)
    assert window_with(first).find(CHAT, second) is not None


def test_windows_are_per_chat() -> None:
    assert window_with(ORIGINAL).find("@other", ORIGINAL) is None


def test_expire_forgets_stories() -> None:
    window = window_with(ORIGINAL, key("Parliament passes budget"))
    assert window.expire(1000.5) == 1
    assert window.find(CHAT, ORIGINAL) is None
    assert len(window) == 1
    window.add(CHAT, Entry(ORIGINAL, "again", 2000.0))  # the indexes point at the new one
    found = window.find(CHAT, ORIGINAL)
    assert found is not None
    assert found[0].alert_key == "again"
    assert window.expire(1002.0) == 1  # forgotten ones now outnumber the live: rebuilt
    assert window.find(CHAT, key("Parliament passes budget")) is None
    assert window.find(CHAT, ORIGINAL) is not None
    assert len(window) == 1


def test_candidates_are_bounded_in_a_crowded_window() -> None:
    window = StoryWindow(88)
    for n in range(5000):
        window.add(CHAT, Entry(key(f"Earthquake report number {n} for region {n % 7}"), str(n), n))
    from alerts.dedup import window as window_mod

    ids = window_mod._candidates(window._chats[CHAT], comparable_title("Earthquake report"))
    assert len(ids) <= MAX_CANDIDATES


def test_the_window_survives_a_restart(tmp_path: Path) -> None:
    config = config_mod.loads('telegram: {chat: "@alerts"}\n', base_dir=tmp_path)
    alert = Alert("k1", CHAT, "r", "T", "https://a.example/q", "<b>T</b>", source="Alpha")
    store = Store(config.state)
    queue_alerts(store, [(alert, ORIGINAL)], datetime.now(UTC))
    store.close()

    async def reopen() -> StoryWindow:
        async with open_bot(config, parser=parse_pool()) as ctx:
            return ctx.window

    window = asyncio.run(reopen())
    found = window.find(CHAT, key("Magnitude 7.1 earthquake strikes off coast of Chile"))
    assert found is not None
    assert (found[0].alert_key, found[0].source) == ("k1", "Alpha")
