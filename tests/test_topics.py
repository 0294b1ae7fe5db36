"""Forum topics: a destination ``CHAT/TOPIC`` routes alerts and their edits to that
``message_thread_id`` on the fake Bot API (real HTTP); a deleted topic fails its alerts alone."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.decide import Trip
from alerts.delivery.courier import Courier
from alerts.delivery.telegram import TelegramDestination
from alerts.errors import ConfigError
from alerts.models import Alert, StoryKey
from alerts.pipeline import fetch_and_parse, record
from alerts.store import NOTICE_RULE, Store
from alerts.target import Target, bare_chat, split_destination
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.harness import item as story  # a story published five minutes ago
from tests.helpers import TOKEN, parse_pool, queue_alerts

FORUM = "-1001234567890"
ADMIN = 4242
BOT_TOKEN = TOKEN  # the token the telegram fixture (conftest) accepts
STORY = "Magnitude 7.1 earthquake strikes off the coast of Chile"
RETOLD = "Earthquake of magnitude 7.1 strikes off Chile's coast"


class Forum:
    """Two feeds and rules routed to topics 42 and 43 of one forum; each cycle is a restart
    that polls both feeds and drains the outbox through the fake, admins told of refusals."""

    def __init__(self, tmp: Path, feeds: FeedServer, api: FakeBotAPI) -> None:
        self.config = config_mod.loads(
            f"""\
telegram: {{chat: "@alerts", admins: [{ADMIN}], api_url: "{api.base_url}"}}
feeds:
  - {{url: "{feeds.url("/alpha.xml")}", name: Alpha}}
  - {{url: "{feeds.url("/beta.xml")}", name: Beta}}
rules:
  - {{name: Quakes, any: [earthquake], chat: "{FORUM}/42"}}
  - {{name: Chile, any: [Chile], chat: "{FORUM} / 43"}}
  - {{name: Floods, any: [flood]}}
