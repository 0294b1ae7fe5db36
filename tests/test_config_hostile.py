"""alerts/config/compose.py: hostile YAML (an alias bomb, a recursive alias, deep nesting) is a
config problem at its line, found in bounded time and memory; anchors used with sense load."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.config import ConfigError, loads
from alerts.config.compose import ALIAS_VALUES, MAX_DEPTH
from alerts.errors import ConfigProblem

ROOT = Path(__file__).resolve().parent.parent

# The "billion laughs" of YAML: nine lines that stand for 10**9 strings.
BOMB = """\
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""
RECURSIVE_LIST = 'telegram: {chat: "@alerts"}\nentities:\n  Loop: &loop [x, *loop]\n'
RECURSIVE_MAP = "polling: &p\n  nested: *p\n"


def only_problem(text: str) -> ConfigProblem:
    with pytest.raises(ConfigError) as info:
        loads(text)
    (problem,) = info.value.problems
    return problem


def test_an_alias_bomb_is_refused_at_the_key_where_it_passes_the_bound() -> None:
    problem = only_problem(BOMB)
    # f stands for 597,871 values; e for 66,430, within the bound.
    assert (problem.path, problem.line) == ("f", 6)
    assert f"more than {ALIAS_VALUES:,} values" in problem.message
    assert "alias bomb" in problem.message


@pytest.mark.parametrize(
    ("text", "where"),
    [(RECURSIVE_LIST, "entities.Loop[1] (line 3)"), (RECURSIVE_MAP, "polling.nested (line 2)")],
)
def test_an_alias_inside_its_own_anchor_is_refused_at_its_line(text: str, where: str) -> None:
    assert str(only_problem(text)) == f"{where}: an alias inside its own anchor"


def test_values_nested_past_the_bound_are_refused() -> None:
    depth = MAX_DEPTH + 20
    problem = only_problem("feeds: " + "[" * depth + "]" * depth + "\n")
    assert problem.line == 1
    assert problem.message == f"nested deeper than {MAX_DEPTH} levels"


def test_anchors_used_with_sense_load_as_before() -> None:
    """Shared settings through a merge key and a shared list: expanded, no false duplicate."""
    config = loads(
        """\
telegram: {chat: "@alerts"}
feeds:
  - &first {url: "https://a.example/rss", interval: 10m, tags: &tags [world]}
  - {<<: *first, url: "https://b.example/rss", interval: 2m}
rules:
  - {name: r, any: [x], feeds: *tags}
"""
    )
    assert [f.url for f in config.feeds] == ["https://a.example/rss", "https://b.example/rss"]
    assert [f.interval for f in config.feeds] == [timedelta(minutes=10), timedelta(minutes=2)]
    assert config.feeds[1].tags == ["world"]
    assert config.rules[0].feeds == ["world"]


def test_many_aliases_within_the_bound_load() -> None:
    """A thousand feeds sharing one anchor's settings are far below the bound."""
    feeds = "".join(f'  - {{<<: *d, url: "https://f{i}.example/rss"}}\n' for i in range(1000))
    text = 'telegram: {chat: "@alerts"}\npolling: {}\nfeeds:\n' + feeds
    text = text.replace("feeds:\n", "feeds:\n  - &d {url: https://f.example/rss, tags: [a]}\n")
    assert len(loads(text).feeds) == 1001


def check_in_bounded_memory(config: Path, limit: int) -> subprocess.CompletedProcess[str]:
    """``bot.py check`` in a process whose address space is capped at ``limit`` bytes."""
    cap = (
        "import os, resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit})); "
        "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
    )
    return subprocess.run(
        [sys.executable, "-c", cap, str(ROOT / "bot.py"), "check", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,  # a guard against the old hang (60 s and more), not a measure
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize(("text", "expected"), [
    (BOMB, "f (line 6): aliases here add more than"),
    (RECURSIVE_LIST, "entities.Loop[1] (line 3): an alias inside its own anchor"),
])  # fmt: skip
def test_check_reports_hostile_yaml_in_bounded_memory(
    tmp_path: Path, text: str, expected: str
) -> None:
    """The tester's `check` ran past 60 s at 4.4 GB on the bomb; a traceback on the loop."""
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    result = check_in_bounded_memory(config, limit=1 << 30)
    assert result.returncode == 1, result
    assert expected in result.stdout
    assert "Traceback" not in result.stderr
