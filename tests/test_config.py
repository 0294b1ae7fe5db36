"""Tests of alerts/config/: durations, validation with key paths and lines, token, schema, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.config import (
    Config,
    ConfigError,
    check_runnable,
    format_duration,
    load,
    loads,
    parse_duration,
    read_token,
    runnable_problems,
    schema_lines,
)
from alerts.errors import ConfigProblem

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = """\
telegram:
  chat: "@my_alerts"
feeds:
  - url: https://example.com/feed
rules:
  - name: Korea
    all: [North Korea]
"""


def problems_of(text: str) -> list[ConfigProblem]:
    """The problems loads() reports for this text (fails the test if it loads)."""
    with pytest.raises(ConfigError) as info:
        loads(text)
    return info.value.problems


def triples(text: str) -> set[tuple[str, int | None, str]]:
    """The problems as (path, line, message) triples."""
    return {(p.path, p.line, p.message) for p in problems_of(text)}


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("48h", timedelta(hours=48)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        (" 5m ", timedelta(minutes=5)),
        ("1.5h", timedelta(minutes=90)),
        ("0s", timedelta(0)),
        (300, timedelta(minutes=5)),
        (1.5, timedelta(seconds=1.5)),
        (timedelta(hours=1), timedelta(hours=1)),
    ],
)
def test_parse_duration(value: object, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["5", "5x", "5 minutes", "-5m", "m", "", -1, True, None, [5]])
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(seconds=90), "90s"),
        (timedelta(seconds=300), "5m"),
        (timedelta(hours=6), "6h"),
        (timedelta(hours=36), "36h"),
        (timedelta(hours=48), "48h"),
        (timedelta(days=30), "30d"),
        (timedelta(seconds=1.5), "1.5s"),
        (timedelta(0), "0s"),
    ],
)
def test_format_duration(value: timedelta, expected: str) -> None:
    assert format_duration(value) == expected
    assert parse_duration(expected) == value


# ---------------------------------------------------------------- valid configs


def test_minimal_config_loads_with_defaults() -> None:
    config = loads(MINIMAL)
    assert config.telegram.chat == "@my_alerts"
    assert [f.url for f in config.feeds] == ["https://example.com/feed"]
    assert config.feeds[0].display_name == "example.com"
    assert config.rules[0].name == "Korea"
    assert config.rules[0].all == ["North Korea"]
    assert config.rules[0].fields == ["title", "content"]
    assert config.polling.interval == timedelta(minutes=5)
    assert config.polling.jitter == timedelta(seconds=30)
    assert config.polling.max_redirects == 5
    assert config.items.max_age == timedelta(days=7)
    assert config.items.retention == timedelta(days=30)
    assert config.dedup.window == timedelta(hours=48)
    assert config.dedup.threshold == 88.0
    assert config.message.summary_chars == 280
    assert config.message.timezone == "UTC"
    assert config.telegram.admins == []
    assert config.telegram.link_preview is False


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_config_is_all_defaults(text: str) -> None:
    config = loads(text)
    assert config == Config()
    assert config.feeds == []
    assert config.rules == []


def test_values_are_converted() -> None:
    config = loads(
        """\
telegram: {chat: -1001234567890, admins: [42, 43]}
polling: {interval: 2m, backoff_max: 1h}
feeds:
  - {url: "https://a.example/rss", name: A, tags: [korea], interval: 90s, backfill: 3}
