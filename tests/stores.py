"""The store backends the store tests run against, and what those tests share.

Each backend is a context manager that makes an empty database and yields a ``Backend`` that
opens stores on it (the same database each time, so reopening can be tested): SQLite (a file
under the test's directory) and PostgreSQL (a new schema on the session's test server,
tests/pgserver.py, asked for only when a PostgreSQL test runs, dropped after it). Every test
that takes the ``store`` or ``backend`` fixture runs on both.

``CALLS`` calls every method of the Protocol once, on a store filled by ``fill_store``: tests
that hold for every method (a closed store, a locked file) go through it, and a method added
to the Protocol without an entry here fails ``test_calls_cover_the_protocol``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from alerts.models import (
    Alert,
    ClusterJoin,
    FeedUpdateIntent,
    Hold,
    Mute,
    MuteButton,
    Notice,
    StoryKey,
    StoryVectors,
)
from alerts.store import Store, StoreType
from alerts.store.pg_store import PgStore
from tests.pgserver import Server

NOW = datetime(2026, 6, 13, 12, 0, tzinfo=UTC)


class Backend(Protocol):
    """Opens stores on one test database."""

    def open(self) -> StoreType:
        """A store on this backend's database; the caller closes it."""


@dataclass(frozen=True)
class SQLiteBackend:
    """Stores on one SQLite file."""

    path: Path

    def open(self) -> StoreType:
        """A store on the file."""
        return Store(self.path)


@dataclass(frozen=True)
class PgBackend:
    """Stores on one schema of the test server."""

    url: str

    def open(self) -> StoreType:
        """A store on the schema."""
        return PgStore(self.url)


@contextmanager
def sqlite(tmp_path: Path, server: Callable[[], Server]) -> Iterator[Backend]:
    """A new SQLite file under the test's own directory."""
    yield SQLiteBackend(tmp_path / "state.db")


@contextmanager
def postgresql(tmp_path: Path, server: Callable[[], Server]) -> Iterator[Backend]:
    """A new schema on the session's PostgreSQL server (the test is skipped without one)."""
    running = server()
    url = running.fresh_url()
    try:
        yield PgBackend(url)
    finally:
        running.drop(url)


BACKENDS: dict[str, Callable[[Path, Callable[[], Server]], AbstractContextManager[Backend]]] = {
    "sqlite": sqlite,
    "postgresql": postgresql,
}


def alert(n: int, chat: str = "@c", source: str = "") -> tuple[Alert, StoryKey]:
    """The n-th alert for ``chat``, with its story key."""
    return (
        Alert(key=f"k{n}", chat=chat, rule="r", title=f"T{n}", link=f"L{n}", text=f"<b>T{n}</b>",
              source=source),
        StoryKey(f"t{n}", f"l{n}"),
    )  # fmt: skip


def poll(
    url: str,
    ids: list[str],
    alerts: list[tuple[Alert, StoryKey]],
    joins: tuple[ClusterJoin, ...] = (),
    max_edits: int = 3,
) -> FeedUpdateIntent:
    """A trip of ``url`` with a new body that saw ``ids`` and alerts ``alerts``."""
    return FeedUpdateIntent(url, "ok", '"e"', "lm", "hash", tuple(ids), tuple(alerts), joins,
                            max_edits)  # fmt: skip


def roll_one(store: StoreType) -> bool:
    """A match held for the chat's digest (alert 91), then its digest made (alert 90)."""
    held = replace(poll("h", ["h1"], [alert(91)]), holds=(("k91", Hold(digest="chat")),))
    store.update_feed(held, NOW)
    return store.roll_digest(store.held_alerts("@c", "chat"), [alert(90)[0]], NOW)


def unchanged(
    url: str, etag: str | None = None, last_modified: str | None = None
) -> FeedUpdateIntent:
    """A trip of ``url`` answered 304 (with new validators, if given)."""
    return FeedUpdateIntent(url, "not_modified", etag=etag, last_modified=last_modified)


def failure(
    url: str,
    error: str = "HTTP 500",
    streak: int = 1,
    next_poll: datetime | None = None,
    **health: object,
) -> FeedUpdateIntent:
    """A failed trip of ``url`` (``health`` sets failing_since, reported_broken, notices)."""
    return FeedUpdateIntent(url, "failed", error=error, error_streak=streak,
                            next_poll=next_poll, **health)  # type: ignore[arg-type]  # fmt: skip


