"""The real bot as a subprocess against a feed server and a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:SECRET-token_VALUE"


@pytest.fixture
def telegram() -> Iterator[FakeBotAPI]:
    """A fake Bot API that accepts this module's token."""
    with FakeBotAPI(token=TOKEN) as api:
        yield api


def item(n: int, title: str, minutes_ago: int = 5) -> dict[str, str]:
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "title": title,
        "link": f"https://news.example/{n}",
        "guid": f"https://news.example/{n}",
        "description": f"<p>{title}. More words about it here.</p>",
        "date": when.isoformat(),
    }


def write_config(tmp: Path, feeds: FeedServer, api: FakeBotAPI | None, **polling: str) -> Path:
    telegram = '  chat: "@alerts"\n  admins: [4242]\n'
    telegram += f"  api_url: {api.base_url}\n" if api else ""
    extra = "".join(f"  {k}: {v}\n" for k, v in polling.items())
    text = f"""\
telegram:
{telegram}state: state.db
polling:
  timeout: 5s
{extra}feeds:
  - {{url: "{feeds.url("/a.xml")}", name: Alpha}}
  - {{url: "{feeds.url("/b.xml")}", name: Beta}}
entities:
  Kim Jong-un: [Kim Jong Un, North Korean leader]
  Vladimir Putin: [Putin]
rules:
  - name: Kim and Putin
    all: [Kim Jong-un, Vladimir Putin]
"""
    path = tmp / "config.yaml"
    path.write_text(text)
    return path


def bot(
    *args: str, token: str | None = TOKEN, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    environ.update(env)
    if token:
        environ["TELEGRAM_BOT_TOKEN"] = token
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environ,
        cwd=ROOT,
    )


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())


KIM = "Kim Jong-un meets Putin in Vladivostok for talks on arms"
KIM_AGAIN = "North Korea's Kim Jong Un meets Putin in Vladivostok for talks on arms"
OTHER = "Kim Jong-un and Putin sign pact on space cooperation"


def test_first_run_records_then_new_items_post_once(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    feeds.set("/a.xml", rss([item(1, "Putin visits Kim Jong-un"), item(2, "Weather")]))
    feeds.set("/b.xml", rss([item(3, "Markets")]))
    config = write_config(tmp_path, feeds, telegram)

    first = bot("run", "--once", "--config", str(config), LOGLEVEL="DEBUG")
    assert first.returncode == 0, first.stderr
    assert telegram.messages == []  # a feed's first sight is recorded, not alerted

    feeds.set("/a.xml", rss([item(4, KIM), item(5, OTHER), item(1, "Putin visits Kim Jong-un")]))
    feeds.set(
        "/b.xml", rss([item(6, KIM_AGAIN), item(7, "Ukraine grain deal"), item(3, "Markets")])
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
    feeds.set("/a.xml", rss([item(1, "Weather")]))
    feeds.set("/b.xml", rss([]))
    config = write_config(tmp_path, feeds, telegram)
    assert bot("run", "--once", "--config", str(config)).returncode == 0

    feeds.set("/a.xml", rss([item(2, KIM), item(1, "Weather")]))
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
    feeds.set("/a.xml", rss([item(1, "Weather")]))
    feeds.set("/b.xml", rss([]))
    config = write_config(tmp_path, feeds, None)
    assert bot("run", "--once", "--config", str(config), token=None).returncode == 0
    feeds.set("/a.xml", rss([item(2, KIM), item(1, "Weather")]))

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
        feeds.set("/a.xml", rss([item(2, KIM), item(1, "Weather")]))
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


class Running:
    """The service as a subprocess whose log lines are collected as they come."""

    def __init__(self, config: Path) -> None:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        environ["TELEGRAM_BOT_TOKEN"] = TOKEN
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bot.py"), "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=environ,
            cwd=ROOT,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, needle: str, timeout: float) -> float:
        """Seconds until a log line containing ``needle`` appears."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if any(needle in line for line in self.lines):
                return time.monotonic() - started
            time.sleep(0.05)
        raise AssertionError(f"no {needle!r} in the log:\n{''.join(self.lines)}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._reader.join(timeout=5)
            assert self.proc.stderr is not None
            self.proc.stderr.close()


def start_service(tmp: Path, feeds: FeedServer, api: FakeBotAPI) -> tuple[Path, Running]:
    """The service polling two feeds every second (Alpha has one dull item, Beta none)."""
    feeds.set("/a.xml", rss([item(1, "Weather")]))
    feeds.set("/b.xml", rss([]))
    config = write_config(tmp, feeds, api, interval="1s", jitter="0s")
    return config, Running(config)


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
        bot_process.wait_for("feed_polled", 20)
        feeds.set("/c.xml", rss([]))
        started = time.monotonic()
        edited = config.read_text().replace("/b.xml", "/c.xml") + QUAKE_RULE
        config.write_text(edited)
        bot_process.wait_for("config_reloaded", 10)
        assert time.monotonic() - started < 5  # a valid edit takes effect within 5 s
        polls_of_removed = feeds.requests.get("/b.xml", 0)
        feeds.set("/a.xml", rss([item(2, "Earthquake hits the coast"), item(1, "Weather")]))
        telegram.wait_for_messages(1, timeout=20)

        good = config.read_text()
        config.write_text(good + "  - name: [broken\n")
        bot_process.wait_for("config_reload_failed", 10)
        feeds.set("/a.xml", rss([item(3, "Strong earthquake in Chile"), item(1, "Weather")]))
        messages = telegram.wait_for_messages(3, timeout=20)
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
