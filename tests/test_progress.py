"""Progress bars (alerts/progress.py) of run --once (feeds polled) and backtest (items judged):
drawn on a terminal (a pty), never in a pipe, where the log lines stay as they were."""

from __future__ import annotations

import fcntl
import io
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from alerts.progress import Progress
from tests.fakes import WAIT_SCALE
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import KIM, ROOT, TOKEN, bot, news_item, write_config

BOT_TOKEN = TOKEN
BAR = re.compile(r"(\d+)/(\d+) \[[^\]]*, [^\]]*(feeds|items)")  # tqdm: "n/total [time, rate]"


def on_terminal(*args: str, timeout: float = 60) -> tuple[int, str]:
    """bot.py with standard error on a pseudo-terminal; its exit code and what it drew there."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    environ["TELEGRAM_BOT_TOKEN"] = TOKEN
    master, slave = os.openpty()
    # A terminal of 24 lines of 100 columns (a fresh pty has none: tqdm would draw 0 columns).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=environ, cwd=ROOT,
    )  # fmt: skip
    os.close(slave)
    drawn = bytearray()
    deadline = time.monotonic() + timeout * WAIT_SCALE
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the bot exited and the terminal's other end closed
                break
            if not chunk:
                break
            drawn += chunk
        return proc.wait(timeout=timeout * WAIT_SCALE), drawn.decode("utf-8", "replace")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()


def two_cycles(tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI) -> Path:
    """A config whose state has seen one item that could alert (and alerted it)."""
    feeds.set("/a.xml", rss([news_item(1, "Weather")]))
    feeds.set("/b.xml", rss([news_item(2, "Markets")]))
    config = write_config(tmp_path, feeds, telegram)
    assert bot("run", "--once", "--config", str(config)).returncode == 0
    feeds.set("/a.xml", rss([news_item(3, KIM), news_item(1, "Weather")]))
    return config


def test_run_once_draws_feeds_polled_on_a_terminal_only(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    config = two_cycles(tmp_path, feeds, telegram)
    code, drawn = on_terminal("run", "--once", "--config", str(config))
    assert code == 0, drawn
    assert ("2", "2", "feeds") in BAR.findall(drawn), drawn  # both feeds polled, with a rate
    assert "\r" in drawn
    assert "poll_cycle_done" in drawn  # the log lines are still there
    piped = bot("run", "--once", "--config", str(config))
    assert piped.returncode == 0, piped.stderr
    assert not BAR.search(piped.stderr) and "\r" not in piped.stderr
    assert "poll_cycle_done" in piped.stderr
    assert len(telegram.messages) == 1


def test_backtest_draws_items_judged_on_a_terminal_only(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    config = two_cycles(tmp_path, feeds, telegram)
    assert bot("run", "--once", "--config", str(config)).returncode == 0
    feeds.set("/b.xml", rss([news_item(4, "Markets rally"), news_item(2, "Markets")]))
    assert bot("run", "--once", "--config", str(config)).returncode == 0
    code, drawn = on_terminal("backtest", "--config", str(config))
    assert code == 0, drawn
    # Both items judged, then the one no rule matched in the last pass (its own bar).
    assert re.search(r"judged: .*2/2 \[", drawn), drawn
    assert re.search(r"joins: .*1/1 \[", drawn), drawn
    assert ("2", "2", "items") in BAR.findall(drawn), drawn
    piped = bot("backtest", "--config", str(config))
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr
    assert "items judged: 2" in piped.stdout


def test_no_bar_when_there_is_nothing_to_count() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    with Progress("items", 0, stream=stream, label="joins") as bar:
        assert not bar.shown
    with Progress("items", 2, stream=stream, label="joins") as bar:
        assert bar.shown
        bar.advance(2)
    assert "joins: " in stream.getvalue() and "2/2" in stream.getvalue()


def test_no_bar_off_a_terminal() -> None:
    stream = io.StringIO()
    with Progress("feeds", 3, stream=stream) as bar:
        bar.advance(3)
        assert not bar.shown
    assert stream.getvalue() == ""
