"""Operators' commands: /status and friends over the fake Bot API, and the status/redrive CLI."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import (
    KIM,
    TOKEN,
    Running,
    bot,
    news_item,
    start_service,
    wait_until,
    write_config,
)

BOT_TOKEN = TOKEN  # the token the telegram fixture (conftest) accepts
ADMIN = "4242"


def ask(api: FakeBotAPI, command: str, n: int) -> str:
    """Send a command as the admin; the n-th reply to the admin's chat."""
    api.push_command(command, int(ADMIN))
    return api.wait_for_chat(ADMIN, n, timeout=20)[n - 1].text


def test_admin_commands(tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI) -> None:
    _, service = start_service(tmp_path, feeds, telegram)
    try:
        service.wait_for("commands_listening", 20)
        service.wait_for("feed_polled", 20)
        status = ask(telegram, "/status", 1)
        print(f"\n/status answered:\n{status}")
        assert "Bot: running since" in status
        assert "Feeds: 2" in status
        assert "Alerts: 0 pending, 0 failed" in status

        assert "Kim and Putin -> @alerts" in ask(telegram, "/rules", 2)
        assert "FIRES  Kim and Putin" in ask(telegram, "/explain Kim Jong Un meets Putin", 3)

        telegram.push_command("/status", 999)  # not an admin: no answer, logged
        service.wait_for("command_refused user_id=999", 10)

        assert "Posting paused" in ask(telegram, "/pause", 4)
        feeds.set("/a.xml", rss([news_item(2, KIM), news_item(1, "Weather")]))
        service.wait_for("alerts=1", 20)
        time.sleep(1.5)
        assert [m for m in telegram.messages if m.chat_id == "@alerts"] == []  # it waits
        assert "PAUSED" in ask(telegram, "/status", 5)
        assert "1 alert(s) waiting" in ask(telegram, "/resume", 6)
        telegram.wait_for_chat("@alerts", 1, timeout=20)

        telegram.fail("sendMessage", 403, "Forbidden: bot is not a member of the channel chat")
        feeds.set(
            "/a.xml", rss([news_item(3, "Kim Jong-un and Putin sign a pact"), news_item(1, "x")])
        )
        service.wait_for("alert_failed", 20)
        notice = telegram.wait_for_chat(ADMIN, 7, timeout=20)[6].text  # sent on its own
        assert notice.startswith("<b>Telegram refused alerts for @alerts</b>")
        assert "1 failed" in ask(telegram, "/status", 8)
        assert "1 failed alert(s) are pending again" in ask(telegram, "/redrive", 9)
        telegram.wait_for_chat("@alerts", 2, timeout=20)
    finally:
        assert service.stop() == 0
    commands = [params for method, params in telegram.calls if method == "setMyCommands"]
    assert commands and "redrive" in commands[0]["commands"]
    assert all(m.chat_id != "999" for m in telegram.messages)