message: {timezone: Asia/Seoul, summary_chars: 400}
"""
    )
    assert config.telegram.chat == "-1001234567890"
    assert config.telegram.admins == [42, 43]
    assert config.polling.interval == timedelta(minutes=2)
    assert config.polling.backoff_max == timedelta(hours=1)
    assert config.feeds[0].interval == timedelta(seconds=90)
    assert config.feeds[0].display_name == "A"
    assert config.feeds[0].backfill == 3
    assert config.message.timezone == "Asia/Seoul"
    assert config.message.summary_chars == 400


def test_state_is_resolved_relative_to_base_dir(tmp_path: Path) -> None:
    assert loads(MINIMAL, base_dir=tmp_path).state == str(tmp_path / "alerts.db")
    config = loads("state: sub/state.db\n", base_dir=tmp_path)
    assert config.state == str(tmp_path / "sub" / "state.db")
    absolute = tmp_path / "elsewhere.db"
    assert loads(f"state: {absolute}\n", base_dir=tmp_path).state == str(absolute)


def test_load_reads_a_file_and_resolves_state_next_to_it(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert load(path).state == str(tmp_path.resolve() / "alerts.db")


def test_rule_chat_overrides_default() -> None:
    config = loads(MINIMAL + '    chat: "@other_chat"\n')
    assert config.chat_of(config.rules[0]) == "@other_chat"
    default = loads(MINIMAL)
    assert default.chat_of(default.rules[0]) == "@my_alerts"


# ---------------------------------------------------------------- one problem at a time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "telegram:\n  chat: '@my_alerts'\n  colour: blue\n",
            ("telegram.colour", 3, "unknown key"),
            id="unknown-key-in-section",
        ),
        pytest.param(
            "# header\n\npollng:\n  interval: 5m\n",
            ("pollng", 3, "unknown key"),
            id="unknown-top-level-key",
        ),
        pytest.param(
            "feeds:\n  - url: https://a.example/\n  - url: https://b.example/\n    tagz: [x]\n",
            ("feeds[1].tagz", 4, "unknown key"),
            id="unknown-key-in-list-item",
        ),
        pytest.param(
            "feeds:\n  - url: https://a.example/\n  - url: ftp://b.example/feed\n",
            ("feeds[1].url", 3, "not an http(s) URL"),
            id="bad-url-scheme",
        ),
        pytest.param(
            "feeds:\n  - {url: not-a-url}\n",
            ("feeds[0].url", 2, "not an http(s) URL"),
            id="bad-url-no-host",
        ),
        pytest.param(
            "feeds:\n  - name: A\n",
            ("feeds[0].url", 2, "required key is missing"),
            id="missing-url",
        ),
        pytest.param(
            "rules:\n  - name: a\n    all: [x]\n  - name: b\n    silent: true\n",
            ("rules[1]", 4, "a rule needs `all` or `any` terms"),
            id="rule-without-terms",
        ),
        pytest.param(
            "rules:\n  - name: a\n    none: [x]\n",
            ("rules[0]", 2, "a rule needs `all` or `any` terms"),
            id="rule-with-only-none",
        ),
        pytest.param(
            "rules:\n  - name: a\n    any: [x, '  ']\n",
            ("rules[0].any[1]", 3, "empty term"),
            id="empty-term",
        ),
        pytest.param(
            "rules:\n  - name: a\n    all:\n      - ok\n      - /(unclosed/\n",
            ("rules[0].all[1]", 5, None),
            id="invalid-regex",
        ),
        pytest.param(
            "feeds:\n  - url: https://a.example/\n  - url: https://a.example/\n",
            ("feeds[1].url", 3, "same URL as feeds[0]"),
            id="duplicate-feed-url",
        ),
        pytest.param(
            "feeds:\n  - {url: 'https://a.example/', name: A}\n"
            "  - {url: 'https://b.example/', name: A}\n",
            ("feeds[1].name", 3, "same name as feeds[0]"),
            id="duplicate-feed-name",
        ),
        pytest.param(
            "dedup:\n  window: 1h\n  threshold: 90\n  window: 2h\n",
            ("dedup.window", 4, "duplicate key"),
            id="duplicate-yaml-key",
        ),
        pytest.param(
            "feeds:\n  - {url: 'https://a.example/', name: A, tags: [korea]}\n"
            "rules:\n  - name: r\n    all: [x]\n    feeds: [korea, russia]\n",
            ("rules[0].feeds[1]", 6, "no feed named or tagged 'russia'"),
            id="rule-feeds-unknown-tag",
        ),
        pytest.param(
            "telegram:\n  admins: x\n",
            ("telegram.admins", 2, "Input should be a valid list"),
            id="admins-not-a-list",
        ),
        pytest.param(
            "telegram:\n  chat: my channel\n",
            ("telegram.chat", 2, "not a chat: use @channelname or a numeric chat id"),
            id="bad-chat",
        ),
        pytest.param(
            "polling:\n  interval: 5 minutes\n",
            ("polling.interval", 2, None),
            id="bad-duration",
        ),
        pytest.param(
            "polling:\n  max_bytes: 0\n",
            ("polling.max_bytes", 2, "Input should be greater than 0"),
            id="max-bytes-zero",
        ),
        pytest.param(
            "rules:\n  - name: r\n    all: [x]\n    fields: [body]\n",
            ("rules[0].fields[0]", 4, None),
            id="bad-field",
        ),
        pytest.param(
            "message:\n  timezone: Mars/Olympus\n",
            ("message.timezone", 2, "unknown time zone 'Mars/Olympus'"),
            id="bad-timezone",
        ),
        pytest.param(
            "feeds: {}\n",
            ("feeds", 1, "Input should be a valid list"),
            id="feeds-not-a-list",
        ),
        pytest.param(
            "- a\n- b\n",
            ("", 1, "the config must be a mapping of sections"),
            id="not-a-mapping",
        ),
    ],
)
def test_single_problem(text: str, expected: tuple[str, int, str | None]) -> None:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    path, line, message = expected
    assert problems[0].path == path
    assert problems[0].line == line
    if message is not None:
        assert problems[0].message == message


def test_invalid_regex_message_names_the_regex_error() -> None:
    (problem,) = problems_of("rules:\n  - name: a\n    all: ['/a(/']\n")
    assert problem.message.startswith("invalid regular expression:")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("telegram:\n  chat: '@x'\nfeeds: [1\nrules: []\n", 4),
        ("polling:\n  interval: 5m\n   jitter: 30s\n", 3),
        ("telegram: {chat: '@abcd'\n", 2),
    ],
)
def test_invalid_yaml_reports_its_line(text: str, line: int) -> None:
    (problem,) = problems_of(text)
    assert problem.line == line
    assert problem.message.startswith("not valid YAML")


def test_problem_text_has_path_and_line() -> None:
    (problem,) = problems_of("feeds:\n  - url: https://a.example/\n  - url: nope\n")
    assert str(problem) == "feeds[1].url (line 3): not an http(s) URL"


def test_all_problems_are_reported_at_once() -> None:
    text = """\
