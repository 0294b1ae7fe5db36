"""alerts/store.py on a real SQLite file."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.errors import StoreError
from alerts.models import Alert, StoryKey
from alerts.store import FAILED, PENDING, SCHEMA_VERSION, SENT, PollRecord, Store

NOW = datetime(2026, 6, 13, 12, 0, tzinfo=UTC)


def alert(n: int, chat: str = "@c") -> tuple[Alert, StoryKey]:
    return (
        Alert(key=f"k{n}", chat=chat, rule="r", title=f"T{n}", link=f"L{n}", text=f"<b>T{n}</b>"),
        StoryKey(f"t{n}", f"l{n}"),
    )


def poll(url: str, ids: list[str], alerts: list[tuple[Alert, StoryKey]]) -> PollRecord:
    return PollRecord(url, '"e"', "lm", "hash", ids, alerts)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state.db")


def test_new_file_is_private_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_poll_writes_items_alerts_and_stories_together(store: Store) -> None:
    queued = store.record_poll(poll("u", ["a", "b"], [alert(1), alert(2)]), NOW)
    assert queued == 2
    assert store.seen("u", ["a", "b", "c"]) == {"a", "b"}
    assert [e.alert.key for e in store.pending("@c")] == ["k1", "k2"]
    assert [k for _, k, *_ in store.recent_stories(NOW - timedelta(hours=1))] == [
        StoryKey("t1", "l1"),
        StoryKey("t2", "l2"),
    ]
    state = store.feed_state("u")
    assert (state.etag, state.last_modified, state.content_hash) == ('"e"', "lm", "hash")
    assert state.polled_before and state.error_streak == 0


def test_same_alert_key_is_queued_once(store: Store) -> None:
    store.record_poll(poll("u", ["a"], [alert(1)]), NOW)
    assert store.record_poll(poll("u", ["a"], [alert(1)]), NOW) == 0
    assert len(store.pending()) == 1


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    bad = Alert(key="k", chat="@c", rule="r", title=None, link="", text="x")  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        store.record_poll(poll("u", ["a"], [(bad, StoryKey("t", "l"))]), NOW)
    assert store.seen("u", ["a"]) == set()
    assert store.pending() == []
    assert not store.feed_state("u").polled_before


def test_delivery_states(store: Store) -> None:
    store.record_poll(poll("u", [], [alert(1), alert(2), alert(3)]), NOW)
    first, second, third = store.pending()
    store.mark_sent(first.id, 41, NOW)
    store.mark_attempt(second.id, "timeout")
    store.mark_failed(third.id, "Forbidden: bot was kicked")
    assert store.counts() == {PENDING: 1, SENT: 1, FAILED: 1}
    (left,) = store.pending()
    assert (left.attempts, left.last_error) == (1, "timeout")
    assert store.sent_messages() == [("@c", 41, "T1")]


def test_pending_chats_in_order_of_oldest_alert(store: Store) -> None:
    store.record_poll(poll("u", [], [alert(1, "@b"), alert(2, "@a"), alert(3, "@b")]), NOW)
    assert store.pending_chats() == ["@b", "@a"]


def test_migrated_chat_takes_its_alerts_and_window(store: Store) -> None:
    store.record_poll(poll("u", [], [alert(1, "-1")]), NOW)
    store.move_chat("-1", "-1001")
    assert [e.alert.chat for e in store.pending()] == ["-1001"]
    assert [(c, k) for c, k, *_ in store.recent_stories(NOW - timedelta(1))] == [
        ("-1001", StoryKey("t1", "l1"))
    ]


def test_failures_count_and_success_resets(store: Store) -> None:
    assert store.record_failure("u", "HTTP 500", NOW + timedelta(minutes=5)) == 1
    assert store.record_failure("u", "HTTP 500", NOW + timedelta(minutes=10)) == 2
    state = store.feed_state("u")
    assert (state.error_streak, state.last_error) == (2, "HTTP 500")
    assert state.next_poll == NOW + timedelta(minutes=10)
    store.record_unchanged("u", NOW)
    state = store.feed_state("u")
    assert (state.error_streak, state.next_poll, state.last_success) == (0, None, NOW)


def test_prune_forgets_old_rows_but_keeps_pending(store: Store) -> None:
    old = NOW - timedelta(days=40)
    store.record_poll(poll("u", ["old"], [alert(1), alert(2)]), old)
    sent, _ = store.pending()
    store.mark_sent(sent.id, 1, old)
    store.record_poll(poll("u", ["new"], []), NOW)
    store.prune(NOW, retention=timedelta(days=30), window=timedelta(hours=48))
    assert store.seen("u", ["old", "new"]) == {"new"}
    assert store.counts() == {PENDING: 1, SENT: 0, FAILED: 0}
    assert list(store.recent_stories(old - timedelta(1))) == []


def test_items_still_in_the_feed_are_not_pruned(store: Store) -> None:
    store.record_poll(poll("u", ["a"], []), NOW - timedelta(days=40))
    store.record_poll(poll("u", ["a"], []), NOW)  # still listed: seen again
    store.prune(NOW, retention=timedelta(days=30), window=timedelta(hours=48))
    assert store.seen("u", ["a"]) == {"a"}


def test_state_survives_reopening(tmp_path: Path) -> None:
    first = Store(tmp_path / "s.db")
    first.record_poll(poll("u", ["a"], [alert(1)]), NOW)
    first.close()
    again = Store(tmp_path / "s.db")
    assert again.seen("u", ["a"]) == {"a"}
    assert len(again.pending()) == 1


def test_second_process_is_refused(tmp_path: Path) -> None:
    holder = Store(tmp_path / "s.db", lock=True)
    try:
        with pytest.raises(StoreError, match="another bot process"):
            Store(tmp_path / "s.db", lock=True)
    finally:
        holder.close()
    Store(tmp_path / "s.db", lock=True).close()  # free again once the first closed


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the state file"):
        Store(path)


def test_backup_is_a_separate_copy(store: Store, tmp_path: Path) -> None:
    store.record_poll(poll("u", ["a"], [alert(1)]), NOW)
    store.backup_to(tmp_path / "copy.db")
    copy = Store(tmp_path / "copy.db")
    copy.mark_sent(copy.pending()[0].id, 1, NOW)
    assert store.counts()[PENDING] == 1
