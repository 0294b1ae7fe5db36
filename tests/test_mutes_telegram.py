"""Mute buttons and commands over the fake Bot API (real HTTP), the bot in process with a clock
the test sets: presses by an admin and by anyone else, a mute's expiry, /mute /unmute /mutes,
a restart that keeps a mute, a muted rule's match held, and buttons kept on an edit."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer
from tests.helpers import bot
from tests.mutes_live import (
    ADMIN,
    FIRST,
    RULE,
    SECOND,
    STRANGER,
    THIRD,
    Clock,
    first_sight,
    live,
    make_config,
    until,
)


def test_an_admin_press_mutes_the_rule_until_it_expires(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    config = make_config(tmp_path, feeds, telegram, rule=", buttons: true")
    first_sight(feeds)
    clock = Clock()

    async def go() -> None:
        async with live(config, telegram, feeds, clock) as (bot_, destination):
            message, text = await bot_.first_alert(destination)
            print(f"\nA button alert as the fake received it:\n{text}\n{bot_.buttons(message)}")
            labels = [label for label, _ in bot_.buttons(message)]
            assert labels == ["Mute rule 24h", "Mute source 24h", "Mute story"]
            assert all(len(data.encode()) <= 64 for _, data in bot_.buttons(message))

            # Anyone else: a dialog, nothing changes.
            answer, dialog = await bot_.press(message, "Mute rule 24h", STRANGER)
            assert dialog and "admins" in answer
            assert bot_.ctx.store.mutes() == []
            assert [label for label, _ in bot_.buttons(message)] == labels

            answer, dialog = await bot_.press(message, "Mute rule 24h")
            assert not dialog and answer.startswith(f"Muted rule {RULE} until ")
            await until(lambda: [lb for lb, _ in bot_.buttons(message)] == ["Unmute rule"],
                        "the Unmute row")  # fmt: skip
            (mute,) = bot_.ctx.store.mutes()
            assert (mute.kind, mute.target, mute.by) == ("rule", RULE, ADMIN)
            assert mute.until == clock() + timedelta(hours=24)

            # While muted: the match is recorded (seen, counted), not sent.
            clock.now += timedelta(hours=23)
            bot_.publish("beta", (2, SECOND))
            await bot_.cycle(destination)
            assert len(bot_.alerts()) == 1
            assert "2" in {
                i.removeprefix("https://news.example/")
                for i in bot_.ctx.store.feed_for_update(feeds.url("/beta.xml")).seen
            }
            assert bot_.ctx.store.mutes()[0].held == 1
            status = await bot_.ask("/status")
            print(f"\nA muted-rule /status as the fake received it:\n{status}")
            assert f'MUTED    rule "{RULE}" until ' in status
            assert "(1h 0m left), 1 match(es) held back" in status

            # A day after the press the mute has ended: the rule alerts again.
            clock.now += timedelta(hours=1, minutes=1)
            bot_.publish("gamma", (3, THIRD))
            await bot_.cycle(destination)
            assert [t.split("\n")[0] for _, t in bot_.alerts()][1] == f"<b>{THIRD}</b>"
            assert "MUTED" not in await bot_.ask("/status")
            answer, _ = await bot_.press(message, "Unmute rule")
            assert answer == f"The mute of rule {RULE} had already ended."
            await until(lambda: [lb for lb, _ in bot_.buttons(message)] == labels,
                        "the mute buttons again")  # fmt: skip
            assert telegram.unanswered() == []

    asyncio.run(go())


def test_unmute_on_an_admins_press_and_a_strangers_press_changes_nothing(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    config = make_config(tmp_path, feeds, telegram, chats='{"@alerts": {buttons: true}}')
    first_sight(feeds)

    async def go() -> None:
        async with live(config, telegram, feeds, Clock()) as (bot_, destination):
            message, _ = await bot_.first_alert(destination)
            answer, _ = await bot_.press(message, "Mute source 24h")
            assert answer.startswith("Muted source Alpha until ")
            await until(lambda: [lb for lb, _ in bot_.buttons(message)] == ["Unmute source"],
                        "the Unmute row")  # fmt: skip
            bot_.publish("alpha", (2, SECOND), (1, FIRST))
            await bot_.cycle(destination)
            assert len(bot_.alerts()) == 1  # the source is muted
            assert (await bot_.press(message, "Unmute source", STRANGER))[1]
            assert len(bot_.ctx.store.mutes()) == 1
            answer, _ = await bot_.press(message, "Unmute source")
            assert answer == "Unmuted source Alpha."
            assert bot_.ctx.store.mutes() == []
            await until(lambda: len(bot_.buttons(message)) == 3, "the mute buttons again")
            bot_.publish("alpha", (3, THIRD), (2, SECOND), (1, FIRST))
            await bot_.cycle(destination)
            assert len(bot_.alerts()) == 2

    asyncio.run(go())


def test_buttons_stay_on_an_edit_and_a_muted_story_is_not_edited(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    config = make_config(tmp_path, feeds, telegram, rule=", buttons: true")
    first_sight(feeds)

    async def go() -> None:
        async with live(config, telegram, feeds, Clock()) as (bot_, destination):
            message, _ = await bot_.first_alert(destination)
            buttons = bot_.buttons(message)
            bot_.publish("beta", (11, FIRST))  # the same story from another source
            await bot_.cycle(destination)
            (edit,) = telegram.edits
            assert "Also: Beta" in edit.text
            assert bot_.buttons(message) == buttons  # re-sent with the edit

            answer, _ = await bot_.press(message, "Mute story")
            assert answer.startswith("Muted story until ")
            await until(lambda: [lb for lb, _ in bot_.buttons(message)] == ["Unmute story"],
                        "the Unmute row")  # fmt: skip
            bot_.publish("gamma", (21, FIRST))
            await bot_.cycle(destination)
            assert len(telegram.edits) == 1  # no edit for a muted story
            key = bot_.ctx.store.sent_messages()
            assert len(key) == 1 and len(bot_.alerts()) == 1
            status = await bot_.ask("/mutes")
            assert f'MUTED    story "{FIRST}" until ' in status

    asyncio.run(go())


def test_mute_unmute_and_mutes_commands(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    config = make_config(tmp_path, feeds, telegram)
    first_sight(feeds)
    clock = Clock()

    async def go() -> None:
        async with live(config, telegram, feeds, clock) as (bot_, destination):
            await bot_.cycle(destination)
            assert await bot_.ask("/mutes") == "Nothing is muted."
            reply = await bot_.ask(f"/mute {RULE.lower()} 2h")
            assert reply.startswith(f"Muted rule {RULE} for 2h 0m, until ")
            reply = await bot_.ask("/mute Beta")
            assert reply.startswith("Muted source Beta for 1d, until ")
            assert (await bot_.ask("/mute Nobody")).startswith("No rule or feed is named Nobody")
            assert (await bot_.ask(f"/mute {RULE} 90d")).startswith("Usage: /mute NAME")
            mutes = await bot_.ask("/mutes")
            assert mutes.startswith("Mutes: 2\n")
            assert f'rule "{RULE}" until ' in mutes and "(2h 0m left)" in mutes
            assert 'source "Beta" until ' in mutes
            bot_.publish("alpha", (1, FIRST))
            await bot_.cycle(destination)
            assert bot_.alerts() == []  # held by the rule's mute
            reply = await bot_.ask(f"/unmute {RULE}")
            assert reply == f"Unmuted rule {RULE}: it alerts again."
            assert (
                await bot_.ask(f"/unmute {RULE}")
            ) == f"{RULE} is not muted. /mutes lists the mutes."
            mutes = await bot_.ask("/mutes")
            assert mutes.startswith("Mutes: 1\n") and "Beta" in mutes
            clock.now += timedelta(days=1, seconds=1)
            assert await bot_.ask("/mutes") == "Nothing is muted."

    asyncio.run(go())


def test_a_restart_keeps_a_mute(tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI) -> None:
    config = make_config(tmp_path, feeds, telegram, rule=", buttons: true")
    first_sight(feeds)

    async def first_run() -> None:
        async with live(config, telegram, feeds, Clock()) as (bot_, destination):
            message, _ = await bot_.first_alert(destination)
            await bot_.press(message, "Mute rule 24h")
            await until(lambda: len(bot_.buttons(message)) == 1, "the Unmute row")

    async def second_run() -> None:
        async with live(config, telegram, feeds, Clock()) as (bot_, destination):
            bot_.publish("beta", (2, SECOND))
            await bot_.cycle(destination)
            assert len(bot_.alerts()) == 1  # still muted after the restart
            assert bot_.ctx.store.mutes()[0].held == 1

    asyncio.run(first_run())
    asyncio.run(second_run())
    status = bot("status", "--config", str(tmp_path / "config.yaml"))
    assert status.returncode == 0, status.stderr
    assert f'MUTED    rule "{RULE}" until ' in status.stdout
    assert "1 match(es) held back" in status.stdout
