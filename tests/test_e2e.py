"""The real bot as a subprocess against a feed server and a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import KIM, TOKEN, bot, news_item, start_service, wait_until, write_config

BOT_TOKEN = TOKEN  # the token the telegram fixture (conftest) accepts


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())


KIM_AGAIN = "North Korea's Kim Jong Un meets Putin in Vladivostok for talks on arms"
OTHER = "Kim Jong-un and Putin sign pact on space cooperation"


def test_first_run_records_then_new_items_post_once(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    feeds.set("/a.xml", rss([news_item(1, "Putin visits Kim Jong-un"), news_item(2, "Weather")]))
    feeds.set("/b.xml", rss([news_item(3, "Markets")]))
    config = write_config(tmp_path, feeds, telegram)

    first = bot("run", "--once", "--config", str(config), LOGLEVEL="DEBUG")
    assert first.returncode == 0, first.stderr
    assert telegram.messages == []  # a feed's first sight is recorded, not alerted

    feeds.set(
        "/a.xml",
        rss([news_item(4, KIM), news_item(5, OTHER), news_item(1, "Putin visits Kim Jong-un")]),
    )
    feeds.set(
        "/b.xml",
        rss([news_item(6, KIM_AGAIN), news_item(7, "Ukraine grain deal"), news_item(3, "Markets")]),
    )
    second = bot("run", "--once", "--config", str(config), LOGLEVEL="DEBUG")
    assert second.returncode == 0, second.stderr
    titles = [m.text.split("</b>")[0].removeprefix("<b>") for m in telegram.messages]
    assert sorted(titles) == sorted([KIM, OTHER])  # the retelling in Beta is not alerted
    assert all(m.chat_id == "@alerts" for m in telegram.messages)
    assert "duplicate_suppressed" in second.stderr

    third = bot("run", "--once", "--config", str(config), LOGLEVEL="DEBUG")
    assert third.returncode == 0, third.stderr
    assert len(telegram.messages) == 2

    for run in (first, second, third):
        assert TOKEN not in run.stdout + run.stderr
        assert TOKEN.split(":")[1] not in run.stdout + run.stderr
    assert "<redacted>" in first.stderr  # the token was there to hide, and was hidden
    assert counts(tmp_path / "state.db") == {"sent": 2}


def test_telegram_down_keeps_alerts_for_the_next_run(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    feeds.set("/a.xml", rss([news_item(1, "Weather")]))
    feeds.set("/b.xml", rss([]))
    config = write_config(tmp_path, feeds, telegram)
    assert bot("run", "--once", "--config", str(config)).returncode == 0

    feeds.set("/a.xml", rss([news_item(2, KIM), news_item(1, "Weather")]))
    telegram.set_down(True)
    down = bot("run", "--once", "--deadline", "2s", "--config", str(config))
    assert down.returncode == 75, down.stderr
    assert counts(tmp_path / "state.db") == {"pending": 1}

    telegram.set_down(False)
    up = bot("run", "--once", "--config", str(config))
    assert up.returncode == 0, up.stderr
    assert [m.text.split("</b>")[0] for m in telegram.messages] == [f"<b>{KIM}"]
    assert counts(tmp_path / "state.db") == {"sent": 1}


def test_without_token_alerts_are_printed_and_recorded(tmp_path: Path, feeds: FeedServer) -> None:
    feeds.set("/a.xml", rss([news_item(1, "Weather")]))
    feeds.set("/b.xml", rss([]))
    config = write_config(tmp_path, feeds, None)
    assert bot("run", "--once", "--config", str(config), token=None).returncode == 0
    feeds.set("/a.xml", rss([news_item(2, KIM), news_item(1, "Weather")]))

    preview = bot("run", "--dry-run", "--jsonl", "--config", str(config), token=None)
    assert preview.returncode == 0, preview.stderr
    (line,) = preview.stdout.splitlines()
    record = json.loads(line)
    assert record["title"] == KIM
    assert record["chat"] == "@alerts"
    assert record["rule"] == "Kim and Putin"
    assert record["link"] == "https://news.example/2"
    assert record["text"].startswith(f"<b>{KIM}</b>")
    assert counts(tmp_path / "state.db") == {}  # the dry run changed nothing

    printed = bot("run", "--once", "--config", str(config), token=None)
    assert printed.returncode == 0, printed.stderr
    assert f"**{KIM}**" in printed.stdout
    assert "Matched Kim and Putin" in printed.stdout
    assert counts(tmp_path / "state.db") == {"sent": 1}
    again = bot("run", "--once", "--config", str(config), token=None)
    assert again.stdout == ""


def test_service_polls_on_schedule_and_stops_on_sigterm(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    _, service = start_service(tmp_path, feeds, telegram)
    try:
        deadline = time.monotonic() + 20
        while feeds.requests.get("/a.xml", 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        feeds.set("/a.xml", rss([news_item(2, KIM), news_item(1, "Weather")]))
        telegram.wait_for_messages(1, timeout=20)
    finally:
        code = service.stop()
    assert code == 0
    assert any("service_stopping" in line for line in service.lines)
    assert len(telegram.messages) == 1
    assert all(TOKEN not in line for line in service.lines)


def test_demo_prints_one_alert_for_the_seed_story() -> None:
    run = bot("demo", token=None)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.count("Russia Day message") == 1
    seed_alert = next(a for a in out.split("── alert") if "Russia Day message" in a)
    assert "North Korean leader **Kim Jong-un** congratulated" in seed_alert  # terms in bold
    assert "Leave a Reply" not in out
    assert "email address" not in out
    assert "Matched Kim and Putin" in seed_alert
    assert "https://pyongyang-watch.example/2026/06/13/kim-putin-russia-day-message/" in seed_alert
    summary = seed_alert.split("\n")[2]
    assert "pledges stronger strategic ties" not in summary  # the title is not repeated
    assert bot("demo", token=None).stdout == out  # every run prints the same alerts


@pytest.mark.parametrize("flag", ["--help"])
def test_help_documents_every_command(flag: str) -> None:
    run = bot(flag, token=None)
    assert run.returncode == 0
    for word in ("run", "demo", "check", "TELEGRAM_BOT_TOKEN", "75"):
        assert word in run.stdout
    run_help = bot("run", "--help", token=None).stdout
    for option in ("--once", "--dry-run", "--jsonl", "--deadline", "--config"):
        assert option in run_help


QUAKE_RULE = """\
  - name: Quakes
    any: [earthquake]
