"""alerts/delivery/courier.py and telegram.py: python-telegram-bot against the fake Bot API."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.delivery import courier as outbox
from alerts.delivery.courier import Courier
from alerts.delivery.stdout import StdoutDestination
from alerts.delivery.telegram import TelegramDestination, Timeouts
from alerts.delivery.telegram import bot as telegram_module
from alerts.errors import InvalidTokenError
from alerts.models import Alert, ClusterJoin, FeedUpdateIntent, StoryKey
from alerts.scheduler import start_destination
from alerts.store import FAILED, PENDING, SENT, Store
from tests.fakes.botapi import FakeBotAPI
from tests.helpers import queue_alerts

NOW = datetime(2026, 6, 13, tzinfo=UTC)


SHORT = Timeouts(connect=5.0, read=1.0, write=5.0, pool=5.0)  # the bot gives up after 1 s


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "BACKOFF_START", 0.05)
    monkeypatch.setattr(outbox, "IN_DOUBT_PAUSE", 0.05)


def queue(store: Store, *chats: str) -> None:
    alerts = [
        (
            Alert(key=f"k{n}", chat=chat, rule="r", title=f"T{n}", link="", text=f"<b>T{n}</b>"),
            StoryKey(f"t{n}", ""),
        )
        for n, chat in enumerate(chats)
    ]
    queue_alerts(store, alerts, NOW)


def drain(
    store: Store,
    api: FakeBotAPI,
    deadline: float = 30.0,
    token: str = "123:ABC",
    timeouts: Timeouts | None = None,
) -> bool:
    async def go() -> bool:
        destination = TelegramDestination(token, api.base_url, timeouts)
        try:
            await start_destination(destination)
            return await Courier(store, destination).drain(time.monotonic() + deadline)
        finally:
            await destination.close()

    return asyncio.run(go())


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state.db")


def test_alerts_are_sent_in_order_and_recorded(store: Store, telegram: FakeBotAPI) -> None:
    queue(store, "@c", "@c", "@d", "@c")
    assert drain(store, telegram)
    by_chat = [(m.chat_id, m.text) for m in telegram.messages]
    assert [t for c, t in by_chat if c == "@c"] == ["<b>T0</b>", "<b>T1</b>", "<b>T3</b>"]
    assert store.counts() == {PENDING: 0, SENT: 4, FAILED: 0}
    ids = {m.message_id for m in telegram.messages}
    assert {mid for _, mid, _ in store.sent_messages()} == ids
    params = telegram.messages[0].params
    assert params["parse_mode"] == "HTML"
    assert json.loads(params["link_preview_options"]) == {"is_disabled": True}


def test_429_waits_retry_after_and_retries(store: Store, telegram: FakeBotAPI) -> None:
    queue(store, "@c", "@c")
    telegram.fail(
        "sendMessage", 429, "Too Many Requests: retry after 1", parameters={"retry_after": 1}
    )
    started = time.monotonic()
    assert drain(store, telegram)
    assert time.monotonic() - started >= 1.0
    assert telegram.count_429 == 1
    assert [m.text for m in telegram.messages] == ["<b>T0</b>", "<b>T1</b>"]


def test_server_errors_are_retried_with_backoff(store: Store, telegram: FakeBotAPI) -> None:
    queue(store, "@c")
    telegram.fail("sendMessage", 500, "Internal Server Error", times=3)
    assert drain(store, telegram)
    assert len(telegram.messages) == 1
    assert store.counts()[SENT] == 1


def test_refused_connections_are_retried_freely(
    store: Store, telegram: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    queue(store, "@c")
    telegram.set_refusing(True)  # nothing listens: the request cannot reach Telegram
    threading.Timer(1.5, telegram.set_refusing, args=(False,)).start()
    assert drain(store, telegram)
    assert [m.text for m in telegram.messages] == ["<b>T0</b>"]
    assert store.failed() == [] and "alert_in_doubt" not in caplog.text
    assert sum("send_retry" in r.getMessage() for r in caplog.records) >= 3


def test_permanent_refusal_marks_failed_and_goes_on(store: Store, telegram: FakeBotAPI) -> None:
    queue(store, "@c", "@c")
    telegram.fail("sendMessage", 403, "Forbidden: bot is not a member of the channel chat")
    assert drain(store, telegram)
    assert store.counts() == {PENDING: 0, SENT: 1, FAILED: 1}
    assert [m.text for m in telegram.messages] == ["<b>T1</b>"]


def test_migrated_group_is_resent_to_the_new_id(store: Store, telegram: FakeBotAPI) -> None:
    queue(store, "-4001", "-4001")
    telegram.fail(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": -1004001},
    )
    assert drain(store, telegram)
    assert [m.chat_id for m in telegram.messages] == ["-1004001", "-1004001"]
    assert store.counts()[SENT] == 2


def test_a_migrated_group_has_one_drainer(
    store: Store, telegram: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """30 pending alerts, the group migrates at the first: each is posted once, though the
    dispatcher (and a drain) start drainers of the new chat while the old one's still runs."""
    # 30 at once, not over a minute: the courier's pace and PTB's in-process guard raised.
    monkeypatch.setattr(outbox, "GROUP_PACE", (100, 60.0))
    limiter = telegram_module.AIORateLimiter
    monkeypatch.setattr(
        telegram_module, "AIORateLimiter", lambda **kw: limiter(group_max_rate=100, **kw)
    )
    queue(store, *["-4001"] * 30)
    telegram.fail("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat",
                  parameters={"migrate_to_chat_id": -1004001})  # fmt: skip

    async def go() -> None:
        destination = TelegramDestination("123:ABC", telegram.base_url)
        courier = Courier(store, destination)
        moved, move_chat = asyncio.Event(), store.move_chat

        def move(old: str, new: str) -> None:
            move_chat(old, new)
            moved.set()

        store.move_chat = move  # type: ignore[method-assign]

        async def when_moved() -> None:  # as the dispatcher does, woken by the move
            await moved.wait()
            await courier.drain_chat("-1004001")

        try:
            await asyncio.wait_for(
                asyncio.gather(courier.drain_chat("-4001"), when_moved(), when_moved()), 60
            )
        finally:
            await destination.close()

    asyncio.run(go())
    texts = [m.text for m in telegram.messages]
    assert texts == [f"<b>T{n}</b>" for n in range(30)]
    assert {m.chat_id for m in telegram.messages} == {"-1004001"}
    assert store.counts() == {PENDING: 0, SENT: 30, FAILED: 0}


