"""The matching semantics of issue 3, one row per example, through `explain`'s JSON answer."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.config import rule_specs
from alerts.ops.explain import explain_record
from alerts.rules import RuleSet

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """\
entities:
  Kim Jong-un: [Kim Jong Un, North Korean leader]
  Vladimir Putin: [Putin, Russian President, 普京, プーチン, ปูติน, 푸틴]
  NATO: [North Atlantic alliance]
feeds:
  - {url: "https://yna.example/rss", name: Yonhap, tags: [korea]}
rules:
  - {name: kim, any: [Kim Jong Un]}
  - {name: putin, any: [Vladimir Putin]}
  - {name: kim-alone, any: [Kim]}
  - {name: erdogan, any: [Erdoğan]}
  - {name: sao-paulo, any: [São Paulo]}
  - {name: us-dotted, any: [U.S.]}
  - {name: att, any: [AT&T]}
  - {name: missile, any: ["missile*"]}
  - {name: us, any: [US]}
  - {name: who, any: [WHO]}
  - {name: nato, any: [NATO]}
  - {name: regex, any: ["/kim jong un|icbms?/"]}
  - {name: both, all: [Kim Jong-un, Vladimir Putin], any: [strategic ties, cooperation],
     none: [South Korea]}
  - {name: korea-feeds, any: [Pyongyang], feeds: [korea]}
  - {name: titles-only, any: [summit], fields: [title]}