def test_status_and_redrive_from_the_command_line(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    feeds.set("/a.xml", rss([news_item(1, "Weather")]))
    feeds.set("/b.xml", rss([]))
    config = write_config(tmp_path, feeds, telegram)
    assert bot("status", "--config", str(config)).returncode == 1  # no state yet
    assert bot("run", "--once", "--config", str(config)).returncode == 0
    feeds.set("/a.xml", rss([news_item(2, KIM), news_item(1, "Weather")]))
    feeds.set("/b.xml", "oops", status=500)
    telegram.fail("sendMessage", 400, "Bad Request: chat not found")
    assert bot("run", "--once", "--config", str(config)).returncode == 0

    status = bot("status", "--config", str(config))
    assert status.returncode == 0, status.stderr
    assert "Bot: not running" in status.stdout
    assert "FAILING  Beta: 1 failure(s) in a row" in status.stdout
    assert "ok       Alpha" in status.stdout
    assert "Alerts: 0 pending, 1 failed" in status.stdout
    assert "chat not found" in status.stdout.lower()
    print(status.stdout)

    redrive = bot("redrive", "--config", str(config))
    assert "1 failed alert(s) are pending again" in redrive.stdout
    assert bot("run", "--once", "--config", str(config)).returncode == 0
    alerts = [m.text.split("</b>")[0] for m in telegram.messages if m.chat_id == "@alerts"]
    assert alerts == [f"<b>{KIM}"]
    (notice,) = [m.text for m in telegram.messages if m.chat_id == ADMIN]  # told once
    assert notice.startswith("<b>Telegram refused alerts for @alerts</b>\nChat not found")


def answered(service: Running) -> int:
    """How many commands the log says were answered (a coalesced reply answers ``asked``)."""
    lines = [line for line in service.lines if "command_answered" in line]
    return sum(int(m.group(1)) if (m := re.search(r"asked=(\d+)", line)) else 1 for line in lines)


def test_admins_follow_a_config_reload(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    """Finding 11: a removed admin is refused at once, an added one is answered."""
    config, service = start_service(tmp_path, feeds, telegram)
    try:
        service.wait_for("commands_listening", 20)
        assert "Bot: running since" in ask(telegram, "/status", 1)
        config.write_text(config.read_text().replace("admins: [4242]", "admins: [5151]"))
        service.wait_for("config_reloaded", 20)
        telegram.push_command("/pause", int(ADMIN))
        service.wait_for("command_refused user_id=4242 command=pause", 20)
        telegram.push_command("/status", 5151)
        (status,) = telegram.wait_for_chat("5151", 1, timeout=20)
    finally:
        assert service.stop() == 0
    assert "Posting: active" in status.text  # the removed admin's /pause did nothing
    assert len([m for m in telegram.messages if m.chat_id == ADMIN]) == 1


def test_a_burst_of_commands_is_coalesced_and_never_meets_a_429(
    tmp_path: Path, feeds: FeedServer
) -> None:
    """Finding 12: 1,000 /status at once are a few replies, and Telegram's limits hold."""
    # One a second to a private chat is 60 a minute; 30 a second overall (the FAQ's limits).
    with FakeBotAPI(token=TOKEN, per_chat_per_minute=60, global_per_second=30) as api:
        _, service = start_service(tmp_path, feeds, api)
        try:
            service.wait_for("commands_listening", 20)
            for _ in range(1000):
                api.push_command("/status", int(ADMIN))
            wait_until(lambda: answered(service) >= 1000, 120, "answer to 1,000 commands")
        finally:
            assert service.stop() == 0
        replies = [m for m in api.messages if m.chat_id == ADMIN]
        assert api.count_429 == 0
        assert answered(service) == 1000
        assert 1 <= len(replies) <= 30
        assert all("Bot: running since" in m.text for m in replies)


def test_replies_to_one_chat_are_paced(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    """Finding 12: different commands from one admin are answered a second apart at least."""
    times: list[float] = []
    telegram.on_message(lambda method, m: times.append(time.monotonic()))
    _, service = start_service(tmp_path, feeds, telegram)
    try:
        service.wait_for("commands_listening", 20)
        for command in ("/status", "/rules", "/explain Kim meets Putin", "/explain weather"):
            telegram.push_command(command, int(ADMIN))
        telegram.wait_for_chat(ADMIN, 4, timeout=30)
    finally:
        assert service.stop() == 0
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(gaps) == 3
    assert min(gaps) >= 0.95, gaps


GROUP = -100777


def test_an_admins_command_in_a_group_is_answered_in_private(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    """Finding 15: the report goes to the admin, not to the group; if the admin never opened
    a private chat with the bot, the group gets a hint and no report."""
    _, service = start_service(tmp_path, feeds, telegram)
    try:
        service.wait_for("commands_listening", 20)
        telegram.push_command("/status@fake_bot", int(ADMIN), chat_id=GROUP)
        (status,) = telegram.wait_for_chat(ADMIN, 1, timeout=20)
        assert "Bot: running since" in status.text
        telegram.fail("sendMessage", 403, "Forbidden: bot can't initiate conversation with a user")
        telegram.push_command("/rules", int(ADMIN), chat_id=GROUP)
        (hint,) = telegram.wait_for_chat(str(GROUP), 1, timeout=20)
        telegram.push_command("/status", 999, chat_id=GROUP)  # not an admin: no answer
        service.wait_for("command_refused user_id=999", 20)
    finally:
        assert service.stop() == 0
    assert "private chat" in hint.text
    assert "Kim and Putin" not in hint.text
    assert [m.chat_id for m in telegram.messages] == [ADMIN, str(GROUP)]


def test_commands_start_when_telegram_comes_back(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    """Telegram down at start does not end the service: the commands come up with it."""
    telegram.set_down(True)
    _, service = start_service(tmp_path, feeds, telegram)
    try:
        service.wait_for("commands_unavailable", 20)
        service.wait_for("feed_polled", 20)
        telegram.set_down(False)
        service.wait_for("commands_listening", 30)  # at the next tick
        assert "Bot: running since" in ask(telegram, "/status", 1)
    finally:
        assert service.stop() == 0
