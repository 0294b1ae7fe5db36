"""The mute policy (alerts.mutes), pure, and the store's mutes side: what a mute holds back,
which buttons an alert shows, their ids, a story's mute and edits, the config keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from alerts import config as config_mod
from alerts.config import ConfigError
from alerts.models import Alert, ClusterJoin, FeedItem, Match, Mute, RuleHit
from alerts.mutes import (
    MAX_CALLBACK_DATA,
    Muted,
    button_id,
    keyboard,
    mute_length,
    rules_of,
    wants_buttons,
)
from alerts.ops.mutes import _name_and_length
from alerts.store import StoreType
from tests.stores import NOW, alert, poll

HOUR = timedelta(hours=1)
ITEM = FeedItem("u", "i1", "t", "l", "", None, "Alpha")


def match(*rules: str, chat: str = "@c") -> Match:
    return Match(ITEM, chat, tuple(RuleHit(r, chat, ()) for r in rules))


@pytest.mark.parametrize(
    ("mutes", "source", "alerted", "held"),
    [
        ([], "Alpha", [("A",), ("B",)], []),
        ([Mute("rule", "A", NOW + HOUR)], "Alpha", [("B",)], [("rule", "A")]),
        ([Mute("rule", "A", NOW - HOUR)], "Alpha", [("A",), ("B",)], []),  # ended
        ([Mute("rule", "A", NOW)], "Alpha", [("A",), ("B",)], []),  # ends at NOW
        ([Mute("source", "Alpha", NOW + HOUR)], "Alpha", [], [("source", "Alpha")] * 2),
        ([Mute("source", "Beta", NOW + HOUR)], "Alpha", [("A",), ("B",)], []),
        ([Mute("story", "k", NOW + HOUR)], "Alpha", [("A",), ("B",)], []),
    ],
)
def test_what_a_mute_holds_back(
    mutes: list[Mute], source: str, alerted: list[tuple[str, ...]], held: list[tuple[str, str]]
) -> None:
    kept, counted = Muted.of(mutes, NOW).hold([match("A", chat="@a"), match("B")], source)
    assert [tuple(r.rule for r in m.rules) for m in kept] == alerted
    assert counted == held


def test_a_match_of_a_muted_rule_and_another_alerts_for_the_other() -> None:
    kept, held = Muted.of([Mute("rule", "A", NOW + HOUR)], NOW).hold([match("A", "B")], "Alpha")
    assert [r.rule for r in kept[0].rules] == ["B"] and held == []
    kept, held = Muted.of([Mute("rule", "A", NOW + HOUR), Mute("rule", "B", NOW + HOUR)],
                          NOW).hold([match("A", "B")], "Alpha")  # fmt: skip
    assert kept == [] and held == [("rule", "A")]  # one match, counted once


def test_rules_of_an_alert() -> None:
    names = ["Kim, Putin", "Quakes", "Floods"]
    assert rules_of("Kim, Putin", names) == ("Kim, Putin",)
    assert rules_of("Quakes, Floods", names) == ("Quakes", "Floods")
    assert rules_of("(operator notice)", names) == ()


CONFIG = """\
telegram: {{chat: "@main"}}
chats: {chats}
rules:
  - {{name: plain, any: [x]}}
  - {{name: "on", any: [x], buttons: true}}
  - {{name: "off", any: [x], buttons: false, chat: "@other"}}
