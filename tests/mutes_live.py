"""The bot in process over the fake Bot API (real HTTP), its parts wired as the service wires
them (``alerts.commands._listen``), with a clock the test sets: for tests/test_mutes_*.py.

Three feeds (Alpha, Beta, Gamma), one rule (``RULE``), one admin (``ADMIN``); ``Live`` polls,
delivers, presses buttons and asks commands without blocking the loop the listener runs on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.config import Config
from alerts.decide import Trip
from alerts.delivery.courier import Courier
from alerts.delivery.telegram import CommandListener, TelegramDestination
from alerts.ops.commands import IMMEDIATE, AdminCommands
from alerts.pipeline import Context, fetch_and_parse, record
from alerts.store import STARTED_KEY
from tests.fakes import WAIT_SCALE
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import news_item, parse_pool

ADMIN, STRANGER = 4242, 777
FIRST = "Kim Jong-un meets Putin in Vladivostok for talks on arms"
SECOND = "Putin hosts Kim Jong Un at a space launch site in the far east"
THIRD = "Kim Jong-un and Putin sign a mutual defence treaty in Pyongyang"
RULE = "Kim and Putin"


class Clock:
    """The bot's clock for mutes and trips: real time until the test moves it on."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def make_config(tmp: Path, feeds: FeedServer, api: FakeBotAPI, *, rule: str = "",
                chats: str = "{}") -> Config:  # fmt: skip
    """Three feeds (Alpha, Beta, Gamma), one rule (``rule`` adds keys), admin ``ADMIN``."""
    lines = "".join(f'  - {{url: "{feeds.url(f"/{n}.xml")}", name: {n.title()}}}\n'
                    for n in ("alpha", "beta", "gamma"))  # fmt: skip
    text = f"""\
telegram: {{chat: "@alerts", admins: [{ADMIN}], api_url: "{api.base_url}"}}
state: state.db
dedup: {{semantic: false}}
chats: {chats}
feeds:
{lines}entities:
  Kim Jong-un: [Kim Jong Un]
  Vladimir Putin: [Putin]
rules:
  - {{name: {RULE}, all: [Kim Jong-un, Vladimir Putin]{rule}}}
"""
    (tmp / "config.yaml").write_text(text)
    return config_mod.loads(text, base_dir=tmp)


WAIT = 20.0  # seconds, scaled by WAIT_SCALE


async def until(condition: Callable[[], object], what: str) -> None:
    """Wait, without blocking the loop the listener runs on, until ``condition()`` holds."""
    deadline = time.monotonic() + WAIT * WAIT_SCALE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class Live:
    """The bot in process: its context, the destination, the listener, the fake, a clock."""

    ctx: Context
    api: FakeBotAPI
    feeds: FeedServer
    clock: Clock

    async def cycle(self, destination: TelegramDestination) -> None:
        """Poll every feed at the clock's time, then deliver everything pending."""
        for feed in self.ctx.config.feeds:
            step = await fetch_and_parse(self.ctx, feed, self.clock())
            if isinstance(step, Trip):
                record(self.ctx, step)
        assert await Courier(self.ctx.store, destination).drain(time.monotonic() + 30)

    async def first_alert(self, destination: TelegramDestination) -> tuple[int, str]:
        """Every feed's first sight, then FIRST on Alpha: the one alert's (message id, text)."""
        await self.cycle(destination)
        self.publish("alpha", (1, FIRST))
        await self.cycle(destination)
        (alert,) = self.alerts()
        return alert

    def publish(self, feed: str, *stories: tuple[int, str]) -> None:
        self.feeds.set(f"/{feed}.xml", rss([news_item(n, title) for n, title in stories]))

    def alerts(self) -> list[tuple[int, str]]:
        """(message id, text) of each message in the channel."""
        return [(m.message_id, m.text) for m in self.api.messages if m.chat_id == "@alerts"]

    def buttons(self, message_id: int) -> list[tuple[str, str]]:
        """(label, callback_data) of a message's buttons, as the fake holds them now."""
        markup = self.api.keyboard("@alerts", message_id) or {}
        rows = markup.get("inline_keyboard", [])
        assert isinstance(rows, list)
        return [(b["text"], b["callback_data"]) for row in rows for b in row]

    async def press(self, message_id: int, label: str, user: int = ADMIN) -> tuple[str, bool]:
        """Press the button ``label`` of a message; the answer's text and ``show_alert``."""
        data = dict(self.buttons(message_id))[label]
        query = self.api.press("@alerts", message_id, data, user)
        await until(lambda: self.api.answer_for(query) is not None, f"the answer to {label}")
        answer = self.api.answer_for(query)
        assert answer is not None
        return answer.text or "", answer.show_alert

    async def ask(self, command: str) -> str:
        """A command from the admin; its reply as the fake received it."""
        before = len([m for m in self.api.messages if m.chat_id == str(ADMIN)])
        self.api.push_command(command, ADMIN)
        await until(lambda: len([m for m in self.api.messages if m.chat_id == str(ADMIN)])
                    > before, f"the reply to {command}")  # fmt: skip
        return [m.text for m in self.api.messages if m.chat_id == str(ADMIN)][before]


@asynccontextmanager
async def live(config: Config, api: FakeBotAPI, feeds: FeedServer,
               clock: Clock) -> AsyncIterator[tuple[Live, TelegramDestination]]:  # fmt: skip
    """The service's parts as ``alerts.commands._listen`` wires them, listening."""
    destination = TelegramDestination("123:ABC", api.base_url)
    async with open_bot(config, parser=parse_pool()) as ctx:
        commands = AdminCommands(lambda: ctx, lambda: None, clock)
        destination.keyboards = commands.muting.keyboard
        listener = CommandListener(destination, lambda: [ADMIN], commands.table(),
                                   commands.muting.press, IMMEDIATE)  # fmt: skip
        ctx.store.set_meta(STARTED_KEY, str(time.time()))  # as the service does at start
        await destination.start()
        await listener.start()
        assert listener.running
        try:
            yield Live(ctx, api, feeds, clock), destination
        finally:
            await listener.stop()
            await destination.close()


def first_sight(feeds: FeedServer) -> None:
    for name in ("alpha", "beta", "gamma"):
        feeds.set(f"/{name}.xml", rss([]))