""",
            base_dir=tmp,
        )
        self.feeds = feeds
        self.api = api
        for name in ("alpha", "beta"):
            feeds.set(f"/{name}.xml", rss([]))
        self.cycle()  # first sight of both feeds: recorded, not alerted

    def publish(self, feed: str, *titles: str, first: int = 0) -> None:
        self.feeds.set(
            f"/{feed}.xml", rss([story(first + n, t, feed) for n, t in enumerate(titles)])
        )

    def cycle(self) -> None:
        async def go() -> None:
            destination = TelegramDestination(TOKEN, self.api.base_url)
            try:
                async with open_bot(self.config, parser=parse_pool()) as ctx:
                    for feed in self.config.feeds:
                        step = await fetch_and_parse(ctx, feed)
                        if isinstance(step, Trip):
                            record(ctx, step)
                    courier = Courier(ctx.store, destination, self.config.telegram.admins)
                    assert await courier.drain(time.monotonic() + 60)
            finally:
                await destination.close()

        asyncio.run(go())

    def rows(self) -> list[tuple[str, int | None, str, str]]:
        """(chat, topic, rule, status) of every outbox row but notices, in order."""
        with sqlite3.connect(self.config.state) as db:
            return db.execute(
                "SELECT chat, topic, rule, status FROM outbox WHERE rule != ? ORDER BY id",
                (NOTICE_RULE,),
            ).fetchall()


@pytest.fixture
def forum(tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI) -> Forum:
    telegram.make_forum(FORUM, topics=[42, 43])
    return Forum(tmp_path, feeds, telegram)


def test_rules_routed_to_topics_post_and_edit_there(forum: Forum, telegram: FakeBotAPI) -> None:
    forum.publish("alpha", STORY, "River flood warning for the valley")
    forum.cycle()
    (in_42,) = telegram.topic_messages(FORUM, 42)
    (in_43,) = telegram.topic_messages(FORUM, 43)  # per destination: each topic has its story
    assert in_42.chat_id == in_43.chat_id == FORUM  # Telegram's chat_id is the bare chat
    assert in_42.params["message_thread_id"] == "42"
    assert STORY in in_42.text and STORY in in_43.text
    assert telegram.topic_messages(FORUM, None) == []
    (plain,) = telegram.wait_for_chat("@alerts")
    assert "message_thread_id" not in plain.params
    assert sorted(r[:3] for r in forum.rows()) == sorted(
        [(FORUM, 42, "Quakes"), (FORUM, 43, "Chile"), ("@alerts", None, "Floods")]
    )

    forum.publish("beta", RETOLD)  # a retelling, one restart later: the messages are edited
    forum.cycle()
    assert len(telegram.messages) == 3
    edits = {e.message_id: e for e in telegram.edits}
    assert set(edits) == {in_42.message_id, in_43.message_id}
    assert edits[in_42.message_id].thread_id == 42  # the edit stays in its topic
    assert edits[in_43.message_id].thread_id == 43
    assert all(e.chat_id == FORUM and e.text.endswith("Also: Beta</i>") for e in edits.values())
    with sqlite3.connect(forum.config.state) as db:  # topics share their chat's pace
        paced = dict(db.execute("SELECT chat, COUNT(*) FROM send_log GROUP BY chat").fetchall())
    assert paced == {FORUM: 4, "@alerts": 1}


def test_a_deleted_topic_fails_its_alerts_and_tells_the_admins(
    forum: Forum, telegram: FakeBotAPI
) -> None:
    telegram.delete_topic(FORUM, 42)
    forum.publish("alpha", STORY, "River flood warning for the valley")
    forum.cycle()
    statuses = {rule: (chat, topic, status) for chat, topic, rule, status in forum.rows()}
    assert statuses == {
        "Quakes": (FORUM, 42, "failed"),
        "Chile": (FORUM, 43, "sent"),
        "Floods": ("@alerts", None, "sent"),
    }
    with sqlite3.connect(forum.config.state) as db:
        (error,) = db.execute("SELECT last_error FROM outbox WHERE rule = 'Quakes'").fetchone()
    assert error == "Message thread not found"
    (notice,) = telegram.wait_for_chat(str(ADMIN))
    assert f"Telegram refused alerts for {FORUM}/42" in notice.text
    assert "Message thread not found" in notice.text
    assert [STORY in m.text for m in telegram.topic_messages(FORUM, 43)] == [True]

    forum.publish("alpha", "Second earthquake hits Chile", first=5)  # later alerts still flow
    forum.cycle()
    assert len(telegram.topic_messages(FORUM, 43)) == 2
    assert telegram.topic_messages(FORUM, 42) == []
    assert [r[3] for r in forum.rows() if r[2] == "Quakes"] == ["failed", "failed"]
    assert len(telegram.wait_for_chat(str(ADMIN))) == 1  # once per chat and reason


def test_topics_share_the_pace_of_their_chat(tmp_path: Path) -> None:
    """Twenty sends to topic 42 fill the minute of the whole group: topic 43 waits."""
    store = Store(tmp_path / "state.db")
    now = datetime.now(UTC)
    alerts = [
        (Alert(f"k{n}", f"{FORUM}/{42 if n < 20 else 43}", "r", f"t{n}", "l", "x"),
         StoryKey("u", f"g{n}", f"t{n}", "l"))
        for n in range(21)
    ]  # fmt: skip
    queue_alerts(store, alerts, now)
    for entry in store.pending(bare_chat(f"{FORUM}/42"), limit=20):
        store.mark_sent(entry.id, entry.id, now)
    (waiting,) = store.pending(FORUM)
    assert waiting.alert.chat == f"{FORUM}/43"  # read back as queued, topic and all
    assert waiting.alert.target == Target(FORUM, 43)
    assert len(store.recent_sends(FORUM, now - timedelta(minutes=1))) == 20

    class Never:
        async def send(self, alert: Alert) -> int:
            raise AssertionError("sent past the group's pace")

    courier = Courier(store, Never())  # type: ignore[arg-type]
    assert not asyncio.run(courier.drain(time.monotonic() + 1))  # it would have to wait


@pytest.mark.parametrize(
    ("written", "target"),
    [
        ("@news", Target("@news")),
        ("-1001234567890", Target("-1001234567890")),
        ("-1001234567890/42", Target("-1001234567890", 42)),
        (" @supergroup / 7 ", Target("@supergroup", 7)),
    ],
)
def test_target_forms(written: str, target: Target) -> None:
    assert Target.parse(written) == target
    assert Target.parse(str(target)) == target
    assert split_destination(str(target)) == target


@pytest.mark.parametrize(
    ("chat", "line", "message"),
    [
        ('"-100123/0"', 2, "the topic after '/' must be a positive integer"),
        ('"@supergroup/abc"', 2, "the topic after '/' must be a positive integer"),
        ('"-100123/-4"', 2, "the topic after '/' must be a positive integer"),
        ('"-100123/"', 2, "the topic after '/' must be a positive integer"),
        ('"@x/4"', 2, "not a chat: use @channelname or a numeric chat id"),
    ],
)
def test_check_names_a_bad_topic_with_its_key_and_line(chat: str, line: int, message: str) -> None:
    texts = {
        "telegram.chat": f"telegram:\n  chat: {chat}\n",
        "rules[0].chat": f"rules:\n  - name: r\n    any: [x]\n    chat: {chat}\n",
        f"chats.{chat.strip(chr(34))}": f"chats:\n  {chat}: {{}}\n",
    }
    lines = {"telegram.chat": line, "rules[0].chat": 4, f"chats.{chat.strip(chr(34))}": 2}
    for path, text in texts.items():
        with pytest.raises(ConfigError) as info:
            config_mod.loads(text)
        (problem,) = info.value.problems
        assert (problem.path, problem.line) == (path, lines[path])
        assert problem.message.startswith(message), problem.message


def test_topic_destinations_load_everywhere_and_settings_fall_back_to_the_chat() -> None:
    config = config_mod.loads(
        f'telegram: {{chat: "{FORUM}/42"}}\n'
        "rules:\n  - {name: r, any: [x], chat: '@supergroup/7'}\n  - {name: s, any: [y]}\n"
        f'chats:\n  "{FORUM}": {{}}\n  "@supergroup/7": {{}}\n'
    )
    assert [config.chat_of(r) for r in config.rules] == ["@supergroup/7", f"{FORUM}/42"]
    assert config.chat_settings(f"{FORUM}/42") is config.chats[FORUM]
    assert config.chat_settings("@supergroup/7") is config.chats["@supergroup/7"]
