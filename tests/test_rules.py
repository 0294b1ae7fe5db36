"""Tests of alerts/rules.py: entities, whole words, normalisation, rule logic, feeds, chats."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alerts.config import loads, rule_specs
from alerts.models import EntitySpec, FeedItem, Match, RuleSpec, TermHit
from alerts.rules import RuleSet

ENTITIES = """\
entities:
  Kim Jong-un: [Kim Jong Un, North Korean leader]
  Vladimir Putin: [Putin, Russian President]
  Recep Tayyip Erdoğan: [Erdoğan]
"""


def item(title: str, content: str = "") -> FeedItem:
    """A feed item with this title and HTML content."""
    return FeedItem(
        feed_url="https://feed.example/rss",
        item_id="id-1",
        title=title,
        link="https://feed.example/story",
        content_html=content,
        published=None,
        feed_name="Example",
    )


def ruleset(rules_yaml: str, *, entities: str = ENTITIES, chat: str = "@main_chat") -> RuleSet:
    """A RuleSet from a config made of these rules (YAML list lines under ``rules:``)."""
    text = f'telegram:\n  chat: "{chat}"\n{entities}rules:\n{rules_yaml}'
    return RuleSet.compile(*rule_specs(loads(text)))


def fired(
    rules: RuleSet, title: str, content: str = "", labels: frozenset[str] = frozenset()
) -> list[str]:
    """Names of the rules that fired, over all destinations, in order."""
    return [hit.rule for match in rules.match(item(title, content), labels) for hit in match.rules]


def one_rule(*terms: str, key: str = "all") -> RuleSet:
    """A single rule ``r`` with these terms under ``key``."""
    quoted = ", ".join(f"'{t}'" for t in terms)
    return ruleset(f"  - {{name: r, {key}: [{quoted}]}}\n")


# ---------------------------------------------------------------- terms and words


@pytest.mark.parametrize(
    "title",
    [
        "Kim Jong-un visits Russia",
        "Kim Jong Un visits Russia",
        "KIM JONG-UN visits Russia",
        "Kim Jong\u2011un visits Russia",  # U+2011 non-breaking hyphen
        "Kim Jong\u2014un visits Russia",  # em dash
        "kim  jong   un visits Russia",
        "North Korean leader visits Russia",
        "Talks with Kim Jong-un's envoy",
    ],
)
def test_entity_name_and_aliases_match(title: str) -> None:
    assert fired(one_rule("Kim Jong-un"), title) == ["r"]


@pytest.mark.parametrize("term", ["Kim Jong-un", "Kim Jong Un", "KIM JONG-UN"])
def test_term_spelled_differently_still_names_the_entity(term: str) -> None:
    assert fired(one_rule(term), "North Korean leader speaks") == ["r"]


@pytest.mark.parametrize(
    ("term", "title", "expected"),
    [
        ("Putin", "Putin speaks", True),
        ("Putin", "Rasputin the play", False),
        ("Putin", "Putinism on the rise", False),
        ("Putin", "Putin's plan", True),
        ("Putin", "Putin\u2019s plan", True),
        ("Putin", "anti-Putin protest", True),
        ("Putin", "(Putin)", True),
        ("Kim", "Kim meets Putin", True),
        ("Kim", "Kimchi festival", False),
        ("Kim", "Mr Kim.", True),
        ("Kim Jong-un", "Kim Jong-unification plan", False),
        ("Kim Jong-un", "Kim Jong-un2 account", False),
        ("Erdogan", "Erdoğan speaks", True),
        ("Erdoğan", "Erdogan speaks", True),
        ("Erdoğan", "ERDOĞAN speaks", True),
        ("missile*", "Missiles fired", True),
        ("missile*", "a missile", True),
        ("missile*", "antimissile test", False),
        ("missile", "Missiles fired", False),
        ("/icbms?/", "ICBM launched", True),
        ("/icbms?/", "ICBMs launched", True),
        ("/\\bnuclear (test|tests)\\b/", "Sixth nuclear test", True),
        ("/\\bnuclear (test|tests)\\b/", "Nuclear testing site", False),
        ("South Korea", "South-Korea ties", True),
        ("South Korea", "Southern Korea", False),
    ],
)
def test_term_matching(term: str, title: str, expected: bool) -> None:
    assert fired(one_rule(term), title) == (["r"] if expected else [])


def test_entity_term_with_accents_in_config() -> None:
    rules = one_rule("Recep Tayyip Erdogan")
    assert fired(rules, "Erdogan wins") == ["r"]
    assert fired(rules, "Recep Tayyip Erdoğan wins") == ["r"]


def test_matching_reads_content_html_as_text() -> None:
    rules = one_rule("Kim Jong-un")
    assert fired(rules, "Summit", "<p>Leader <b>Kim</b> Jong&#8209;un arrived</p>") == ["r"]
    assert fired(rules, "Summit", "<script>var x = 'Kim Jong-un';</script><p>Nothing</p>") == []


# ---------------------------------------------------------------- all / any / none


LOGIC = """\
  - name: logic
    all: [Kim Jong-un, Vladimir Putin]
    any: [strategic ties, cooperation]
    none: [South Korea]