"""


@pytest.mark.parametrize(
    ("chats", "rule", "chat", "shown"),
    [
        ("{}", "plain", "@main", False),  # off by default
        ("{}", "on", "@main", True),
        ('{"@main": {buttons: true}}', "plain", "@main", True),
        ('{"@other": {buttons: true}}', "off", "@other", False),  # the rule's own word wins
        ('{"@main": {buttons: true}}', "(operator notice)", "@main", False),
        ("{}", "plain, on", "@main", True),
    ],
)
def test_which_alerts_show_buttons(chats: str, rule: str, chat: str, shown: bool) -> None:
    config = config_mod.loads(CONFIG.format(chats=chats))
    alert_ = Alert("k", chat, rule, "T", "L", "<b>T</b>", source="Alpha")
    assert wants_buttons(config, alert_) is shown


def test_buttons_keys_are_checked_with_their_line() -> None:
    text = CONFIG.format(chats='{"@main": {buttons: maybe}}')
    with pytest.raises(ConfigError) as info:
        config_mod.loads(text)
    (problem,) = info.value.problems
    assert (problem.path, problem.line) == ("chats.@main.buttons", 2)
    assert "buttons" in "\n".join(config_mod.schema_lines())


def test_the_keyboard_of_an_alert_and_after_a_mute() -> None:
    key = "x" * 200  # alert keys can be long; callback data stays short
    alert_ = Alert(key, "@c", "Quakes", "T", "L", "<b>T</b>", source="Alpha")
    rows, buttons = keyboard(alert_, [], NOW)
    assert [b.text for b in rows[0]] == ["Mute rule 24h", "Mute source 24h", "Mute story"]
    assert [(b.kind, b.target) for b in buttons] == [
        ("rule", "Quakes"), ("source", "Alpha"), ("story", key)]  # fmt: skip
    assert all(len(b.data.encode()) <= MAX_CALLBACK_DATA for b in rows[0])
    assert keyboard(alert_, [], NOW + HOUR)[1] == buttons  # the same ids when built again
    mute = Mute("source", "Alpha", NOW + HOUR, origin=key)
    rows, (undo,) = keyboard(alert_, [mute], NOW)
    assert [b.text for b in rows[0]] == ["Unmute source"]
    assert (undo.action, undo.kind, undo.target) == ("unmute", "source", "Alpha")
    ended = keyboard(alert_, [mute], NOW + 2 * HOUR)[0]  # the mute ended: mute buttons again
    assert ended == keyboard(alert_, [], NOW)[0]
    other = replace(mute, origin="another alert")  # from a command, or another message
    assert len(keyboard(alert_, [other], NOW)[0][0]) == 3


def test_button_ids_differ_by_what_they_do() -> None:
    ids = {button_id(k, a, "rule", t) for k in ("k1", "k2") for a in ("mute", "unmute")
           for t in ("A", "B")}  # fmt: skip
    assert len(ids) == 8


@pytest.mark.parametrize(
    ("text", "name", "length"),
    [
        ("Kim and Putin 2h", "Kim and Putin", timedelta(hours=2)),
        ("Kim and Putin", "Kim and Putin", timedelta(hours=24)),
        ("Quakes 30d", "Quakes", timedelta(days=30)),
        ("Quakes 31d", "Quakes", None),  # longer than a mute may be
        ("Quakes 10s", "Quakes", None),
        ("G7 summit", "G7 summit", timedelta(hours=24)),
    ],
)
def test_mute_command_arguments(text: str, name: str, length: timedelta | None) -> None:
    assert _name_and_length(text) == (name, length)
    assert mute_length("1m") == timedelta(minutes=1) and mute_length("soon") is None


# ------------------------------------------------------------ the store's side


def test_a_mute_is_replaced_counted_and_ended(store: StoreType) -> None:
    store.mute(Mute("rule", "r", NOW + HOUR, by=1, origin="k1"), NOW)
    store.update_feed(replace(poll("u", ["a"], []), held=(("rule", "r"), ("rule", "gone"))), NOW)
    (mute,) = store.mutes()
    assert (mute.held, mute.by, mute.origin, mute.until) == (1, 1, "k1", NOW + HOUR)
    store.mute(Mute("rule", "r", NOW + 2 * HOUR), NOW)  # muted again: a new mute
    assert store.mutes() == [Mute("rule", "r", NOW + 2 * HOUR)]
    assert store.feed_for_update("u").mutes == (Mute("rule", "r", NOW + 2 * HOUR),)
    assert store.unmute("rule", "r") == Mute("rule", "r", NOW + 2 * HOUR)
    assert store.unmute("rule", "r") is None and store.mutes() == []


def test_ended_mutes_are_pruned(store: StoreType) -> None:
    store.mute(Mute("rule", "old", NOW - HOUR), NOW - 2 * HOUR)
    store.mute(Mute("rule", "new", NOW + HOUR), NOW)
    store.prune(NOW, timedelta(days=30), timedelta(hours=48))
    assert [m.target for m in store.mutes()] == ["new"]


def test_a_muted_story_is_not_edited(store: StoreType) -> None:
    store.update_feed(poll("u", ["a", "b"], [alert(1), alert(2)]), NOW)
    for entry in store.pending():
        store.mark_sent(entry.id, entry.id + 10, NOW)
    store.update_feed(poll("v", ["x"], [], (ClusterJoin("k1", "Beta", "v", "x"),)), NOW)
    assert [e.alert.key for e in store.pending_edits("@c")] == ["k1"]
    store.mute(Mute("story", "k1", NOW + HOUR), NOW)  # the waiting edit is dropped
    store.mute(Mute("story", "k2", NOW - HOUR), NOW)  # ended
    assert store.pending_edits("@c") == []
    joins = (ClusterJoin("k1", "Gamma", "w", "y"), ClusterJoin("k2", "Gamma", "w", "z"))
    store.update_feed(poll("w", ["y", "z"], [], joins), NOW)
    assert [e.alert.key for e in store.pending_edits("@c")] == ["k2"]
    assert store.sources("k1") == ("Beta", "Gamma")  # the source is still recorded
