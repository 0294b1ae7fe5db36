"""Helpers shared by test modules, so that no test module imports another.

Fixtures live in conftest.py; these are the plain functions and classes behind them:
- ``shared_path``: a file of ../shared, or a clean skip (a failure in CI) where it is absent;
- the bot as a subprocess (``bot``, ``Running``, ``start_service``) over a config of two feeds
  (``write_config``) with ``news_item`` items, talking to a fake Bot API that accepts ``TOKEN``;
- the bot in process (``Bot``) over a config of given feeds, with ``item`` items, assembled by
  ``alerts.app.open_bot`` around a store it keeps and the run's one ``parse_pool``;
- ``queue_alerts``: alerts in a store's outbox, as a trip writes them.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.delivery.stdout import StdoutDestination
from alerts.feeds.parse_pool import ParsePool
from alerts.models import Alert, FeedUpdateIntent, PollResult, StoryKey
from alerts.pipeline import poll_feed
from alerts.scheduler import run_once
from alerts.store import Store
from tests.fakes import WAIT_SCALE
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TOKEN = "123456:SECRET-token_VALUE"
KIM = "Kim Jong-un meets Putin in Vladivostok for talks on arms"
NOW = datetime.now(UTC)


def shared_path(relative: str) -> Path:
    """A file under ../shared; skips the test where it is absent, except in CI (fails)."""
    path = SHARED / relative
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing in CI")
        pytest.skip(f"{path} is absent")
    return path


# ---------------------------------------------------------------- the bot as a subprocess


def news_item(n: int, title: str, minutes_ago: int = 5) -> dict[str, str]:
    """An RSS item on news.example, published ``minutes_ago`` minutes ago."""
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "title": title,
        "link": f"https://news.example/{n}",
        "guid": f"https://news.example/{n}",
        "description": f"<p>{title}. More words about it here.</p>",
        "date": when.isoformat(),
    }


def write_config(tmp: Path, feeds: FeedServer, api: FakeBotAPI | None, **polling: str) -> Path:
    """A config of two feeds (Alpha, Beta) and one rule; ``polling`` sets polling.*"""
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
    """bot.py run to its end with ``args``, the token given (or none) and ``env`` added."""
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
        while time.monotonic() - started < timeout * WAIT_SCALE:
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


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Wait (polling) until ``condition()`` is true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout * WAIT_SCALE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout}s")
        time.sleep(0.05)


def start_service(tmp: Path, feeds: FeedServer, api: FakeBotAPI) -> tuple[Path, Running]:
    """The service polling two feeds every second (Alpha has one dull item, Beta none)."""
    feeds.set("/a.xml", rss([news_item(1, "Weather")]))
    feeds.set("/b.xml", rss([]))
    config = write_config(tmp, feeds, api, interval="1s", jitter="0s")
    return config, Running(config)


# ---------------------------------------------------------------- the bot in process

_pool: ParsePool | None = None


def parse_pool() -> ParsePool:
    """One parse pool for the whole test run: its children boot once, not once per test."""
    global _pool
    if _pool is None:
        _pool = ParsePool()
    return _pool


def queue_alerts(store: Store, alerts: list[tuple[Alert, StoryKey]], now: datetime) -> int:
    """Queue alerts as one trip of a feed "u" would; returns how many were new."""
    return len(store.update_feed(FeedUpdateIntent("u", "ok", alerts=tuple(alerts)), now))


def item(n: int, title: str, age: timedelta = timedelta(minutes=5)) -> dict[str, str]:
    """An RSS item on n.example with the guid ``g{n}``, published ``age`` before NOW."""
    return {
        "title": title,
        "link": f"https://n.example/{n}",
        "guid": f"g{n}",
        "description": f"{title}. Details follow.",
        "date": (NOW - age).isoformat(),
    }


class Bot:
    """A config over the feed server, a store in tmp_path, and printed alerts."""

    def __init__(self, tmp: Path, feeds: FeedServer, feed_lines: str, **items: str) -> None:
        """A bot over ``feed_lines`` (YAML, ``{base}`` is the server); ``items`` set items.*"""
        settings = {"max_age": "7d", **items}
        extra = "".join(f"  {k}: {v}\n" for k, v in settings.items())
        self.config = config_mod.loads(
            f"""\
telegram: {{chat: "@alerts"}}
items:
{extra}feeds:
{feed_lines.format(base=feeds.url(""))}
rules:
  - {{name: Quakes, any: [earthquake]}}
""",
            base_dir=tmp,
        )
        self.store = Store(self.config.state)
        self.out = io.StringIO()

    def once(self) -> int:
        async def go() -> int:
            async with open_bot(self.config, store=self.store, parser=parse_pool()) as ctx:
                return await run_once(ctx, StdoutDestination(stream=self.out), timedelta(1))

        return asyncio.run(go())

    def poll(self, index: int = 0) -> PollResult:
        async def go() -> PollResult:
            async with open_bot(self.config, store=self.store, parser=parse_pool()) as ctx:
                return await poll_feed(ctx, self.config.feeds[index])

        return asyncio.run(go())

    def alerts(self) -> list[str]:
        return [block.split("\n")[1] for block in self.out.getvalue().split("── alert")[1:]]