"""


@pytest.mark.parametrize(
    ("title", "content", "expected"),
    [
        ("Kim Jong-un and Putin seek strategic ties", "", True),
        ("Kim Jong-un and Putin", "They agreed on cooperation.", True),
        ("Kim Jong-un seeks strategic ties", "", False),  # one `all` term missing
        ("Kim Jong-un and Putin meet", "They had lunch.", False),  # no `any` term
        ("Kim Jong-un and Putin seek strategic ties", "South Korea objects.", False),  # none
        ("North Korean leader and Russian President", "Closer cooperation.", True),
    ],
)
def test_all_any_none(title: str, content: str, expected: bool) -> None:
    assert fired(ruleset(LOGIC), title, content) == (["logic"] if expected else [])


def test_without_any_only_all_counts() -> None:
    rules = ruleset("  - {name: r, all: [Putin, Kim]}\n")
    assert fired(rules, "Putin and Kim") == ["r"]
    assert fired(rules, "Putin alone") == []


def test_any_alone_needs_one_term() -> None:
    rules = ruleset("  - {name: r, any: [Putin, Kim]}\n")
    assert fired(rules, "Kim alone") == ["r"]
    assert fired(rules, "Nobody") == []


def test_none_blocks_from_any_field() -> None:
    rules = ruleset("  - {name: r, all: [Putin], none: [Ukraine]}\n")
    assert fired(rules, "Putin speaks", "<p>About the economy.</p>") == ["r"]
    assert fired(rules, "Putin speaks", "<p>About Ukraine.</p>") == []


def test_terms_may_match_in_different_fields() -> None:
    rules = ruleset("  - {name: r, all: [Kim Jong-un, Vladimir Putin]}\n")
    (match,) = rules.match(item("Kim Jong-un arrives", "<p>He met Putin on Monday.</p>"))
    (hit,) = match.rules
    assert [(h.term, h.field) for h in hit.hits] == [
        ("Kim Jong-un", "title"),
        ("Vladimir Putin", "content"),
    ]


def test_fields_title_restricts() -> None:
    rules = ruleset("  - {name: r, all: [Putin], fields: [title]}\n")
    assert fired(rules, "Putin speaks") == ["r"]
    assert fired(rules, "Kremlin speaks", "<p>Putin said</p>") == []


def test_fields_title_restricts_none_too() -> None:
    rules = ruleset("  - {name: r, all: [Putin], none: [Ukraine], fields: [title]}\n")
    assert fired(rules, "Putin speaks", "<p>About Ukraine</p>") == ["r"]


def test_fields_content_restricts() -> None:
    rules = ruleset("  - {name: r, all: [Putin], fields: [content]}\n")
    assert fired(rules, "Putin speaks") == []
    assert fired(rules, "Kremlin speaks", "<p>Putin said</p>") == ["r"]


# ---------------------------------------------------------------- feeds


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (frozenset({"korea"}), ["r"]),
        (frozenset({"NK News", "korea"}), ["r"]),
        (frozenset({"NK News"}), ["r"]),
        (frozenset({"russia"}), []),
        (frozenset(), []),
    ],
)
def test_feeds_restricts_by_label(labels: frozenset[str], expected: list[str]) -> None:
    text = """\
telegram: {chat: "@main_chat"}
feeds:
  - {url: "https://nk.example/rss", name: NK News, tags: [korea]}
  - {url: "https://ru.example/rss", name: TASS, tags: [russia]}
rules:
  - {name: r, all: [Putin], feeds: [korea, NK News]}
"""
    rules = RuleSet.compile(*rule_specs(loads(text)))
    assert fired(rules, "Putin speaks", labels=labels) == expected


def test_rule_without_feeds_applies_to_any_feed() -> None:
    rules = one_rule("Putin")
    assert fired(rules, "Putin speaks", labels=frozenset({"anything"})) == ["r"]


# ---------------------------------------------------------------- destinations


def test_rules_to_different_chats_give_separate_matches_same_chat_merged() -> None:
    rules = ruleset(
        """\
  - {name: first, all: [Putin]}
  - {name: elsewhere, all: [Putin], chat: "@other_chat"}
  - {name: second, all: [Kim Jong-un]}
  - {name: not fired, all: [Erdogan]}
