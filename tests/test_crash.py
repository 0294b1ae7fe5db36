"""Crash test: SIGKILL the bot at random moments of delivery; nothing lost, nothing repeated
except the one message in flight at each kill."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakes.botapi import FakeBotAPI, SentMessage
from tests.fakes.feeds import FeedServer, rss

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "777:CRASH"
CHATS, PER_CHAT, KILLS = 5, 20, 6


@pytest.fixture
def telegram() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(token=TOKEN) as api:
        yield api


def config_text(feeds: FeedServer, api: FakeBotAPI) -> str:
    rules = "".join(
        f'  - {{name: topic{c}, any: [topic{c}], chat: "@chan_{c}"}}\n' for c in range(CHATS)
    )
    return (
        f'telegram: {{chat: "@chan_0", api_url: "{api.base_url}"}}\nstate: state.db\n'
        f'feeds:\n  - {{url: "{feeds.url("/many.xml")}", name: Many, backfill: 500}}\n'
        f"rules:\n{rules}"
    )


def items() -> list[dict[str, str]]:
    start = datetime.now(UTC) - timedelta(hours=2)
    return [
        {"title": f"Report {n} on topic{n % CHATS}", "link": f"https://m.example/{n}",
         "guid": f"m-{n}", "description": f"Body {n}.",
         "date": (start + timedelta(seconds=n)).isoformat()}
        for n in range(CHATS * PER_CHAT)
    ]  # fmt: skip


def start_bot(config: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env["TELEGRAM_BOT_TOKEN"] = TOKEN
    return subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "run", "--once", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )


def test_kills_during_delivery_lose_nothing(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    rng = random.Random(os.environ.get("CRASH_SEED", "7"))
    feeds.set("/many.xml", rss(list(reversed(items()))))
    config = tmp_path / "config.yaml"
    config.write_text(config_text(feeds, telegram))

    kills = 0
    while True:
        bot = start_bot(config)
        accepted = len(telegram.messages)
        remaining = CHATS * PER_CHAT - accepted
        if kills < KILLS and remaining > 10:
            target = accepted + rng.randint(1, max(1, remaining // 3))
            pause = rng.choice([0.0, rng.uniform(0, 0.05)])  # in flight, or a moment later
            fired = threading.Event()

            def kill_at(
                _: str,
                __: SentMessage,
                target: int = target,
                pause: float = pause,
                bot: subprocess.Popen[bytes] = bot,
                fired: threading.Event = fired,
            ) -> None:
                if len(telegram.messages) >= target and not fired.is_set():
                    fired.set()
                    threading.Timer(pause, bot.send_signal, args=(signal.SIGKILL,)).start()

            telegram.on_message(kill_at)
            code = bot.wait(timeout=120)
            telegram.on_message(None)
            if fired.is_set():
                assert code == -signal.SIGKILL
                kills += 1
                continue
        else:
            code = bot.wait(timeout=120)
        assert code == 0
        break

    received: dict[str, list[str]] = {}
    for message in telegram.messages:
        received.setdefault(message.chat_id, []).append(message.text.split("</b>")[0][3:])
    duplicates = 0
    for c in range(CHATS):
        got = received[f"@chan_{c}"]
        unique = [t for i, t in enumerate(got) if i == 0 or t != got[i - 1]]
        duplicates += len(got) - len(unique)
        expected = [f"Report {n} on topic{c}" for n in range(c, CHATS * PER_CHAT, CHATS)]
        assert unique == expected  # every alert, in order, once (but for in-flight repeats)
    print(f"\n{kills} kills during delivery, {duplicates} in-flight message(s) sent twice")
    assert kills == KILLS
    assert duplicates <= kills