def test_the_pace_holds_a_chat_one_window_at_most(store: Store, telegram: FakeBotAPI) -> None:
    """Send times stored in the future (a clock set back two hours): counted as now, once."""
    queue(store, "12345", "12345", "12345")  # a private chat: one message a second
    first = store.pending()[0]
    store.mark_sent(first.id, 1, datetime.now(UTC) + timedelta(hours=2))
    started = time.monotonic()
    assert drain(store, telegram, deadline=20.0)  # was: "wait 7201 s", past the deadline
    assert [m.text for m in telegram.messages] == ["<b>T1</b>", "<b>T2</b>"]
    assert time.monotonic() - started < 20.0
    assert store.recent_sends("12345", datetime.now(UTC)) == []  # none left in the future


def test_pace_wait_counts_a_future_send_as_now() -> None:
    now = 1_000_000.0
    assert outbox.pace_wait([now + 7200] * 20, now, (20, 60.0)) == pytest.approx(60.05)
    assert outbox.pace_wait([now - 30] * 19 + [now + 7200], now, (20, 60.0)) == pytest.approx(30.05)
    assert outbox.pace_wait([now - 61] * 20, now, (20, 60.0)) == 0.0
    assert outbox.pace_wait([now - 10] * 19, now, (20, 60.0)) == 0.0


def test_telegram_down_past_the_deadline_keeps_alerts_pending(
    store: Store, telegram: FakeBotAPI
) -> None:
    queue(store, "@c", "@d")
    telegram.set_down(True)
    assert drain(store, telegram, deadline=1.0) is False
    assert store.counts()[PENDING] == 2
    telegram.set_down(False)
    assert drain(store, telegram)
    assert store.counts()[SENT] == 2


def test_bad_token_stops_with_a_clear_error(store: Store, telegram: FakeBotAPI) -> None:
    queue(store, "@c")
    with pytest.raises(InvalidTokenError):
        drain(store, telegram, token="999:WRONG")
    assert store.counts()[PENDING] == 1


def test_stdout_destination_prints_human_and_jsonl() -> None:
    a = Alert(
        key="k", chat="@c", rule="r", title="T & U", link="https://x", text="<b>T &amp; U</b>"
    )
    human, lines = io.StringIO(), io.StringIO()
    asyncio.run(StdoutDestination(stream=human).send(a))
    asyncio.run(StdoutDestination(jsonl=True, stream=lines).send(a))
    assert "**T & U**" in human.getvalue()
    record = json.loads(lines.getvalue())
    assert record == {
        "chat": "@c",
        "rule": "r",
        "title": "T & U",
        "link": "https://x",
        "text": "<b>T &amp; U</b>",
    }


def test_backoff_grows_and_is_capped() -> None:
    assert outbox.backoff_delay(1, rng=lambda: 1.0) == pytest.approx(0.1)  # the floor
    assert outbox.backoff_delay(3, rng=lambda: 1.0) == pytest.approx(0.2)
    assert outbox.backoff_delay(40, rng=lambda: 1.0) == outbox.BACKOFF_MAX


def test_a_group_that_migrates_on_an_edit_ends_nothing(store: Store, telegram: FakeBotAPI) -> None:
    """An "Also:" edit answered with migrate_to_chat_id: the old message stays in the old group,
    the edit is given up, and the drain goes on (it used to raise out of the courier)."""
    queue(store, "-4002")
    (entry,) = store.pending()
    store.mark_sent(entry.id, 7, NOW)
    join = ClusterJoin(entry.alert.key, "Wire", "v", "x")
    store.update_feed(FeedUpdateIntent("v", "ok", joins=(join,)), NOW)
    assert store.edit_chats() == ["-4002"]
    upgraded = "Bad Request: group chat was upgraded to a supergroup chat"
    telegram.fail("editMessageText", 400, upgraded, parameters={"migrate_to_chat_id": -1004002})

    async def go() -> bool:
        destination = TelegramDestination("123:ABC", telegram.base_url)
        try:
            return await Courier(store, destination).drain(time.monotonic() + 60)
        finally:
            await destination.close()

    assert asyncio.run(go())
    assert store.edit_chats() == []