telegram:
  chat: "@my_alerts"
  admins: x
polling:
  intervall: 5m
feeds:
  - url: https://a.example/feed
  - url: ftp://b.example/feed
  - url: https://a.example/feed
rules:
  - name: no terms
  - name: bad regex
    all: [/a(/]
    feeds: [nosuch]
  - name: empty
    any: ["  "]
message:
  timezone: Mars/Olympus
dedup:
  window: 1h
  window: 2h
"""
    with pytest.raises(ConfigError) as info:
        loads(text, source="bad.yaml")
    found = {(p.path, p.line) for p in info.value.problems}
    assert found == {
        ("telegram.admins", 3),
        ("polling.intervall", 5),
        ("feeds[1].url", 8),
        ("feeds[2].url", 9),
        ("rules[0]", 11),
        ("rules[1].all[0]", 13),
        ("rules[1].feeds[0]", 14),
        ("rules[2].any[0]", 16),
        ("message.timezone", 18),
        ("dedup.window", 21),
    }
    lines = [p.line or 0 for p in info.value.problems]
    assert lines == sorted(lines)
    message = str(info.value)
    assert message.startswith("bad.yaml: 10 problem(s)")
    assert "  polling.intervall (line 5): unknown key" in message
    assert "  feeds[1].url (line 8): not an http(s) URL" in message


# ---------------------------------------------------------------- runnable


def test_runnable_minimal_config_has_no_problems() -> None:
    config = loads(MINIMAL)
    assert runnable_problems(config) == []
    check_runnable(config, "config.yaml", MINIMAL)


def test_runnable_problems_no_feeds_and_no_destination() -> None:
    text = "rules:\n  - name: r\n    all: [x]\n"
    config = loads(text)
    assert [(p.path, p.message) for p in runnable_problems(config)] == [
        ("feeds", "no feeds to watch"),
        ("rules[0]", "no destination: set telegram.chat or chat"),
    ]
    with pytest.raises(ConfigError) as info:
        check_runnable(config, "c.yaml", text)
    assert info.value.source == "c.yaml"
    rule_problem = next(p for p in info.value.problems if p.path == "rules[0]")
    assert rule_problem.line == 2


def test_runnable_problems_no_rules() -> None:
    config = loads("feeds:\n  - url: https://a.example/\n")
    assert [(p.path, p.message) for p in runnable_problems(config)] == [
        ("rules", "no rules: nothing would ever be alerted")
    ]


def test_rule_chat_is_a_destination_without_default() -> None:
    config = loads(
        "feeds:\n  - url: https://a.example/\n"
        "rules:\n  - {name: r, all: [x], chat: -100123}\n  - {name: s, all: [y]}\n"
    )
    assert [p.path for p in runnable_problems(config)] == ["rules[1]"]


# ---------------------------------------------------------------- token


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"TELEGRAM_BOT_TOKEN": "123:abc"}, "123:abc"),
        ({"TELEGRAM_BOT_TOKEN": "  123:abc\n"}, "123:abc"),
        ({"TELEGRAM_BOT_TOKEN": ""}, None),
        ({"TELEGRAM_BOT_TOKEN": "   "}, None),
        ({}, None),
    ],
)
def test_read_token_from_environment(environ: dict[str, str], expected: str | None) -> None:
    assert read_token(environ) == expected


def test_read_token_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("456:def\n", encoding="utf-8")
    assert read_token({"TELEGRAM_BOT_TOKEN_FILE": str(secret)}) == "456:def"
    both = {"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_BOT_TOKEN_FILE": str(secret)}
    assert read_token(both) == "123:abc"


def test_read_token_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        read_token({"TELEGRAM_BOT_TOKEN_FILE": str(tmp_path / "absent")})


# ---------------------------------------------------------------- schema


def test_schema_lines_list_every_key_with_its_default() -> None:
    lines = list(schema_lines())
    keys = [line.split("  #")[0] for line in lines]
    for expected in (
        "polling.interval: 5m",
        "polling.jitter: 30s",
        "polling.backoff_max: 6h",
        "items.retention: 30d",
        "dedup.threshold: 88.0",
        "message.summary_chars: 280",
        "message.timezone: UTC",
        "telegram.chat: null",
        "state: alerts.db",
        "feeds[].url: (required)",
        "rules[].name: (required)",
        "rules[].fields: [title, content]",
    ):
        assert expected in keys, expected
    assert "polling.interval: 5m  # time between polls of a feed" in lines


# ---------------------------------------------------------------- command line


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run bot.py from the repository root, without any token in the environment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN_FILE", "LOGLEVEL")
    }
    return subprocess.run(
        [sys.executable, "bot.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_check_prints_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        """\
telegram:
  chat: "@my_alerts"
  colour: blue
feeds:
  - url: https://a.example/feed
  - url: not-a-url
rules:
  - name: empty
""",
        encoding="utf-8",
    )
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 1, result
    assert "telegram.colour (line 3): unknown key" in result.stdout
    assert "feeds[1].url (line 6): not an http(s) URL" in result.stdout
    assert "rules[0] (line 8): a rule needs `all` or `any` terms" in result.stdout


def test_cli_check_accepts_the_shipped_config() -> None:
    result = run_cli("check", "--config", str(ROOT / "config.yaml"))
    assert result.returncode == 0, result
    assert "ok" in result.stdout


def test_cli_check_schema() -> None:
    result = run_cli("check", "--schema")
    assert result.returncode == 0, result
    assert "polling.interval: 5m" in result.stdout
