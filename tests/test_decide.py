"""alerts/decide.py: a trip's decisions as pure functions (health, backoff, notices, intents)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.decide import Policy, Trip, backoff, decide, health, waiting
from alerts.dedup.window import StoryWindow
from alerts.errors import FeedGone, FetchError
from alerts.models import FeedForUpdate, FeedItem, FeedState, FetchedFeed
from alerts.pipeline import compile_rules

NOW = datetime(2026, 6, 13, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def state(**fields: object) -> FeedState:
    return FeedState("u", polled_before=True, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("before", "ok", "now", "expected"),
    [
        (state(), True, NOW, (None, None, False)),  # healthy stays healthy
        (state(), False, NOW, (None, NOW, False)),  # the failing clock starts
        (state(failing_since=NOW), False, NOW + HOUR / 2, (None, NOW, False)),  # not due
        (state(failing_since=NOW), False, NOW + HOUR, ("broken", NOW, True)),  # due: once
        (state(failing_since=NOW, reported_broken=True), False, NOW + 2 * HOUR,
         (None, NOW, True)),  # already told
        (state(failing_since=NOW, reported_broken=True), True, NOW, ("recovered", None, False)),
        (state(failing_since=NOW), True, NOW, (None, None, False)),  # short failure forgotten
    ],
)  # fmt: skip
def test_health_is_reported_once_broken_and_once_recovered(
    before: FeedState, ok: bool, now: datetime, expected: tuple[object, ...]
) -> None:
    assert health(before, ok, now, HOUR) == expected


def test_backoff_doubles_to_its_cap_and_never_overflows() -> None:
    waits = [backoff(timedelta(minutes=5), 6 * HOUR, n, None) for n in (1, 2, 3, 10, 40, 10**6)]
    assert waits[:3] == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20)]
    assert waits[3:] == [6 * HOUR] * 3
    assert backoff(timedelta(minutes=5), 6 * HOUR, 1, 3600.0) == HOUR  # Retry-After is longer
    assert backoff(timedelta(minutes=5), 6 * HOUR, 1, 1e12) == timedelta(days=1)


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    config = config_mod.loads(
        'telegram: {chat: "@alerts", admins: [7, 8]}\npolling: {broken_after: 1h}\n'
        'feeds:\n  - {url: "https://f.example/rss", name: F}\n'
        "rules:\n  - {name: Quakes, any: [earthquake]}\n",
        base_dir=tmp_path,
    )
    return Policy(config, compile_rules(config), StoryWindow(config.dedup.threshold))


def test_a_feed_broken_long_enough_is_one_intent_with_a_notice_per_admin(policy: Policy) -> None:
    feed = policy.config.feeds[0]
    read = FeedForUpdate(state(error_streak=3, failing_since=NOW - 2 * HOUR))
    intent = decide(policy, Trip(feed, read, NOW, error=FetchError(feed.url, "HTTP 500"))).intent
    assert (intent.status, intent.error_streak, intent.reported_broken) == ("failed", 4, True)
    assert intent.next_poll is not None and intent.next_poll > NOW
    assert [n.chat for n in intent.notices] == ["7", "8"]
    assert "4 failures in a row" in intent.notices[0].text


def test_a_gone_feed_stops_and_is_reported_at_once(policy: Policy) -> None:
    feed = policy.config.feeds[0]
    trip = Trip(feed, FeedForUpdate(state()), NOW, error=FeedGone(feed.url, "HTTP 410 Gone"))
    decision = decide(policy, trip)
    assert (decision.intent.status, decision.intent.next_poll, decision.health) == (
        "gone", None, "gone",
    )  # fmt: skip
    assert {n.key for n in decision.intent.notices} == {
        f"feed-gone:{feed.url}:7", f"feed-gone:{feed.url}:8",
    }  # fmt: skip


def test_two_tellings_in_one_body_alert_once_and_the_window_is_untouched(policy: Policy) -> None:
    feed = policy.config.feeds[0]
    items = tuple(
        FeedItem(
            feed.url,
            f"g{n}",
            "Earthquake of magnitude 7 hits the coast of Chile",
            f"https://f.example/{n}",
            "",
            NOW,
        )
        for n in (1, 2)
    )
    fetched = FetchedFeed(feed.url, feed.url, b"<rss/>")
    decision = decide(policy, Trip(feed, FeedForUpdate(state()), NOW, fetched, "h", items, items))
    assert len(decision.intent.alerts) == 1 and len(decision.intent.window) == 1
    assert [s.item_id for s in decision.suppressed] == ["g2"]
    assert decision.intent.seen_ids == ("g1", "g2")
    assert len(policy.window) == 0  # the window takes entries only after the store commits


def test_a_backoff_is_trusted_only_as_far_as_a_backoff_can_reach() -> None:
    cap = 6 * HOUR
    assert waiting(state(next_poll=NOW + HOUR), NOW, cap)
    assert waiting(state(next_poll=NOW + 20 * HOUR), NOW, cap)  # a day of Retry-After
    assert not waiting(state(next_poll=NOW + timedelta(days=30)), NOW, cap)  # a clock ran ahead
    assert not waiting(state(next_poll=NOW - HOUR), NOW, cap)
    assert not waiting(state(), NOW, cap)
