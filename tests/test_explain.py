"""alerts/ops/explain.py, nearmiss.py, quote.py: `explain` says how to fix a rule (issue 15).

Golden cases: each story that misses a rule has the near miss named, with its fix; each hit
is quoted in the words around it, never given as an offset."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.config import rule_specs
from alerts.ops.explain import explain_record, explain_text
from alerts.ops.nearmiss import near_misses
from alerts.ops.quote import quote
from alerts.rules import RuleSet

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """\
entities:
  Kim Jong-un: [Kim Jong Un, North Korean leader]
  Ali Khamenei: [Khamenei]
  Vladimir Putin: [Putin]
rules:
  - {name: auckland, all: [Auckland], any: [Ardern, lockdown]}
  - {name: kim, all: [Kim Jong-un], any: [missiles, summit]}
  - {name: khamenei, any: [Ali Khamenei]}
  - {name: hong-kong, any: [Hong Kong]}
  - {name: nato, any: [NATO]}
  - {name: ukraine, any: [Ukraine], none: [football]}
  - {name: pm, any: [Prime Minister]}
  - {name: apple, any: [Apple]}
  - {name: level, any: ["/alert level [1-4]/"]}
  - {name: putin, any: [Vladimir Putin]}
"""
ARDERN = "Ardern reminds Aucklanders Alert Level 3 rules still apply"
STAY = "The Prime Minister said Aucklanders must stay at home during the lockdown."


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.compile(*rule_specs(config_mod.loads(CONFIG)))


def block(rules: RuleSet, rule: str, title: str, content: str = "") -> list[str]:
    """What explain says of one rule: its line and the lines under it."""
    lines = explain_text(rules, title, content, frozenset()).splitlines()
    start = next(i for i, x in enumerate(lines) if x.split(maxsplit=1)[1].startswith(rule))
    rest = lines[start + 1 :]
    under = [x.strip() for x in rest[: next((i for i, x in enumerate(rest) if x[:1] != " "), 0)]]
    return [lines[start], *under]


NEAR_MISSES = [
    ("auckland", ARDERN, STAY, [
        "no     auckland: missing: Auckland",
        'near miss for Auckland: "Aucklanders" in title (another ending): try `Auckland*`',
        'found (any): "Ardern" in title: "[Ardern] reminds Aucklanders Alert Level 3 rules…"',
        'found (any): "lockdown" in content: "…must stay at home during the [lockdown]."',
    ]),
    ("kim", "Kim Jongun oversees test of new missile", "State media said the missiles flew.", [
        "no     kim: missing: Kim Jong-un",
        'near miss for Kim Jong-un: "Kim Jongun" in title (an alias-like form): '
        'add "Kim Jongun" to the aliases of Kim Jong-un',
        'found (any): "missiles" in content: "State media said the [missiles] flew."',
    ]),
    ("kim", "KimJongUn and Kim Jong Eun at the summit", "", [
        "no     kim: missing: Kim Jong-un",
        'near miss for Kim Jong-un: "KimJongUn" in title (an alias-like form): '
        'add "KimJongUn" to the aliases of Kim Jong-un',
        'near miss for Kim Jong-un: "Kim Jong Eun" in title (an alias-like form): '
        'add "Kim Jong Eun" to the aliases of Kim Jong-un',
        'found (any): "summit" in title: "…and Kim Jong Eun at the [summit]"',
    ]),
    ("khamenei", "Supreme Leader Khamenai addresses crowd", "", [
        "no     khamenei: none of its `any` terms",
        'near miss for Ali Khamenei: "Khamenai" in title (an alias-like form): '
        'add "Khamenai" to the aliases of Ali Khamenei',
    ]),
    ("hong-kong", "Protests in HongKong", "", [
        "no     hong-kong: none of its `any` terms",
        'near miss for Hong Kong: "HongKong" in title (an alias-like form): '
        'make `Hong Kong` an entity with the alias "HongKong"',
    ]),
    ("nato", "nato allies meet", "", [
        "no     nato: none of its `any` terms",
        'near miss for NATO: "nato" in title (in lower case): '
        "`NATO` is an acronym, matched in capitals only: write it `nato`",
    ]),
    ("ukraine", "Ukrainian forces advance", "A football match was cancelled.", [
        "no     ukraine: none of its `any` terms",
        'near miss for Ukraine: "Ukrainian" in title (another ending): try `Ukrain*`',
        'found (none): "football" in content: "A [football] match was cancelled."',
    ]),
    ("pm", "Prime Ministers meet in Oslo", "", [
        "no     pm: none of its `any` terms",
        'near miss for Prime Minister: "Prime Ministers" in title (another ending): '
        "try `Prime Minister*`",
    ]),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "title", "content", "expected"), NEAR_MISSES)
def test_a_missing_term_has_its_near_miss_named_with_the_fix(
    rules: RuleSet, rule: str, title: str, content: str, expected: list[str]
) -> None:
    assert block(rules, rule, title, content) == expected


def test_every_fix_offered_for_another_ending_makes_the_rule_fire(rules: RuleSet) -> None:
    """The `*` suggested matches the text it was found in (it is checked before it is offered)."""
    for _, title, content, expected in NEAR_MISSES:
        for line in expected:
            if "try `" in line:
                fix = line.split("try `")[1].rstrip("`")
                fixed = RuleSet.compile(
                    *rule_specs(config_mod.loads(f"rules: [{{name: r, any: ['{fix}']}}]"))
                )
                assert explain_record(
                    fixed, config_mod.loads("{}"), {"title": title, "content": content}
                )["rules"] == ["r"], fix


HITS = [
    ("auckland", "Lockdown in Auckland", "", [
        "FIRES  auckland -> stdout",
        '"Auckland" in title: "Lockdown in [Auckland]"',
        '"lockdown" in title: "[Lockdown] in Auckland"',
    ]),
    ("putin", "Talks", "Officials in Moscow and Beijing said on Tuesday that Putin's "
     "visit to the summit would go ahead as planned next week despite the storm.", [
        "FIRES  putin -> stdout",
        'Vladimir Putin (as "Putin") in content: '
        '"…and Beijing said on Tuesday that [Putin]\'s visit to the summit would…"',
    ]),
    ("kim", "North Korea's Kim Jong Un at the summit", "", [
        "FIRES  kim -> stdout",
        'Kim Jong-un in title: "North Korea\'s [Kim Jong Un] at the summit"',
        '"summit" in title: "…Korea\'s Kim Jong Un at the [summit]"',
    ]),
    ("level", ARDERN, "", [
        "FIRES  level -> stdout",
        '/alert level [1-4]/ in title: '
        '"ardern reminds aucklanders [alert level 3] rules still apply"',
    ]),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "title", "content", "expected"), HITS)
def test_a_hit_is_quoted_in_the_words_around_it(
    rules: RuleSet, rule: str, title: str, content: str, expected: list[str]
) -> None:
    shown = block(rules, rule, title, content)
    assert shown == expected
    assert not any(" at " in line.split(":")[0] for line in shown)  # no "in content at 206"


@pytest.mark.parametrize(
    ("spelling", "text"),
    [
        ("Austria", "Australia wins"),  # "austr" leaves two letters of the shorter word
        ("Iran", "Iraq and Iranian"[:8]),  # too short a stem
        ("Apple", "Listen: https://apple.co/3xYz or podcasts.apple.com/x"),  # links are not text
        ("Kim", "Kimchi"),  # too short for a spelling one letter apart
        ("Auckland", "Lockdown in Auckland"),  # found: no near miss
    ],
)
def test_no_near_miss_where_none_is_close(spelling: str, text: str) -> None:
    assert near_misses(spelling, None, (spelling,), [("title", text)]) == []


def test_at_most_three_near_misses_per_term() -> None:
    text = "Aucklanders, Auckland's? no: Aucklander, Aucklandish, Aucklands"
    assert len(near_misses("Auckland", None, ("Aucklandia",), [("title", text)])) <= 3


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        ("one two three", 4, 7, '"one [two] three"'),
        ("a b c d e f g h i j k l m n o", 14, 15, '"…b c d e f g [h] i j k l m n…"'),
        ("Putin's visit", 0, 5, '"[Putin]\'s visit"'),
        ("x", 0, 1, '"[x]"'),
    ],
)
def test_quote(text: str, start: int, end: int, expected: str) -> None:
    assert quote(text, start, end) == expected


def test_the_json_answer_gives_each_hit_its_context(rules: RuleSet) -> None:
    story = {"title": "Lockdown in Auckland"}
    (auckland, lockdown) = explain_record(rules, config_mod.loads(CONFIG), story)["terms"][
        "auckland"
    ]
    assert auckland["context"] == '"Lockdown in [Auckland]"'
    assert auckland["position"] == 12  # kept for the tools that read it
    assert lockdown["context"] == '"[Lockdown] in Auckland"'


def test_bot_py_explain_names_the_near_miss(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(CONFIG)
    run = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "explain", "--config", str(path), "--title",
         ARDERN, "-"],
        input=STAY, capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "no     auckland: missing: Auckland\n" in run.stdout
    assert 'near miss for Auckland: "Aucklanders" in title (another ending): try `Auckland*`' in (
        run.stdout
    )
