"""alerts/config.ConfigWatcher: each new content of the file is loaded once, good or bad."""

from __future__ import annotations

from pathlib import Path

from alerts.config import Config, ConfigWatcher
from alerts.errors import ConfigError

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
