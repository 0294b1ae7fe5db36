"""alerts/config/lint.py and the interval's minimum: what `check` refuses or warns about, with
the key and its line; a config with warnings still runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alerts.config import ConfigError, config_warnings, loads
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import bot, news_item

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
telegram: {chat: "@alerts"}
polling:
  interval: 5m
feeds:
  - {url: "https://a.example/rss", name: A}
entities:
  Theresa May: [Prime Minister May]
rules:
  - name: r
    any: [Theresa May]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        loads(text)
    return [str(p) for p in info.value.problems]


def warnings_of(text: str) -> list[str]:
    return [str(w) for w in config_warnings(loads(text), "<config>", text)]


# ---------------------------------------------------------------- the interval's minimum


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("interval: 5m", "interval: 0s", "polling.interval (line 3)"),
        ("interval: 5m", "interval: 0.5s", "polling.interval (line 3)"),
        ("name: A}", "name: A, interval: 0s}", "feeds[0].interval (line 5)"),
    ],
)
def test_an_interval_under_a_second_is_refused_with_its_line(
    old: str, new: str, where: str
) -> None:
    """0s made a failing feed retry every second: its backoff, a multiple of 0, stayed 0."""
    (problem,) = problems(BASE.replace(old, new))
    assert problem.startswith(f"{where}: must be at least 1s")


def test_an_interval_of_a_second_is_allowed() -> None:
    assert loads(BASE.replace("interval: 5m", "interval: 1s")).polling.interval.seconds == 1


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("interval: 5m", "interval: 30s", "polling.interval (line 3)"),
        ("name: A}", "name: A, interval: 10s}", "feeds[0].interval (line 5)"),
    ],
)
def test_an_interval_under_a_minute_is_a_warning(old: str, new: str, where: str) -> None:
    (warning,) = warnings_of(BASE.replace(old, new))
    assert warning.startswith(f"{where}: a poll every ")


# ---------------------------------------------------------------- stop words


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("[Prime Minister May]", "[Prime Minister May, May]",
         "entities.Theresa May[1] (line 7): 'May' is only stop words: it matches almost every"),
        ("[Prime Minister May]", "[the]", "entities.Theresa May[0] (line 7): 'the' is only"),
        ("any: [Theresa May]", "any: [Theresa May, of the]", "rules[0].any[1] (line 10): 'of the'"),
        ("any: [Theresa May]", "any: [Theresa May]\n    all: [and]", "rules[0].all[0] (line 11)"),
        ("any: [Theresa May]", "any: [Theresa May]\n    none: [a]",
         "rules[0].none[0] (line 11): 'a' is only stop words: it holds almost every story back"),
        ("any: [Theresa May]", "any: [the*]", "rules[0].any[0] (line 10): 'the*' is only"),
    ],
)  # fmt: skip
def test_a_term_of_only_stop_words_is_a_warning_at_its_line(
    old: str, new: str, expected: str
) -> None:
    (warning,) = warnings_of(BASE.replace(old, new))
    assert warning.startswith(expected)


@pytest.mark.parametrize("term", ["WHO", "US", "/the/", "The Hague", "Theresa", "Mayday*"])
def test_acronyms_regexes_and_words_with_content_are_not_warned(term: str) -> None:
    """Acronyms match in capitals only; a regex is the operator's own; "them" is not listed."""
    assert (
        warnings_of(BASE.replace("[Prime Minister May]", f"[Prime Minister May, {term!r}]")) == []
    )


def test_the_shipped_config_has_no_warning() -> None:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert warnings_of(text) == []


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "LOGLEVEL"))}
    return subprocess.run(
        [sys.executable, "bot.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_prints_the_warnings_and_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(BASE.replace("[Prime Minister May]", "[Prime Minister May, the]"))
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: ok (1 feeds, 1 rules), 1 warning(s)"
    assert lines[1].startswith("  warning: entities.Theresa May[1] (line 7): 'the' is only stop")


def test_the_bot_runs_with_warnings_and_logs_them(tmp_path: Path, feeds: FeedServer) -> None:
    feeds.set("/a.xml", rss([news_item(1, "Weather")]))
    path = tmp_path / "config.yaml"
    text = BASE.replace("https://a.example/rss", feeds.url("/a.xml")).replace(
        "[Prime Minister May]", "[the]"
    )
    path.write_text(text)
    result = bot("run", "--once", "--config", str(path), token=None)
    assert result.returncode == 0, result.stderr
    assert "config_warning" in result.stderr
    assert "entities.Theresa May[0] (line 7)" in result.stderr
    assert feeds.requests.get("/a.xml", 0) == 1  # and it ran
