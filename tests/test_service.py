"""The service loop (alerts/scheduler.py, alerts/dispatcher.py): what it does on its own between
polls; the bot as a subprocess against a feed server and the fake Bot API, or in process."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.errors import NotifyError, StoreError
from alerts.models import Alert, StoryKey
from alerts.scheduler import Service
from alerts.store import Store
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import KIM, TOKEN, news_item, parse_pool, queue_alerts, start_service, wait_until

BOT_TOKEN = TOKEN  # the token the telegram fixture (conftest) accepts
KIM_AGAIN = "North Korea's Kim Jong Un meets Putin in Vladivostok for talks on arms"


def test_the_service_edits_a_sent_alert_on_its_own(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    """Finding 13: the "Also:" edit is made while the chat has no other alert pending."""
    _, service = start_service(tmp_path, feeds, telegram)
    try:
        service.wait_for("feed_polled", 20)
        feeds.set("/a.xml", rss([news_item(2, KIM), news_item(1, "Weather")]))
        (message,) = telegram.wait_for_chat("@alerts", 1, timeout=30)
        feeds.set("/b.xml", rss([news_item(3, KIM_AGAIN)]))  # Beta retells the story later
        wait_until(lambda: telegram.edits, 40, "edit of the sent alert")
    finally:
        assert service.stop() == 0
    (edit,) = telegram.edits
    assert edit.message_id == message.message_id
    assert edit.text == message.text + "\n<i>Also: Beta</i>"
    assert len(telegram.messages) == 1


def test_the_service_logs_no_line_per_poll_from_apscheduler(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    """Finding 15: APScheduler's "Running job" and "executed successfully" lines are quiet."""
    _, service = start_service(tmp_path, feeds, telegram)
    try:
        wait_until(lambda: feeds.requests.get("/a.xml", 0) >= 3, 30, "three polls of Alpha")
    finally:
        assert service.stop() == 0
    assert any("feed_polled" in line for line in service.lines)
    assert [line for line in service.lines if " INFO apscheduler" in line] == []


def test_a_deleted_state_file_stops_the_service(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    """Finding 15: deleting the state file under the service stops it (exit 1), loudly."""
    _, service = start_service(tmp_path, feeds, telegram)
    try:
        service.wait_for("service_started", 20)
        (tmp_path / "state.db").unlink()
        code = service.proc.wait(timeout=60)
    finally:
        service.stop()
    assert code == 1
    (line,) = [line for line in service.lines if "state_file_lost" in line]
    assert " CRITICAL " in line
    assert "deleted" in line


def test_a_replaced_state_file_is_told_apart(tmp_path: Path) -> None:
    """The check behind it: the path must still name the file opened (same device and inode)."""
    path = tmp_path / "state.db"
    store = Store(path)
    try:
        store.check_file()  # the file opened: no error
        Store(tmp_path / "other.db").close()
        os.replace(tmp_path / "other.db", path)
        with pytest.raises(StoreError, match="replaced"):
            store.check_file()
    finally:
        store.close()


# ---------------------------------------------------------------- one drainer per chat

OLD, NEW = "-100", "-1004001"


class MigratingChat:
    """A destination where the group OLD became the supergroup NEW, whose first send hangs
    until ``release`` is set (so that the dispatcher runs while the migration is drained)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.hanging = asyncio.Event()
        self.release = asyncio.Event()

    async def start(self) -> None:
        """Nothing to log in to."""

    async def send(self, alert: Alert) -> int | None:
        """OLD answers "migrated"; NEW takes the alert, the first one after ``release``."""
        if alert.chat == OLD:
            raise NotifyError(OLD, "Bad Request: group chat was upgraded", new_chat=NEW)
        if not self.hanging.is_set():
            self.hanging.set()
            await self.release.wait()
        self.sent.append((alert.chat, alert.key))
        return len(self.sent)

    async def edit(self, alert: Alert, message_id: int, text: str) -> None:
        """Not used here."""

    async def close(self) -> None:
        """Nothing to close."""

    async def admin_notice(self, admins: list[int], text: str) -> None:
        """Not used here."""


def alert(n: int) -> tuple[Alert, StoryKey]:
    """The n-th alert for OLD."""
    return (
        Alert(key=f"k{n}", chat=OLD, rule="r", title=f"T{n}", link=f"L{n}", text=f"<b>T{n}</b>"),
        StoryKey(f"t{n}", f"l{n}"),
    )


async def until(condition: Callable[[], object], what: str) -> None:
    """Wait (polling, in the event loop) until ``condition()`` is true, for at most 20 s."""
    try:
        async with asyncio.timeout(20):
            for _ in itertools.count():
                if condition():
                    return
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"no {what} within 20 s") from None


async def _migrate_under_the_service(tmp: Path, feeds: FeedServer) -> MigratingChat:
    feeds.set("/a.xml", rss([]))
    config = config_mod.loads(
        f'telegram: {{chat: "{OLD}"}}\nfeeds: [{{url: "{feeds.url("/a.xml")}"}}]\n'
        "rules: [{name: r, any: [x]}]\n",
        base_dir=tmp,
    )
    destination = MigratingChat()
    async with open_bot(config, parser=parse_pool()) as ctx:
        queue_alerts(ctx.store, [alert(n) for n in range(5)], datetime.now(UTC))
        service = Service(ctx, destination)
        running = asyncio.create_task(service.run())
        await asyncio.wait_for(destination.hanging.wait(), 20)  # NEW is being drained
        service.wake.set()  # as a poll that found an alert would
        await until(lambda: not service.wake.is_set(), "the dispatcher taking the wake")
        for _ in range(20):  # any sender it started reaches the courier, and waits there
            await asyncio.sleep(0)
        destination.release.set()
        await until(lambda: not ctx.store.pending(), "the alerts delivered")
        service.stop.set()
        assert await running == 0
    return destination


def test_a_migrated_chat_is_drained_by_one_sender(tmp_path: Path, feeds: FeedServer) -> None:
    """Finding 4: the dispatcher never starts a second sender for a migration's new chat."""
    destination = asyncio.run(_migrate_under_the_service(tmp_path, feeds))
    twice = [key for key, n in Counter(key for _, key in destination.sent).items() if n > 1]
    assert twice == []
    assert sorted(key for _, key in destination.sent) == [f"k{n}" for n in range(5)]
    assert {chat for chat, _ in destination.sent} == {NEW}
