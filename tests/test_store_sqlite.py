"""SQLite only: what is about the state file itself, not about a store (its mode and journal,
the lock file, a corrupt file, migrations of an old file, the dry run's backup copy)."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from alerts.errors import StoreError
from alerts.store import PENDING, SCHEMA_VERSION, Store
from alerts.store.schema import steps
from tests.stores import NOW, alert, poll, seen


def test_new_file_is_private_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 11
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_second_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    assert not Store.in_use(path)
    holder = Store(path, lock=True)
    try:
        assert Store.in_use(path)
        with pytest.raises(StoreError, match="another bot process"):
            Store(path, lock=True)
        Store(path).close()  # status and redrive open it without the lock
    finally:
        holder.close()
    assert not Store.in_use(path)
    Store(path, lock=True).close()  # free again once the first closed


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the state file"):
        Store(path, lock=True)
    assert not Store.in_use(path)


def test_backup_is_a_separate_copy(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    store.update_feed(poll("u", ["a"], [alert(1)]), NOW)
    store.backup_to(tmp_path / "copy.db")
    copy = Store(tmp_path / "copy.db")
    copy.mark_sent(copy.pending()[0].id, 1, NOW)
    assert store.counts()[PENDING] == 1
    assert seen(copy, "u", ["a"]) == {"a"}
    store.close()
    copy.close()
    with pytest.raises(StoreError, match="cannot copy"):
        store.backup_to(tmp_path / "again.db")


def old_file(path: Path, version: int) -> None:
    """A state file as a bot at schema ``version`` left it, with a feed and an alert."""
    db = sqlite3.connect(path, isolation_level=None)
    for number, statements in steps(0, str(path))[:version]:
        for statement in statements:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {number}")
    db.execute("INSERT INTO feeds (url, etag, error_streak) VALUES ('u', '\"e\"', 2)")
    db.execute(
        "INSERT INTO outbox (key, chat, rule, title, link, text, created_at)"
        " VALUES ('k1', '@c', 'r', 'T1', 'L1', '<b>T1</b>', 0)"
    )
    db.close()


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_an_old_file_is_migrated_and_keeps_its_rows(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.db"
    old_file(path, version)
    store = Store(path)
    try:
        state = store.feed_state("u")
        assert (state.etag, state.error_streak) == ('"e"', 2)
        (entry,) = store.pending()
        assert (entry.alert.key, entry.alert.source, entry.status) == ("k1", "", PENDING)
        assert (state.failing_since, state.reported_broken) == (None, False)  # health columns
        assert store.recent_sends("@c", NOW) == []  # the send log
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_file_from_a_newer_bot_is_refused_and_left_free(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this bot"):
        Store(path, lock=True)
    assert not Store.in_use(path)
