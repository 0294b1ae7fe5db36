"""Sends that Telegram may have taken (issue 13, findings 2 and 3): a slow answer, a reset after
acceptance, an answer that is not a message. Each is "in doubt": retried once, never once per
retry, and nothing from the Telegram library escapes the courier."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.delivery import courier as outbox
from alerts.delivery.courier import Courier
from alerts.delivery.telegram import TelegramDestination, Timeouts
from alerts.models import Alert, StoryKey
from alerts.store import FAILED, PENDING, SENT, Store
from tests.fakes.botapi import FakeBotAPI
from tests.helpers import queue_alerts

SHORT = Timeouts(connect=5.0, read=1.0, write=5.0, pool=5.0)  # the bot gives up after 1 s


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "BACKOFF_START", 0.05)
    monkeypatch.setattr(outbox, "IN_DOUBT_PAUSE", 0.05)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state.db")


def queue(store: Store, count: int) -> None:
    alerts = [
        (Alert(f"k{n}", "@c", "r", f"T{n}", "", f"<b>T{n}</b>"), StoryKey(f"t{n}", ""))
        for n in range(count)
    ]
    queue_alerts(store, alerts, datetime.now(UTC))


def drain(
    store: Store, api: FakeBotAPI, timeouts: Timeouts | None = SHORT, deadline: float = 60
) -> bool:
    async def go() -> bool:
        destination = TelegramDestination("123:ABC", api.base_url, timeouts)
        try:
            return await Courier(store, destination).drain(time.monotonic() + deadline)
        finally:
            await destination.close()

    return asyncio.run(go())


def in_doubt(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("alert_in_doubt")]


def test_a_request_never_processed_is_in_doubt_and_posted_once(
    store: Store, telegram: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    queue(store, 1)
    telegram.delay("sendMessage", 3.0)  # hangs past the bot's timeout, then dropped unread
    assert drain(store, telegram)
    assert [m.text for m in telegram.messages] == ["<b>T0</b>"]  # the one retry was needed
    assert store.counts()[SENT] == 1
    assert len(in_doubt(caplog)) == 1


def test_a_slow_answer_within_the_timeout_is_no_doubt(
    store: Store, telegram: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    assert Timeouts().read >= 2 * 8.0  # Telegram under load answered after 8 s
    queue(store, 1)
    telegram.slow_answer("sendMessage", 1.0)
    assert drain(store, telegram, timeouts=Timeouts(read=4.0))
    assert [m.text for m in telegram.messages] == ["<b>T0</b>"]
    assert in_doubt(caplog) == []


def test_a_slow_answer_after_acceptance_is_retried_once(
    store: Store, telegram: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    queue(store, 2)
    telegram.slow_answer("sendMessage", 8.0)  # accepted, answered after the bot gave up
    assert drain(store, telegram)
    assert [m.text for m in telegram.messages] == ["<b>T0</b>", "<b>T0</b>", "<b>T1</b>"]
    assert store.counts() == {PENDING: 0, SENT: 2, FAILED: 0}
    assert len(in_doubt(caplog)) == 1


@pytest.mark.parametrize("fault", ["slow", "reset", "not a message"])
def test_an_alert_in_doubt_is_posted_at_most_twice(
    store: Store, telegram: FakeBotAPI, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    queue(store, 2)
    if fault == "slow":
        telegram.slow_answer("sendMessage", 8.0, times=4)
    elif fault == "reset":
        telegram.reset_after_accepting("sendMessage", times=4)
    else:
        telegram.answer_with("sendMessage", True, times=4)  # {"ok": true, "result": true}
    assert drain(store, telegram)  # nothing escapes the courier
    texts = [m.text for m in telegram.messages]
    assert texts.count("<b>T0</b>") == 2  # the first send and its one retry, then given up
    assert store.counts() == {PENDING: 0, SENT: 0, FAILED: 2}  # T1 the same way
    assert "may have been posted" in (store.failed()[0].last_error or "")
    assert len(in_doubt(caplog)) == 4


def test_an_answer_that_is_not_a_message_crashes_nothing(
    store: Store, telegram: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    queue(store, 2)
    telegram.answer_with("sendMessage", True)
    assert drain(store, telegram)
    assert [m.text for m in telegram.messages] == ["<b>T0</b>", "<b>T0</b>", "<b>T1</b>"]
    assert store.counts()[SENT] == 2
    assert "telegram_unexpected_answer" in caplog.text


def test_the_one_retry_is_counted_across_runs(
    store: Store, telegram: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue(store, 1)
    telegram.reset_after_accepting("sendMessage", times=2)
    monkeypatch.setattr(outbox, "IN_DOUBT_PAUSE", 600.0)
    assert drain(store, telegram, deadline=30) is False  # run --once: the pause outlasts it
    assert store.counts()[PENDING] == 1
    monkeypatch.setattr(outbox, "IN_DOUBT_PAUSE", 0.05)
    assert drain(store, telegram)  # the next run makes the one retry, in doubt again
    assert [m.text for m in telegram.messages] == ["<b>T0</b>", "<b>T0</b>"]
    assert store.counts()[FAILED] == 1
