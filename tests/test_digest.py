"""Digests, quiet hours, urgent rules and caps, pure (alerts/digest.py, alerts/message/digest.py,
alerts/config/schedule.py): where a match goes, when a digest is due, the digest's text and its
split at Telegram's 4096; the config keys and their errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts import config as config_mod
from alerts.config import Config
from alerts.config.schedule import Every, Quiet, Times, parse_schedule
from alerts.digest import CAP, CHAT, QUIET, RULE, Router, due_at, next_boundary, quiet_end
from alerts.errors import ConfigError
from alerts.message.digest import MAX_TITLE_UNITS, item_line, render_digest
from alerts.message.render import MAX_MESSAGE_UNITS, utf16_len
from alerts.models import Alert, FeedItem, HeldAlert, Hold, Match, RuleHit
from alerts.store import StoreType
from tests.fakes.botapi import parse_telegram_html
from tests.helpers import ROOT
from tests.stores import alert as stored_alert
from tests.stores import poll

DAY = datetime(2026, 6, 12, tzinfo=UTC)


def at(hh: int, mm: int = 0, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hh, minutes=mm)


def config(rules: str, chats: str = "{}", tz: str = "UTC") -> Config:
    return config_mod.loads(
        f'telegram: {{chat: "@alerts"}}\nmessage: {{timezone: {tz}}}\nchats: {chats}\n'
        f"rules:\n{rules}"
    )


def match(*rules: str, chat: str = "@alerts") -> tuple[Alert, Match]:
    item = FeedItem("u", "i1", "Title", "https://x/1", "", at(9))
    hits = tuple(RuleHit(r, chat, ()) for r in rules)
    return Alert("k", chat, ", ".join(rules), "Title", "https://x/1", "<b>Title</b>"), Match(
        item, chat, hits
    )


RULES = """\
  - {name: plain, any: [a]}
  - {name: daily, any: [a], digest: ["08:00", "18:00"]}
  - {name: hourly, any: [a], digest: 1h}
  - {name: loud, any: [a], urgent: true}
  - {name: capped, any: [a], max_per_hour: 3}