"""


@pytest.fixture(scope="module")
def engine() -> tuple[RuleSet, config_mod.Config]:
    config = config_mod.loads(CONFIG)
    return RuleSet.compile(*rule_specs(config)), config


def fired(
    engine: tuple[RuleSet, config_mod.Config],
    title: str,
    content: str = "",
    feed: str | None = None,
) -> list[str]:
    rules, config = engine
    story = {"title": title, "content": content, "feed": feed}
    names: list[str] = explain_record(rules, config, story)["rules"]
    return names


@pytest.mark.parametrize(
    ("rule", "text", "fires"),
    [
        ("kim", "Kim Jong-un visits", True),
        ("kim", "KIM JONG UN VISITS", True),
        ("kim", "Kim Jong Un's letter", True),
        ("kim", "Kim Jong\u2011un with a non-breaking hyphen", True),
        ("kim", "Kim Jong\u2013un with an en dash", True),
        ("kim", "Kim  Jong\nun across a line", True),
        ("kim", "The North Korean leader spoke", True),
        ("kim", "Kim Jong-nam was his brother", False),
        ("kim", "Kim Jong-unification is not a word", False),
        ("kim-alone", "Kimchi prices rise", False),
        ("kim-alone", "Kim arrives", True),
        ("kim-alone", "Photos: https://kim.example/gallery", False),
        ("regex", "Video at https://tv.example/icbm-launch", False),  # a regex term too
        ("putin", "Write to putin@kremlin.example", False),
        ("putin", "Putin spoke (kremlin.ru/putin)", True),
        ("putin", "Rasputin, the film", False),
        ("putin", "Putin's plan", True),
        ("putin", "Putin\u2019s plan", True),
        ("putin", "普京说", True),
        ("putin", "プーチン大統領は述べた", True),
        ("putin", "ปูตินกล่าว", True),
        ("putin", "푸틴은 말했다", True),
        ("erdogan", "Erdogan speaks", True),
        ("erdogan", "ERDOĞAN speaks", True),
        ("sao-paulo", "Rain in Sao Paulo", True),
        ("us-dotted", "U.S. troops arrive", True),
        ("us-dotted", "US troops arrive", False),
        ("att", "AT&T earnings", True),
        ("att", "AT&amp;T earnings", True),
        ("missile", "A missile test", True),
        ("missile", "Two missiles fired", True),
        ("missile", "An antimissile system", False),
        ("us", "US troops", True),
        ("us", "Us and them", True),
        ("us", "join us today", False),
        ("us", "The U.S. said", False),
        ("who", "WHO warns of outbreak", True),
        ("who", "who knows", False),
        ("nato", "Nato summit", True),
        ("nato", "NATO's summit", True),
        ("nato", "nato is lowercase here", False),
        ("nato", "The North Atlantic alliance met", True),
        ("regex", "Kim Jong-un speaks", True),
        ("regex", "New ICBMs shown", True),
        ("regex", "Kim Jong-nam", False),
        # Issue 13: invisible characters inside a word, and look-alike letters (text/chars.py).
        ("putin", "Pu\u2063tin speaks", True),  # INVISIBLE SEPARATOR
        ("putin", "\u2066Pu\u2067tin\u2069 speaks", True),  # bidi isolates
        ("putin", "Pu\u180etin speaks", True),  # MONGOLIAN VOWEL SEPARATOR
        ("putin", "Pu\u061ctin speaks", True),  # ARABIC LETTER MARK
        ("putin", "Pu\u3164tin speaks", True),  # HANGUL FILLER
        ("putin", "\u0420utin speaks", True),  # a Cyrillic Р in a Latin word
        ("putin", "\u03a1utin speaks", True),  # a Greek Ρ
        ("putin", "Ras\u0440utin, the film", False),  # folded, and still a whole-word miss
        ("putin", "\u041f\u0443\u0442\u0438\u043d \u0437\u0430\u044f\u0432\u0438\u043b", False),
        ("nato", "N\u0410\u0422\u041e summit", True),  # Cyrillic А, Т, О in an acronym
    ],
)
def test_term_semantics(
    engine: tuple[RuleSet, config_mod.Config], rule: str, text: str, fires: bool
) -> None:
    assert (rule in fired(engine, text)) is fires


@pytest.mark.parametrize(
    ("title", "content", "fires"),
    [
        ("Kim Jong-un meets Putin", "They discussed cooperation.", True),
        ("Kim Jong-un meets Putin", "", False),  # no `any` term
        ("Kim Jong-un visits", "He met Putin; strategic ties were discussed.", True),  # fields mix
        ("Kim Jong-un meets Putin", "Strategic ties, said South Korea.", False),  # `none`
        ("Putin meets officials", "cooperation", False),  # an `all` term missing
    ],
)
def test_all_any_none(
    engine: tuple[RuleSet, config_mod.Config], title: str, content: str, fires: bool
) -> None:
    assert ("both" in fired(engine, title, content)) is fires


def test_feeds_limit_by_name_or_tag_and_no_feed_never_fires(
    engine: tuple[RuleSet, config_mod.Config],
) -> None:
    assert "korea-feeds" in fired(engine, "Pyongyang says", feed="Yonhap")
    assert "korea-feeds" in fired(engine, "Pyongyang says", feed="korea")
    assert "korea-feeds" not in fired(engine, "Pyongyang says", feed="Other")
    assert "korea-feeds" not in fired(engine, "Pyongyang says")


def test_fields_limit_where_terms_are_looked_for(
    engine: tuple[RuleSet, config_mod.Config],
) -> None:
    assert "titles-only" in fired(engine, "Summit opens")
    assert "titles-only" not in fired(engine, "Talks open", "at the summit")


def test_rules_come_in_config_order(engine: tuple[RuleSet, config_mod.Config]) -> None:
    assert fired(engine, "Kim Jong-un meets Putin", "cooperation") == [
        "kim", "putin", "kim-alone", "regex", "both",
    ]  # fmt: skip


def test_catastrophic_regex_runs_in_linear_time() -> None:
    config = config_mod.loads("rules:\n  - {name: evil, any: ['/(a+)+$/']}\n")
    rules = RuleSet.compile(*rule_specs(config))
    started = time.perf_counter()
    verdicts = rules.verdicts("title", "a" * 100_000 + "!", frozenset(), everything=True)
    assert time.perf_counter() - started < 1.0
    assert not verdicts[0].fired


def test_terms_record_alias_field_and_position(engine: tuple[RuleSet, config_mod.Config]) -> None:
    rules, config = engine
    story = {"title": "Visit", "content": "The North Korean leader and Putin: cooperation"}
    record = explain_record(rules, config, story)
    (kim, putin, coop) = record["terms"]["both"]
    assert kim == {
        "term": "Kim Jong-un",
        "matched": "North Korean leader",
        "field": "content",
        "position": 4,
        "entity": "Kim Jong-un",
        "kind": "entity",
        "context": '"The [North Korean leader] and Putin: cooperation"',  # issue 15
    }
    assert (putin["matched"], putin["entity"]) == ("Putin", "Vladimir Putin")
    assert (coop["term"], coop["kind"]) == ("cooperation", "phrase")


def run_bot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_explain_command_for_a_person(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(CONFIG)
    run = run_bot(
        "explain",
        "--config",
        str(path),
        "--title",
        "Kim Jong Un meets Putin",
        "-",
        stdin="Talks on cooperation.",
    )
    assert run.returncode == 0, run.stderr
    assert "FIRES  both" in run.stdout
    assert 'Vladimir Putin (as "Putin") in title' in run.stdout
    assert "no     korea-feeds: not one of its feeds" in run.stdout


def test_explain_command_batch_mode(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "entities:\n  Vladimir Putin: [Putin]\nrules:\n"
        "  - {name: p, any: [Vladimir Putin]}\n  - {name: k, any: [Kim]}\n"
    )
    lines = [{"title": "Putin and Kim"}, {"title": "Rasputin", "content": "Kimchi"}]
    run = run_bot(
        "explain",
        "--config",
        str(path),
        "--jsonl",
        "-",
        stdin="\n".join(json.dumps(x) for x in lines) + "\n",
    )
    assert run.returncode == 0, run.stderr
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    assert [a["rules"] for a in answers] == [["p", "k"], []]


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("{name: r}", "rules[0] (line 3): a rule needs `all` or `any` terms"),
        ("{name: r, any: ['/(?<=a)b/']}", "rules[0].any[0] (line 3): invalid regular expression"),
        ("{name: r, any: [x], feeds: [nope]}", "rules[0].feeds[0] (line 3): no feed named"),
    ],
)
def test_check_catches_rule_errors(tmp_path: Path, rule: str, problem: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        f'feeds: [{{url: "https://x.example/rss"}}]\ntelegram: {{chat: "@alerts"}}\n'
        f"rules:\n  - {rule}\n"
    )
    run = run_bot("check", "--config", str(path))
    assert run.returncode == 1
    assert problem.replace("line 3", "line 4") in run.stdout


def test_unknown_entity_looking_term_is_a_phrase_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        'feeds: [{url: "https://x.example/rss"}]\ntelegram: {chat: "@alerts"}\n'
        "rules:\n  - {name: r, any: [Xi Jinping]}\n"
    )
    run = run_bot("check", "--config", str(path))
    assert run.returncode == 0, run.stdout
