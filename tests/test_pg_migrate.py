"""``state migrate`` from SQLite into PostgreSQL without losing an alert, and the bot end to
end on PostgreSQL: the real bot as a subprocess, the feeds on the feed server, Telegram faked,
the state on the session's test server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.models import Alert, ClusterJoin, StoryKey, StoryVectors
from alerts.store import Store, StoreType
from alerts.store.pg_store import PgStore
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import KIM, TOKEN, Running, bot, news_item, write_config
from tests.stores import poll

BOT_TOKEN = TOKEN  # the token the telegram fixture (conftest) accepts
RECENT = datetime.now(UTC) - timedelta(minutes=10)  # inside the window and the pace's look back


A, B = "https://a.example/feed", "https://b.example/feed"


def _alert(n: int) -> tuple[Alert, StoryKey]:
    alert = Alert(key=f"k{n}", chat="@alerts", rule="r", title=f"Story {n}",
                  link=f"https://x/{n}", text=f"<b>Story {n}</b>", source="Alpha")  # fmt: skip
    return alert, StoryKey(f"story {n}", f"x/{n}")


def _sqlite_state(path: Path) -> None:
    """Pending, sent, failed and in-doubt alerts, seen items, stories with vectors, a cluster
    source, the send log and a kept value."""
    store = Store(path)
    try:
        store.update_feed(poll(A, ["i1", "i2"], [_alert(n) for n in range(1, 6)]), RECENT)
        store.save_vectors([StoryVectors("k1", b"\x01\x02", b"\x03"), StoryVectors("k4", b"\x04")])
        sent, failed, doubt, *_ = store.pending()
        store.mark_sent(sent.id, 7, RECENT)
        store.mark_failed(failed.id, "Forbidden")
        store.mark_doubt(doubt.id, "timed out", RECENT)
        store.update_feed(poll(B, ["j"], [], (ClusterJoin("k1", "Beta", B, "j"),)), RECENT)
        store.set_meta("started_at", "1")
    finally:
        store.close()


def _picture(store: StoreType) -> tuple[object, ...]:
    """Everything the Protocol shows of a state."""
    return (store.counts(), store.pending(), store.failed(), store.sent_messages(),
            store.feed_states(), store.feed_for_update(A), store.sources("k1"),
            list(store.recent_stories(RECENT - timedelta(hours=1))),
            store.recent_sends("@alerts", RECENT - timedelta(minutes=1)),
            store.get_meta("started_at"), store.pending_edits("@alerts"))  # fmt: skip


def test_migrate_moves_every_row_and_refuses_a_filled_target(tmp_path: Path, pg_url: str) -> None:
    db = tmp_path / "alerts.db"
    _sqlite_state(db)
    moved = bot("state", "migrate", "--from", str(db), "--to", pg_url)
    assert moved.returncode == 0, moved.stderr
    assert "rows moved in one transaction, every table's count verified" in moved.stdout
    table = dict(line.split() for line in moved.stdout.splitlines()[1:])
    assert table == {"buttons": "0", "cluster_sources": "1", "feeds": "2", "item_feeds": "0",
                     "item_log": "0", "items": "3", "meta": "1", "mutes": "0", "outbox": "5",
                     "send_log": "2", "stories": "5"}  # fmt: skip
    source, target = Store(db), PgStore(pg_url)
    try:
        assert _picture(target) == _picture(source)
        assert target.pending()[0].alert.key == "k3"  # the doubt came over too: retried once
        assert target.in_doubt() == source.in_doubt()
        # New ids go on past the migrated ones: a new alert is queued after them, in order.
        target.update_feed(poll(A, [], [_alert(6)]), RECENT)
        assert [e.alert.key for e in target.pending()] == ["k3", "k4", "k5", "k6"]
    finally:
        source.close()
        target.close()
    again = bot("state", "migrate", "--from", str(db), "--to", pg_url)
    assert again.returncode == 1
    assert "already holds a state" in again.stderr and "--force" in again.stderr
    forced = bot("state", "migrate", "--from", str(db), "--to", pg_url, "--force")
    assert forced.returncode == 0, forced.stderr
    target = PgStore(pg_url)
    try:
        assert [e.alert.key for e in target.pending()] == ["k3", "k4", "k5"]  # replaced whole
    finally:
        target.close()


def test_the_bot_on_a_migrated_state_sends_the_pending_alerts_once(
    tmp_path: Path, pg_url: str, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    _sqlite_state(tmp_path / "alerts.db")
    config = write_config(tmp_path, feeds, telegram)
    config.write_text(config.read_text().replace("state: state.db", f"state: {pg_url}"))
    feeds.set("/a.xml", rss([]))
    feeds.set("/b.xml", rss([]))
    moved = bot("state", "migrate", "--from", str(tmp_path / "alerts.db"), "--config", str(config))
    assert moved.returncode == 1 and "--to" in moved.stderr  # no target: neither --to nor env
    moved = bot("state", "migrate", "--from", str(tmp_path / "alerts.db"), DATABASE_URL=pg_url)
    assert moved.returncode == 0, moved.stderr
    for _ in range(2):
        run = bot("run", "--once", "--config", str(config))
        assert run.returncode == 0, run.stderr
    assert [m.text for m in telegram.messages] == [f"<b>Story {n}</b>" for n in (3, 4, 5)]
    store = PgStore(pg_url)
    try:
        assert store.counts() == {"pending": 0, "sent": 4, "failed": 1}
    finally:
        store.close()
    assert not (tmp_path / "state.db").exists()  # nothing went to a SQLite file


def test_the_service_runs_on_postgresql(
    tmp_path: Path, pg_url: str, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    feeds.set("/a.xml", rss([news_item(1, "Weather")]))
    feeds.set("/b.xml", rss([]))
    config = write_config(tmp_path, feeds, telegram, interval="1s", jitter="0s")
    config.write_text(config.read_text().replace("state: state.db", f"state: {pg_url}"))
    service = Running(config)
    try:
        service.wait_for("feed_polled", 30)
        feeds.set("/a.xml", rss([news_item(2, KIM), news_item(1, "Weather")]))
        (message,) = telegram.wait_for_chat("@alerts", 1, timeout=30)
        second = bot("run", "--once", "--config", str(config))  # a second worker (issue 18)
        assert second.returncode == 0, second.stderr  # shares the state; queues nothing twice
        status = bot("status", "--config", str(config))
        assert status.returncode == 0, status.stderr
    finally:
        assert service.stop() == 0
    assert KIM in message.text
    store = PgStore(pg_url)
    try:
        assert store.counts()["sent"] == 1
        assert store.sent_messages() == [("@alerts", message.message_id, KIM)]
        assert {s.url for s in store.feed_states()} == {feeds.url("/a.xml"), feeds.url("/b.xml")}
    finally:
        store.close()
    assert not (tmp_path / "state.db").exists()