def seen(store: StoreType, url: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` the store has seen in ``url``, as a trip reads them."""
    return set(ids) & store.feed_for_update(url).seen


def notice(key: str, text: str = "text") -> Notice:
    """An operator notice to @admin."""
    return Notice(key, "@admin", "Broken", text)


@dataclass(frozen=True)
class Filled:
    """The ids of two outbox entries of a store after ``fill_store``."""

    sent: int  # sent, with an edit waiting
    pending: int


def fill_store(store: StoreType) -> Filled:
    """Something of each kind: a failing feed due to be reported, an item past retention,
    pending, sent and failed alerts, a sent alert with an edit waiting, a kept value, a mute."""
    store.update_feed(failure("bad", failing_since=NOW - timedelta(days=2)), NOW)
    store.update_feed(poll("old", ["o"], []), NOW - timedelta(days=40))
    store.update_feed(poll("u", ["a", "b"], [alert(1), alert(2), alert(3)]), NOW)
    first, second, third = store.pending()
    store.mark_sent(first.id, 7, NOW)
    store.mark_failed(second.id, "Forbidden")
    store.update_feed(poll("v", ["x"], [], (ClusterJoin("k1", "Other", "v", "x"),)), NOW)
    store.set_meta("paused", "yes")
    store.mute(Mute("rule", "muted", NOW + timedelta(hours=1)), NOW)
    return Filled(sent=first.id, pending=third.id)


# Every Protocol method but close, called once with arguments that make each write method
# write something on a store after ``fill_store``.
CALLS: dict[str, Callable[[StoreType, Filled], object]] = {
    "feed_state": lambda s, f: s.feed_state("u"),
    "feed_states": lambda s, f: s.feed_states(),
    "feed_for_update": lambda s, f: s.feed_for_update("u"),
    "update_feed": lambda s, f: s.update_feed(
        replace(poll("w", ["n"], [alert(9)]), vectors=(StoryVectors("k1", b"\x01"),)), NOW
    ),
    "queue_notice": lambda s, f: s.queue_notice(notice("n1"), NOW),
    "recent_stories": lambda s, f: list(s.recent_stories(NOW - timedelta(days=1))),
    "save_vectors": lambda s, f: s.save_vectors([StoryVectors("k2", b"\x02")]),
    "pending_chats": lambda s, f: s.pending_chats(),
    "pending": lambda s, f: s.pending(),
    "in_doubt": lambda s, f: s.in_doubt(),
    "mark_sending": lambda s, f: s.mark_sending(f.pending, NOW),
    "mark_sent": lambda s, f: s.mark_sent(f.pending, 8, NOW),
    "mark_attempt": lambda s, f: s.mark_attempt(f.pending, "timeout"),
    "mark_doubt": lambda s, f: s.mark_doubt(f.pending, "timed out", NOW),
    "mark_failed": lambda s, f: s.mark_failed(f.pending, "Forbidden"),
    "recent_sends": lambda s, f: s.recent_sends("@c", NOW - timedelta(minutes=1)),
    "log_unanswered": lambda s, f: (s.mark_sending(f.pending, NOW), s.log_unanswered(NOW)),
    "pull_back_sends": lambda s, f: s.pull_back_sends(NOW - timedelta(days=1)),
    "sources": lambda s, f: s.sources("k1"),
    "edit_chats": lambda s, f: s.edit_chats(),
    "pending_edits": lambda s, f: s.pending_edits("@c"),
    "mark_edited": lambda s, f: s.mark_edited(f.sent),
    "move_chat": lambda s, f: s.move_chat("@c", "@d"),
    "counts": lambda s, f: s.counts(),
    "failed": lambda s, f: s.failed(),
    "outbox_depth": lambda s, f: s.outbox_depth(),
    "sent_messages": lambda s, f: s.sent_messages(),
    "redrive": lambda s, f: s.redrive(),
    "get_meta": lambda s, f: s.get_meta("paused"),
    "set_meta": lambda s, f: s.set_meta("paused", None),
    "prune": lambda s, f: s.prune(NOW, timedelta(days=30), timedelta(hours=48)),
    "mutes": lambda s, f: s.mutes(),
    "mute": lambda s, f: s.mute(Mute("rule", "r", NOW + timedelta(hours=1)), NOW),
    "unmute": lambda s, f: s.unmute("rule", "muted"),
    "save_buttons": lambda s, f: s.save_buttons([MuteButton("m1", "mute", "rule", "r", "k1")], NOW),
    "button": lambda s, f: s.button("m1"),
    "alert_of": lambda s, f: s.alert_of("k1"),
    "held_digests": lambda s, f: s.held_digests(),
    "held_alerts": lambda s, f: s.held_alerts("@c", "chat"),
    "roll_digest": lambda s, f: roll_one(s),
}
# The life cycle: what a closed store does with these is not an error to test.
LIFE_CYCLE = {"check_file", "close"}
WRITES = {
    "update_feed", "queue_notice", "save_vectors",
    "mark_sending", "mark_sent", "mark_attempt", "mark_doubt", "mark_failed", "mark_edited",
    "log_unanswered", "pull_back_sends", "move_chat",
    "redrive", "set_meta", "prune", "mute", "unmute", "save_buttons", "roll_digest",
}  # fmt: skip


def protocol_methods() -> set[str]:
    """The public methods a store backend must offer."""
    return {n for n in dir(StoreType) if not n.startswith("_") and callable(getattr(StoreType, n))}