"""
QUIET_CHAT = '{"@alerts": {quiet: "22:00-07:00"}}'


@pytest.mark.parametrize(
    ("rules", "chats", "now", "digest", "silent", "cap"),
    [
        (["plain"], "{}", at(12), None, False, None),
        (["daily"], "{}", at(12), RULE + "daily", False, None),
        (["daily", "hourly"], "{}", at(12), RULE + "daily", False, None),
        (["daily", "plain"], "{}", at(12), None, False, None),  # at once wins
        (["plain"], QUIET_CHAT, at(23), QUIET, False, None),
        (["plain"], QUIET_CHAT, at(6, 59), QUIET, False, None),
        (["plain"], QUIET_CHAT, at(7), None, False, None),  # the end is not quiet
        (["loud"], QUIET_CHAT, at(23), None, True, None),  # urgent: at once, silently
        (["loud"], QUIET_CHAT, at(12), None, False, None),
        (["daily"], QUIET_CHAT, at(23), RULE + "daily", False, None),
        (["plain"], '{"@alerts": {digest: 1h}}', at(12), CHAT, False, None),
        (["loud"], '{"@alerts": {digest: 1h}}', at(12), None, False, None),
        (["capped"], "{}", at(12, 30), None, False, 3),
        (["capped", "plain"], "{}", at(12, 30), None, False, None),
        (["capped"], QUIET_CHAT, at(23), QUIET, False, None),
    ],
)
def test_where_a_match_goes(
    rules: list[str], chats: str, now: datetime, digest: str | None, silent: bool, cap: int | None
) -> None:
    alert, m = match(*rules)
    routed, hold = Router(config(RULES, chats), now).route(alert, m)
    assert (hold.digest or None if hold else None) == digest
    assert routed.disable_notification is silent
    assert (hold.cap or None if hold else None) == cap
    if cap:
        assert hold is not None and hold.overflow == CAP + "capped"
        assert hold.since == at(12)  # the clock hour


def test_a_cap_counts_the_clock_hour_of_the_message_timezone() -> None:
    alert, m = match("capped")
    router = Router(config(RULES, tz="Asia/Kolkata"), at(12, 10))  # UTC+5:30: 17:40 local
    _, hold = router.route(alert, m)
    assert hold is not None and hold.since == at(11, 30)  # 17:00 local


@pytest.mark.parametrize(
    ("schedule", "after", "due"),
    [
        (Every(timedelta(hours=1)), at(9, 30), at(10)),
        (Every(timedelta(hours=1)), at(10), at(11)),  # strictly after
        (Every(timedelta(minutes=90)), at(23, 0), at(0, day=1)),  # the last period ends at 0:00
        (Times((time(8), time(18))), at(9), at(18)),
        (Times((time(8), time(18))), at(18, 1), at(8, day=1)),
        (Times((time(8),)), at(7, 59), at(8)),
    ],
)
def test_next_boundary(schedule: Every | Times, after: datetime, due: datetime) -> None:
    assert next_boundary(schedule, ZoneInfo("UTC"), after) == due


def test_times_are_local_and_keep_across_a_clock_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 29 March 2026: 02:00 CET becomes 03:00 CEST; 08:00 local is 07:00 UTC, then 06:00 UTC.
    before = datetime(2026, 3, 28, 12, tzinfo=UTC)
    assert next_boundary(Times((time(8),)), berlin, before) == datetime(2026, 3, 29, 6, tzinfo=UTC)
    assert next_boundary(Times((time(8),)), berlin, datetime(2026, 3, 27, 12, tzinfo=UTC)) == (
        datetime(2026, 3, 28, 7, tzinfo=UTC)
    )


def test_quiet_end() -> None:
    quiet, utc = Quiet(time(22), time(7)), ZoneInfo("UTC")
    assert quiet_end(quiet, utc, at(23)) == at(7, day=1)
    assert quiet_end(quiet, utc, at(3)) == at(7)
    assert quiet_end(quiet, utc, at(12)) is None
    assert quiet_end(Quiet(time(13), time(14)), utc, at(13, 30)) == at(14)


def test_when_a_digest_is_due() -> None:
    cfg = config(RULES, '{"@alerts": {quiet: "22:00-07:00", digest: [12:00]}, "@other": {}}')
    assert due_at(cfg, "@alerts", RULE + "hourly", at(9, 30)) == at(10)
    assert due_at(cfg, "@alerts", RULE + "hourly", at(22, 30)) == at(7, day=1)  # after quiet
    assert due_at(cfg, "@alerts", QUIET, at(23)) == at(7, day=1)
    assert due_at(cfg, "@alerts", CHAT, at(9)) == at(12)
    assert due_at(cfg, "@alerts", CAP + "capped", at(10, 20)) == at(11)
    # Its setting gone (a reload): due at once.
    assert due_at(cfg, "@other", QUIET, at(23)) == at(23)
    assert due_at(cfg, "@alerts", RULE + "gone", at(9)) == at(9)


# ---------------------------------------------------------------- the message


def held(n: int, title: str | None = None, source: str = "Yonhap") -> HeldAlert:
    return HeldAlert(n, "@alerts", title or f"Story {n}", f"https://news.example/{n}?a=1&b=2",
                     source, at(8, n % 60))  # fmt: skip


def test_a_digest_lists_every_match_numbered_with_link_source_and_time() -> None:
    (text,) = render_digest("Digest: Kim", [held(1, "Kim & Putin <meet>"), held(2)], "UTC")
    assert text == (
        "<b>Digest: Kim</b>\n2 stories, times in UTC\n\n"
        '1. <a href="https://news.example/1?a=1&amp;b=2">Kim &amp; Putin &lt;meet&gt;</a>\n'
        "Yonhap · 12 Jun 08:01\n"
        '2. <a href="https://news.example/2?a=1&amp;b=2">Story 2</a>\nYonhap · 12 Jun 08:02'
    )
    parse_telegram_html(text)  # valid Telegram HTML


def long_items(count: int) -> list[HeldAlert]:
    # Titles full of what HTML lengthens (&, <) and of astral characters (2 UTF-16 units each).
    return [held(n, f"{n} 🚀 " + "Kim & Putin <talks> " * 15, source="Ü" * 30)
            for n in range(1, count + 1)]  # fmt: skip


def test_a_long_digest_is_split_at_4096_between_items_never_inside_one() -> None:
    items = long_items(30)
    parts = render_digest("Digest: Kim and Putin", items, "Europe/Berlin")
    assert len(parts) > 1
    numbers: list[int] = []
    for i, part in enumerate(parts, start=1):
        plain = parse_telegram_html(part)  # every tag and entity whole: it parses
        assert utf16_len(plain) <= MAX_MESSAGE_UNITS
        assert plain.startswith(f"Digest: Kim and Putin ({i}/{len(parts)})\n30 stories")
        listed = [int(line.split(".")[0]) for line in plain.split("\n")[3::2]]
        numbers += listed
        if i < len(parts):  # as full as it can be: the next item would not have fitted
            next_item = [line for line in parts[i].split("\n")[3:5]]
            extra = utf16_len(parse_telegram_html("\n".join(next_item)))
            assert utf16_len(plain) + 1 + extra > MAX_MESSAGE_UNITS
    assert numbers == list(range(1, 31))  # each once, in order


def test_a_split_at_exactly_4096_units() -> None:
    """Items sized so that the first part is exactly 4096 units: it is sent whole, not split
    one item early, and the next item goes to the second part."""
    count, utc = 14, ZoneInfo("UTC")
    heading = utf16_len("Digest (1/2)\n40 stories, times in UTC")
    base = [item_line(n, held(n, "x"), utc).units for n in range(1, count + 1)]
    missing = MAX_MESSAGE_UNITS - (heading + 2 + sum(base) + count - 1)
    pads = [missing // count + (n < missing % count) for n in range(count)]
    items = [held(n, "x" + "é" * pads[n - 1]) for n in range(1, count + 1)]
    items += [held(n, "x") for n in range(count + 1, 41)]
    parts = render_digest("Digest", items, "UTC")
    first = parse_telegram_html(parts[0])
    assert utf16_len(first) == MAX_MESSAGE_UNITS
    assert first.endswith(f"{count}. x" + "é" * pads[-1] + "\nYonhap · 12 Jun 08:14")
    assert parse_telegram_html(parts[1]).split("\n")[3] == f"{count + 1}. x"


def test_a_title_past_its_cap_is_cut_at_a_word() -> None:
    (text,) = render_digest("Digest", [held(1, "word " * 200)], "UTC")
    title = parse_telegram_html(text).split("\n")[3]
    assert title.endswith("…") and utf16_len(title) <= MAX_TITLE_UNITS + 3


# ---------------------------------------------------------------- the config keys


def test_the_keys_parse() -> None:
    cfg = config(RULES, '{"@alerts": {digest: [18:00, 08:00], quiet: "22:00-07:00"}}')
    chat = cfg.chat_settings("@alerts")
    assert chat.digest == Times((time(8), time(18)))  # unquoted 18:00 is YAML's 1080
    assert chat.quiet == Quiet(time(22), time(7))
    assert cfg.rules[2].digest == Every(timedelta(hours=1))
    assert parse_schedule("30m") == Every(timedelta(minutes=30))


@pytest.mark.parametrize(
    ("rule", "chats", "error"),
    [
        ("{name: r, any: [a], digest: 1s}", "{}", "rules[0].digest (line 5): a digest period"),
        ("{name: r, any: [a], digest: [25:00]}", "{}", "rules[0].digest (line 5): not a time"),
        ("{name: r, any: [a], digest: []}", "{}", "rules[0].digest (line 5): an empty list"),
        ("{name: r, any: [a], max_per_hour: 0}", "{}", "rules[0].max_per_hour (line 5)"),
        ("{name: r, any: [a], urgent: true, digest: 1h}", "{}", "rules[0] (line 5): a rule "
         "cannot be both urgent"),
        ("{name: r, any: [a]}", '{"@alerts": {quiet: "22:00"}}',
         'chats.@alerts.quiet (line 3): not quiet hours like "22:00-07:00"'),
        ("{name: r, any: [a]}", '{"@alerts": {quiet: "07:00-07:00"}}',
         "chats.@alerts.quiet (line 3): quiet hours that start and end at the same time"),
        ("{name: r, any: [a]}", '{"@alerts": {digest: soon}}',
         "chats.@alerts.digest (line 3): not a period like 1h"),
    ],
)  # fmt: skip
def test_a_bad_key_is_named_with_its_line(rule: str, chats: str, error: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config(f"  - {rule}\n", chats)
    assert error in str(caught.value)


def test_the_commented_examples_of_config_yaml_are_valid() -> None:
    """config.yaml's examples of the digest keys, uncommented, load as they say."""
    text = (ROOT / "config.yaml").read_text()
    for example in ("    # urgent:", "    # max_per_hour:", "  # - name: Korea daily",
                    "  #   any: [Korea]", "  #   digest:", "\n# chats:", '\n#   "@my_alerts":',
                    "\n#     quiet:", "\n#     digest:"):  # fmt: skip
        assert example in text
        text = text.replace(example, example.replace("# ", "").replace("#", " "))
    cfg = config_mod.loads(text)
    assert cfg.chat_settings("@my_alerts").quiet == Quiet(time(22), time(7))
    assert cfg.chat_settings("@my_alerts").digest == Every(timedelta(hours=1))
    missiles, daily = cfg.rules[1], cfg.rules[2]
    assert missiles.urgent and missiles.max_per_hour == 5
    assert daily.digest == Times((time(8), time(18)))


