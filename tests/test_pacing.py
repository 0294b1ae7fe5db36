"""Pacing against a fake Bot API that enforces 20 messages a minute per channel (slow: minutes)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.delivery.courier import Courier, pace_of
from alerts.delivery.telegram import TelegramDestination
from alerts.models import Alert, StoryKey
from alerts.store import PENDING, SENT, Store
from tests.fakes.botapi import FakeBotAPI
from tests.helpers import queue_alerts

pytestmark = pytest.mark.slow
CHAT = "@burst"


def queue(path: Path, count: int) -> None:
    store = Store(path)
    alerts = [
        (Alert(f"k{n}", CHAT, "r", f"T{n}", "", f"<b>alert {n:03d}</b>"), StoryKey(f"t{n}", ""))
        for n in range(count)
    ]
    queue_alerts(store, alerts, datetime.now(UTC))
    store.close()


def drain(path: Path, api: FakeBotAPI, deadline: float) -> bool:
    """One bot process's worth of delivery: its own store handle and rate limiter."""

    async def go() -> bool:
        store = Store(path)
        destination = TelegramDestination("123:ABC", api.base_url)
        try:
            return await Courier(store, destination).drain(time.monotonic() + deadline)
        finally:
            await destination.close()
            store.close()

    return asyncio.run(go())


@pytest.fixture
def strict() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(per_chat_per_minute=20) as api:
        yield api


def test_chats_get_their_pace() -> None:
    assert pace_of("@channel") == (20, 60.0)
    assert pace_of("-1001234") == (20, 60.0)
    assert pace_of("123456") == (1, 1.0)


def test_a_burst_of_100_is_paced_without_a_single_429(tmp_path: Path, strict: FakeBotAPI) -> None:
    path = tmp_path / "state.db"
    queue(path, 100)
    started = time.monotonic()
    assert drain(path, strict, deadline=600)
    took = time.monotonic() - started
    print(f"\n100 alerts at 20/minute took {took:.1f} s (the limit's minimum is 240 s)")
    assert strict.count_429 == 0
    assert [m.text for m in strict.messages] == [f"<b>alert {n:03d}</b>" for n in range(100)]
    assert 240 <= took < 300  # the limit's minimum, with slack for a loaded machine


def test_the_pace_survives_a_restart(tmp_path: Path, strict: FakeBotAPI) -> None:
    path = tmp_path / "state.db"
    queue(path, 25)
    assert drain(path, strict, deadline=5) is False  # 20 go out, then the pace outlasts 5 s
    assert len(strict.messages) == 20
    started = time.monotonic()
    assert drain(path, strict, deadline=120)  # a new process: its rate limiter starts empty
    assert strict.count_429 == 0
    assert len(strict.messages) == 25
    assert time.monotonic() - started > 50  # it waited for the minute to pass
    store = Store(path)
    assert (store.counts()[SENT], store.counts()[PENDING]) == (25, 0)
    store.close()
