"""Digests, quiet hours, urgent rules and caps through the whole bot: feeds on the real feed
server, the fake Bot API over real HTTP, a real SQLite file, restarted every cycle, with the
clock injected (each cycle polls and makes its digests at a given time; nothing sleeps)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.delivery.courier import Courier
from alerts.delivery.telegram import TelegramDestination
from alerts.digest_send import roll_due
from alerts.ops.status import status_text
from alerts.pipeline import poll_feed
from alerts.store import Store
from tests.fakes.botapi import FakeBotAPI, SentMessage, parse_telegram_html
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import ROOT, TOKEN, Running, parse_pool

BOT_TOKEN = TOKEN  # the token the telegram fixture (conftest) accepts
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
START = datetime.now(UTC) - timedelta(minutes=30)  # items are published from here, a second apart
QUAKE = "Strong earthquake hits the coast of Chile near Valparaiso"
QUAKE_AGAIN = "Strong earthquake hits coast of Chile near Valparaiso"


def at(hh: int, mm: int = 0, day: int = 0) -> datetime:
    return TODAY + timedelta(days=day, hours=hh, minutes=mm)


def story(n: int, title: str, feed: str = "a") -> dict[str, str]:
    return {"title": title, "link": f"https://{feed}.example/{n}", "guid": f"{feed}-{n}",
            "description": f"{title}. Tsunami warnings were issued.",
            "date": (START + timedelta(seconds=n)).isoformat()}  # fmt: skip


class Bot:
    """Two feeds (Alpha, Beta) under ``rules``, with ``chats`` settings; every ``cycle`` is a
    restart: poll each feed at ``now``, make the digests due at ``now``, deliver."""

    def __init__(self, tmp: Path, feeds: FeedServer, api: FakeBotAPI, rules: str,
                 chats: str = "{}") -> None:  # fmt: skip
        self.path = tmp / "config.yaml"
        self.path.write_text(
            f'telegram: {{chat: "@alerts", api_url: "{api.base_url}"}}\nstate: state.db\n'
            f"dedup: {{semantic: false}}\nchats: {chats}\nfeeds:\n"
            f'  - {{url: "{feeds.url("/a.xml")}", name: Alpha}}\n'
            f'  - {{url: "{feeds.url("/b.xml")}", name: Beta}}\nrules:\n{rules}'
        )
        self.config = config_mod.load(self.path)
        self.feeds, self.api = feeds, api
        self.publish("a")
        self.publish("b")
        self.cycle(at(0))  # first sight of both feeds

    def publish(self, feed: str, *titles: str, first: int = 0) -> None:
        self.feeds.set(f"/{feed}.xml", rss([story(first + n, t, feed)
                                             for n, t in enumerate(titles)]))  # fmt: skip

    def status(self, now: datetime) -> str:
        """``bot.py status`` at ``now``."""
        store = Store(self.path.parent / "state.db")
        try:
            return status_text(store, self.config, now)
        finally:
            store.close()

    def cycle(self, now: datetime, *, deliver: bool = True) -> list[str]:
        async def go() -> list[str]:
            destination = TelegramDestination(TOKEN, self.api.base_url)
            try:
                async with open_bot(self.config, parser=parse_pool()) as ctx:
                    for feed in self.config.feeds:
                        await poll_feed(ctx, feed, now)
                    queued = roll_due(ctx.store, ctx.config, now)
                    if deliver:
                        assert await Courier(ctx.store, destination).drain(time.monotonic() + 30)
                    return queued
            finally:
                await destination.close()

        return asyncio.run(go())


def listed(message: SentMessage) -> list[str]:
    """The titles a digest message lists, as Telegram shows it."""
    lines = parse_telegram_html(message.text).split("\n")[3::2]
    return [line.split(". ", 1)[1] for line in lines]


def test_quiet_hours_that_end_while_the_bot_is_down(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    rules = ("  - {name: Quakes, any: [earthquake]}\n"
             "  - {name: Tsunami, any: [tsunami alert], urgent: true}\n")  # fmt: skip
    bot = Bot(tmp_path, feeds, telegram, rules, '{"@alerts": {quiet: "22:00-07:00"}}')
    bot.publish("a", "Earthquake in Peru", "Earthquake in Japan")
    bot.cycle(at(23))  # quiet: held, nothing sent
    assert telegram.messages == []
    status = bot.status(at(23, 10))
    assert "Held for digests: 2 match(es) in 1 digest(s)" in status
    assert "  HELD     @alerts: quiet, oldest 10m ago" in status
    bot.publish("b", "Tsunami alert for Hawaii after the earthquake")
    bot.cycle(at(23, 30))  # urgent: at once, silently
    (urgent,) = telegram.messages
    assert "Tsunami alert for Hawaii" in urgent.text
    assert urgent.params["disable_notification"] == "true"
    # The bot is down from 23:30 to 07:30; the quiet hours end at 07:00, while it is down.
    bot.cycle(at(7, 30, day=1))
    _, digest = telegram.messages
    print(f"\nthe digest as the fake received it:\n{digest.text}")
    assert listed(digest) == ["Earthquake in Peru", "Earthquake in Japan"]
    assert digest.text.startswith("<b>Quiet hours (22:00-07:00)</b>\n2 stories, times in UTC")
    assert '<a href="https://a.example/0">Earthquake in Peru</a>\nAlpha · ' in digest.text
    assert digest.params.get("disable_notification") != "true"
    bot.cycle(at(8, day=1))
    assert len(telegram.messages) == 2  # once


def test_a_cap_overflows_into_a_digest_at_the_end_of_the_hour(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    bot = Bot(tmp_path, feeds, telegram, "  - {name: Quakes, any: [earthquake], max_per_hour: 2}\n")
    titles = [f"Earthquake in {place}" for place in ("Peru", "Japan", "Chile", "Fiji", "Iran")]
    bot.publish("a", *titles[:3])
    bot.cycle(at(10, 10))
    bot.publish("a", *titles, first=0)
    bot.cycle(at(10, 40))
    assert [m.text.split("</b>")[0][3:] for m in telegram.messages] == titles[:2]
    bot.cycle(at(10, 59))
    assert len(telegram.messages) == 2  # the hour is not over
    bot.cycle(at(11))
    digest = telegram.messages[2]
    print(f"\nthe cap's digest as the fake received it:\n{digest.text}")
    assert digest.text.startswith("<b>Quakes: more this hour (over 2 an hour)</b>\n3 stories")
    assert listed(digest) == titles[2:]
    bot.publish("a", *titles, "Earthquake in Nepal")
    bot.cycle(at(11, 5))  # a new hour: sent as usual
    assert telegram.messages[3].text.startswith("<b>Earthquake in Nepal</b>")
    assert len(telegram.messages) == 4


def test_dedup_applies_within_and_across_periods(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    bot = Bot(tmp_path, feeds, telegram, "  - {name: Quakes, any: [earthquake], digest: 1h}\n")
    bot.publish("a", QUAKE)
    bot.publish("b", QUAKE_AGAIN)  # the same story, from Beta, in the same period
    bot.cycle(at(10, 10))
    assert telegram.messages == []
    bot.cycle(at(11))
    (digest,) = telegram.messages
    assert listed(digest) == [QUAKE]
    # The next period: a retelling from Alpha is still the story; a new one is listed.
    bot.publish("a", QUAKE, "Strong earthquake hits the coast of Chile near Valparaiso today",
                "Earthquake in Nepal")  # fmt: skip
    bot.cycle(at(11, 10))
    bot.cycle(at(12, 1))
    assert len(telegram.messages) == 2
    assert listed(telegram.messages[1]) == ["Earthquake in Nepal"]


def test_a_digest_of_30_matches_arrives_once_with_a_restart_in_the_middle(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    """30 long titles: a digest of several parts; the bot is SIGKILLed right after Telegram
    took its first part, and restarted: every match is listed once (bar the one part in
    flight at the kill, the documented crash window), in order."""
    bot = Bot(tmp_path, feeds, telegram, "  - {name: Quakes, any: [earthquake], digest: 1h}\n")
    titles = [f"{n:02d} earthquake report: " + "aftershocks and damage & rescue <live> " * 7
              for n in range(1, 31)]  # fmt: skip
    bot.publish("a", *titles)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    bot.cycle(hour - timedelta(hours=2))  # held; its digest fell due an hour ago
    assert telegram.messages == []
    kills = 0
    while True:
        proc = _run_once(bot.path)
        fired = threading.Event()

        def kill(_: str, __: SentMessage, proc: subprocess.Popen[bytes] = proc,
                 fired: threading.Event = fired) -> None:  # fmt: skip
            if not fired.is_set():
                fired.set()
                proc.send_signal(signal.SIGKILL)

        telegram.on_message(kill if kills == 0 else None)
        code = proc.wait(timeout=120)
        telegram.on_message(None)
        if code == 0:
            break
        assert code == -signal.SIGKILL
        kills += 1
    assert kills == 1
    parts = list(dict.fromkeys(m.text for m in telegram.messages))  # the in-flight repeat aside
    assert len(telegram.messages) - len(parts) <= 1
    assert len(parts) >= 3
    shown = [title for text in parts for title in listed(SentMessage(0, "", text))]
    assert [t[:2] for t in shown] == [f"{n:02d}" for n in range(1, 31)]  # all 30, once
    for text in parts:
        assert len(parse_telegram_html(text).encode("utf-16-le")) // 2 <= 4096


def _run_once(config: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env["TELEGRAM_BOT_TOKEN"] = TOKEN
    return subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "run", "--once", "--config", str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT,
    )  # fmt: skip


def test_the_service_sends_at_start_a_digest_that_fell_due_while_it_was_down(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    bot = Bot(tmp_path, feeds, telegram, "  - {name: Quakes, any: [earthquake], digest: 1h}\n")
    bot.publish("a", "Earthquake in Peru", "Earthquake in Japan")
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    bot.cycle(hour - timedelta(hours=3))  # held; due two hours ago, the bot was down since
    assert telegram.messages == []
    service = Running(bot.path)
    try:
        (digest,) = telegram.wait_for_chat("@alerts", 1, timeout=60)
        service.wait_for("digest_queued", 10)
    finally:
        assert service.stop() == 0
    assert digest.text.startswith("<b>Digest: Quakes</b>\n2 stories, times in UTC")
    assert listed(digest) == ["Earthquake in Peru", "Earthquake in Japan"]
    assert len(telegram.messages) == 1
