"""alerts/config.ConfigWatcher: each new content of the file is loaded once, good or bad."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from alerts.config import Config, ConfigWatcher, needs_restart
from alerts.config.load import loads
from alerts.errors import ConfigError
from tests.fakes import WAIT_SCALE
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import KIM, TOKEN, Running, news_item, start_service

BOT_TOKEN = TOKEN  # the token the telegram fixture (conftest) accepts

GOOD = """\
telegram: {chat: "@alerts"}
feeds: [{url: "https://x.example/rss"}]
rules: [{name: r, any: [x]}]
"""


def settled(watcher: ConfigWatcher) -> Config | ConfigError | None:
    """Two looks: a content counts once it is seen twice in a row."""
    first = watcher.check()
    assert first is None
    return watcher.check()


def test_a_half_written_file_is_not_taken(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)
    watcher = ConfigWatcher(path, GOOD)
    path.write_text(GOOD[:40])  # caught mid-write
    assert watcher.check() is None
    path.write_text(GOOD.replace("any: [x]", "any: [z]"))  # the finished edit
    assert watcher.check() is None
    changed = watcher.check()
    assert isinstance(changed, Config)
    assert changed.rules[0].any == ["z"]


def test_an_edit_of_a_restart_only_key_keeps_its_running_value_and_says_which() -> None:
    old = loads(GOOD + "state: a.db\nmetrics: {listen: 9108}\n", source="config.yaml")
    new = loads(GOOD.replace("[x]", "[y]") + "state: b.db\nmetrics: {listen: 9109}\n",
                source="config.yaml")  # fmt: skip
    kept, changed = needs_restart(old, new)
    assert changed == ["state", "metrics.listen"]
    assert (kept.state, kept.metrics.listen) == (old.state, old.metrics.listen)
    assert kept.rules == new.rules  # the rest of the edit applies at once
    assert needs_restart(old, old) == (old, [])


def test_watcher_reports_each_new_content_once(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)
    watcher = ConfigWatcher(path, GOOD)
    assert watcher.check() is None  # unchanged

    path.write_text(GOOD.replace("any: [x]", "any: [y]"))
    changed = settled(watcher)
    assert isinstance(changed, Config)
    assert changed.rules[0].any == ["y"]
    assert watcher.check() is None

    path.write_text(GOOD + "rules: [oops\n")
    bad = settled(watcher)
    assert isinstance(bad, ConfigError)
    assert bad.problems[0].line is not None
    assert watcher.check() is None  # the same bad content is reported once

    path.write_text(GOOD.replace('"@alerts"', "nope"))
    assert isinstance(settled(watcher), ConfigError)

    path.unlink()
    missing = settled(watcher)
    assert isinstance(missing, ConfigError)
    assert "cannot read" in str(missing)


def test_an_edit_that_run_could_not_use_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)
    watcher = ConfigWatcher(path, GOOD)
    path.write_text(GOOD.replace('feeds: [{url: "https://x.example/rss"}]', "feeds: []"))
    error = settled(watcher)
    assert isinstance(error, ConfigError)
    assert "no feeds" in str(error)


# A YAML alias bomb (expands to 10**8 strings) and an alias inside its own anchor.
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}' if prev != ' ' else 'lol'] * 10)}]\n"
    for prev, name in zip(" abcdefg", "abcdefgh", strict=True)
)
RECURSIVE = GOOD + "entities:\n  Loop: &loop [x, *loop]\n"


def test_an_alias_bomb_or_a_recursive_alias_is_a_bad_edit(tmp_path: Path) -> None:
    """Before: the bomb froze the reload (gigabytes); the cycle raised a RecursionError."""
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)
    watcher = ConfigWatcher(path, GOOD)
    path.write_text(BOMB)
    bomb = settled(watcher)
    assert isinstance(bomb, ConfigError)
    assert "alias bomb" in str(bomb)
    path.write_text(RECURSIVE)
    cycle = settled(watcher)
    assert isinstance(cycle, ConfigError)
    assert "entities.Loop[1] (line 5): an alias inside its own anchor" in str(cycle)


def test_the_service_rejects_hostile_edits_and_keeps_the_last_good_config(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    config, service = start_service(tmp_path, feeds, telegram)
    try:
        service.wait_for("service_started", 20)
        good = config.read_text()
        config.write_text(BOMB)
        service.wait_for("config_reload_failed", 20)
        config.write_text(good + "  - name: Loop\n    any: &loop [x, *loop]\n")
        until_logged(lambda: failed_reloads(service) == 2, service)
        feeds.set("/a.xml", rss([news_item(2, KIM), news_item(1, "Weather")]))
        messages = telegram.wait_for_messages(3, timeout=30)  # two notices, one alert
    finally:
        code = service.stop()
    assert code == 0
    assert [m.text.split("</b>")[0] for m in messages if m.chat_id == "@alerts"] == [f"<b>{KIM}"]
    notices = [m.text for m in messages if m.chat_id == "4242"]
    assert "alias bomb" in notices[0]
    assert "an alias inside its own anchor" in notices[1]


def failed_reloads(service: Running) -> int:
    return sum("config_reload_failed" in line for line in service.lines)


def until_logged(condition: Callable[[], bool], service: Running, timeout: float = 20) -> None:
    """Wait for a condition on the service's log (an event, not a sleep); fail with the log."""
    deadline = time.monotonic() + timeout * WAIT_SCALE
    while not condition():
        assert time.monotonic() < deadline, "".join(service.lines)
        time.sleep(0.05)
