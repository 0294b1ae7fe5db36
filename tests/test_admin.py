"""Operators' commands: /status and friends over the fake Bot API, and the status/redrive CLI."""

from __future__ import annotations

import time
from pathlib import Path

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import KIM, TOKEN, bot, news_item, start_service, write_config

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
        assert "1 failed" in ask(telegram, "/status", 7)
        assert "1 failed alert(s) are pending again" in ask(telegram, "/redrive", 8)
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