"""


def test_live_reload_applies_good_edits_and_keeps_the_last_good_config(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    config, bot_process = start_service(tmp_path, feeds, telegram)
    try:
        bot_process.wait_for("service_started", 20)

        # a.xml's first poll (first sight: recorded, never alerted) must be over before its
        # new item appears, or that item is seen first and never alerted; any feed's first
        # poll is not enough on a loaded machine.
        def a_polled() -> bool:
            return any("feed_polled" in line and "/a.xml" in line for line in bot_process.lines)

        wait_until(a_polled, 20, "first poll of a.xml")
        feeds.set("/c.xml", rss([]))
        edited = config.read_text().replace("/b.xml", "/c.xml") + QUAKE_RULE
        config.write_text(edited)
        # A valid edit takes effect within a second or two (the file is looked at every
        # second); the generous wait is for a loaded machine, not a promise.
        bot_process.wait_for("config_reloaded", 60)
        polls_of_removed = feeds.requests.get("/b.xml", 0)
        # A trip of a.xml begun before the reload decides by the old rules (no Quakes): had
        # it fetched the new item, the item would be recorded seen and never alerted (seen in
        # a loaded run). Trips of one feed never overlap, so the second request after the
        # reload comes from a trip begun after it: publish only then.
        polls_at_reload = feeds.requests.get("/a.xml", 0)
        wait_until(lambda: feeds.requests.get("/a.xml", 0) >= polls_at_reload + 2, 60,
                   "a trip of a.xml begun after the reload")  # fmt: skip
        feeds.set(
            "/a.xml", rss([news_item(2, "Earthquake hits the coast"), news_item(1, "Weather")])
        )
        telegram.wait_for_messages(1, timeout=60)

        good = config.read_text()
        config.write_text(good + "  - name: [broken\n")
        bot_process.wait_for("config_reload_failed", 60)
        feeds.set(
            "/a.xml", rss([news_item(3, "Strong earthquake in Chile"), news_item(1, "Weather")])
        )
        messages = telegram.wait_for_messages(3, timeout=60)
    finally:
        code = bot_process.stop()
    assert code == 0
    assert feeds.requests.get("/c.xml", 0) >= 2  # the added feed is polled
    assert feeds.requests.get("/b.xml", 0) <= polls_of_removed + 1  # the removed one stopped
    alerts = [m.text.split("</b>")[0] for m in messages if m.chat_id == "@alerts"]
    assert alerts == [
        "<b>Earthquake hits the coast",
        "<b>Strong earthquake in Chile",  # the last good rules kept firing
    ]
    (notice,) = [m for m in messages if m.chat_id == "4242"]  # the admins are told
    assert "Config edit rejected" in notice.text
    assert "line" in notice.text
    failed = next(line for line in bot_process.lines if "config_reload_failed" in line)
    assert "line" in failed