def test_held_matches_wait_unseen_by_the_courier_and_are_rolled_once(store: StoreType) -> None:
    now = datetime(2026, 6, 12, 10, tzinfo=UTC)
    alerts = [stored_alert(n) for n in (1, 2, 3)]
    holds = (("k1", Hold(digest="chat")), ("k2", Hold(digest="chat")),
             ("k3", Hold(cap_rule="r", cap=5, since=now, overflow="cap:r")))  # fmt: skip
    intent = replace(poll("u", ["1", "2", "3"], alerts), holds=holds)
    assert store.update_feed(intent, now) == {"k1", "k2", "k3"}  # all in the window
    assert [e.alert.key for e in store.pending()] == ["k3"]  # under its cap: sent as usual
    held = store.held_alerts("@c", "chat")
    assert [h.title for h in held] == ["T1", "T2"]
    assert store.held_digests() == [("@c", "chat", now)]
    parts = [stored_alert(n)[0] for n in (8, 9)]
    assert store.roll_digest(held, parts, now)
    assert [e.alert.key for e in store.pending()] == ["k3", "k8", "k9"]  # in order
    assert store.held_digests() == []
    assert not store.roll_digest(held, [stored_alert(7)[0]], now)  # rolled once, never twice
    assert [e.alert.key for e in store.pending()] == ["k3", "k8", "k9"]


def test_the_cap_holds_what_passes_it_in_the_hour(store: StoreType) -> None:
    hour = datetime(2026, 6, 12, 10, tzinfo=UTC)
    for n in range(1, 5):
        hold = Hold(cap_rule="r", cap=2, since=hour, overflow="cap:r")
        intent = replace(poll("u", [str(n)], [stored_alert(n)]), holds=((f"k{n}", hold),))
        store.update_feed(intent, hour + timedelta(minutes=n))
    assert [e.alert.key for e in store.pending()] == ["k1", "k2"]
    assert [h.title for h in store.held_alerts("@c", "cap:r")] == ["T3", "T4"]
    later = Hold(cap_rule="r", cap=2, since=hour + timedelta(hours=1), overflow="cap:r")
    intent = replace(poll("u", ["5"], [stored_alert(5)]), holds=(("k5", later),))
    store.update_feed(intent, hour + timedelta(hours=1, minutes=1))
    assert [e.alert.key for e in store.pending()] == ["k1", "k2", "k5"]  # a new hour