"""
    )
    matches = rules.match(item("Putin meets Kim Jong-un"))
    assert all(isinstance(m, Match) for m in matches)
    assert [(m.chat, [r.rule for r in m.rules]) for m in matches] == [
        ("@main_chat", ["first", "second"]),
        ("@other_chat", ["elsewhere"]),
    ]
    assert all(r.chat == m.chat for m in matches for r in m.rules)
    assert all(m.item.item_id == "id-1" for m in matches)


def test_rule_without_destination_goes_to_default_chat() -> None:
    text = ENTITIES + "rules:\n  - {name: r, all: [Putin]}\n"
    (match,) = RuleSet.compile(*rule_specs(loads(text)), default_chat="stdout").match(item("Putin"))
    assert match.chat == "stdout"


def test_silent_is_carried() -> None:
    rules = ruleset("  - {name: r, all: [Putin], silent: true}\n")
    (match,) = rules.match(item("Putin speaks"))
    assert match.rules[0].silent is True


def test_nothing_fires_gives_no_match() -> None:
    assert one_rule("Putin").match(item("Weather report", "<p>Sunny.</p>")) == []


# ---------------------------------------------------------------- hits


@pytest.mark.parametrize(
    ("title", "content", "expected"),
    [
        (
            "North Korean leader visits",
            "",
            TermHit("Kim Jong-un", "North Korean leader", "title", 0, "Kim Jong-un", "entity"),
        ),
        (
            "Visit",
            "<p>The Kim Jong Un visit</p>",
            TermHit("Kim Jong-un", "Kim Jong-un", "content", 4, "Kim Jong-un", "entity"),
        ),
        (
            "Summit",
            "<p>Talks. North Korean leader arrived</p>",
            TermHit("Kim Jong-un", "North Korean leader", "content", 7, "Kim Jong-un", "entity"),
        ),
    ],
)
def test_term_hit_records_term_alias_field_and_position(
    title: str, content: str, expected: TermHit
) -> None:
    (match,) = one_rule("Kim Jong-un").match(item(title, content))
    assert match.rules[0].hits == (expected,)


def test_hits_include_all_and_matched_any_terms() -> None:
    rules = ruleset("  - {name: r, all: [Putin], any: [gas, oil, grain]}\n")
    (match,) = rules.match(item("Putin talks oil and grain"))
    assert [(h.term, h.matched) for h in match.rules[0].hits] == [
        ("Putin", "Putin"),
        ("oil", "oil"),
        ("grain", "grain"),
    ]


def test_regex_hit_keeps_the_term_as_written() -> None:
    (match,) = one_rule("/icbms?/").match(item("ICBMs launched"))
    (hit,) = match.rules[0].hits
    assert (hit.term, hit.field, hit.position) == ("/icbms?/", "title", 0)


# ---------------------------------------------------------------- compiled from specs


def test_compiled_from_specs_without_a_config() -> None:
    rules = RuleSet.compile(
        [
            RuleSpec("kim", "@a", all=("Kim Jong-un",), none=("South Korea",)),
            RuleSpec("titles", None, any=("summit",), fields=("title",), silent=True),
            RuleSpec("korea", "@a", any=("Pyongyang",), feeds=("korea",)),
        ],
        [EntitySpec("Kim Jong-un", ("Kim Jong Un", "North Korean leader"))],
        default_chat="@default",
    )

    def fired(title: str, content: str, *labels: str) -> list[tuple[str, str, bool]]:
        matches = rules.match(item(title, content), frozenset(labels))
        return [(r.rule, m.chat, r.silent) for m in matches for r in m.rules]

    assert fired("Talks", "<p>The North Korean leader in Pyongyang</p>") == [("kim", "@a", False)]
    assert fired("Talks", "<p>Kim Jong Un and South Korea</p>") == []
    assert fired("Summit", "<p>Pyongyang</p>", "korea") == [
        ("titles", "@default", True),
        ("korea", "@a", False),
    ]
    assert fired("Talks", "<p>at the summit</p>") == []


def test_config_specs_keep_order_and_resolve_the_destination() -> None:
    text = ENTITIES + (
        'telegram: {chat: "@main_chat"}\n'
        "feeds: [{url: 'https://x.example', name: x}]\n"
        "rules:\n"
        "  - {name: a, all: [Putin], none: [Kim], feeds: [x], fields: [title]}\n"
        '  - {name: b, any: [oil, gas], chat: "@other", silent: true}\n'
    )
    rules, entities = rule_specs(loads(text))
    assert rules == (
        RuleSpec("a", "@main_chat", ("Putin",), (), ("Kim",), ("x",), ("title",), False),
        RuleSpec("b", "@other", (), ("oil", "gas"), (), (), ("title", "content"), True),
    )
    assert entities[1] == EntitySpec("Vladimir Putin", ("Putin", "Russian President"))


def test_the_rules_engine_needs_neither_config_nor_yaml() -> None:
    code = (
        "import sys, alerts.rules; "
        "print(sorted(m for m in ('alerts.config', 'pydantic', 'yaml') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert done.stdout.strip() == "[]"
