"""`bot.py state backup FILE`: SQLite's online backup of the state, also while the bot runs; and
why copying the state file alone is no backup (the -wal file)."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from pathlib import Path

from alerts.store import Store
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import KIM, TOKEN, bot, news_item, start_service

BOT_TOKEN = TOKEN  # the token the telegram fixture (conftest) accepts


def sent_titles(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT title FROM outbox WHERE status = 'sent' ORDER BY id")
        return [title for (title,) in rows]


def test_state_backup_copies_the_state_of_a_running_bot(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    config, service = start_service(tmp_path, feeds, telegram)
    copy = tmp_path / "backups" / "alerts-copy.db"
    copy.parent.mkdir()
    try:
        service.wait_for("feed_polled", 20)
        feeds.set("/a.xml", rss([news_item(2, KIM), news_item(1, "Weather")]))
        telegram.wait_for_messages(1, timeout=20)
        service.wait_for("alert_sent", 20)
        result = bot("state", "backup", "--config", str(config), str(copy))
        assert service.proc.poll() is None  # the bot ran on through the backup
    finally:
        service.stop()
    assert result.returncode == 0, result.stderr
    assert f"copied to {copy}" in result.stdout
    assert sent_titles(copy) == [KIM]
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one whole file
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # chat ids and texts: owner only


def test_copying_the_state_file_alone_misses_what_is_in_its_wal(tmp_path: Path) -> None:
    """What the README warns of: a plain copy of alerts.db while the bot runs."""
    state = tmp_path / "alerts.db"
    store = Store(state)
    try:
        store.set_meta("paused", "1")  # a committed write, still in alerts.db-wal
        shutil.copyfile(state, tmp_path / "plain.db")
        store.backup_to(tmp_path / "backup.db")
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "plain.db") as conn:
        tables = conn.execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []  # empty: the schema itself was still in the -wal file
    with sqlite3.connect(tmp_path / "backup.db") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'paused'").fetchone() == ("1",)


def test_a_backup_replaces_an_old_one_whole(tmp_path: Path) -> None:
    state, target = tmp_path / "alerts.db", tmp_path / "nightly.db"
    target.write_text("yesterday's copy, or anything")
    store = Store(state)
    try:
        store.backup_to(target)
    finally:
        store.close()
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert sorted(p.name for p in tmp_path.iterdir() if "nightly" in p.name) == ["nightly.db"]


def write_minimal(tmp_path: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text('telegram: {chat: "@alerts"}\nstate: alerts.db\n')
    return config


def test_state_backup_refuses_to_write_over_the_state_itself(tmp_path: Path) -> None:
    config = write_minimal(tmp_path)
    Store(tmp_path / "alerts.db").close()
    before = (tmp_path / "alerts.db").read_bytes()
    (tmp_path / "link.db").symlink_to(tmp_path / "alerts.db")
    for target in ("alerts.db", "link.db"):
        result = bot("state", "backup", "--config", str(config), str(tmp_path / target))
        assert result.returncode == 1
        assert "is the state file itself" in result.stderr
    assert (tmp_path / "alerts.db").read_bytes() == before


def test_state_backup_without_a_state_file_says_so(tmp_path: Path) -> None:
    config = write_minimal(tmp_path)
    result = bot("state", "backup", "--config", str(config), str(tmp_path / "copy.db"))
    assert result.returncode == 1
    assert "no state file yet" in result.stdout
    assert not (tmp_path / "copy.db").exists()


def test_state_backup_is_in_the_help() -> None:
    result = bot("--help", token=None)
    assert "state" in result.stdout
    assert "backup" in bot("state", "--help", token=None).stdout
