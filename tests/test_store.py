"""The store's poll side and operators' side, on every backend, through the Protocol only.

The delivery side is in test_store_delivery.py; what is about the SQLite file itself (its mode,
WAL, the lock file, migrations of an old file, backup) is in test_store_sqlite.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from alerts.errors import StoreError
from alerts.models import Alert, FeedState, StoryKey, StoryVectors, WindowEntry
from alerts.store import FAILED, NOTICE_RULE, PENDING, SENT, StoreType
from tests.stores import (
    CALLS,
    LIFE_CYCLE,
    NOW,
    Backend,
    alert,
    failure,
    fill_store,
    notice,
    poll,
    protocol_methods,
    seen,
    unchanged,
)

HOUR, MINUTE = timedelta(hours=1), timedelta(minutes=1)

# ------------------------------------------------------------ what a trip reads


def test_a_feed_never_polled_has_a_fresh_state(store: StoreType) -> None:
    assert store.feed_state("u") == FeedState(url="u")
    assert store.feed_states() == []


def test_feed_states_lists_every_known_feed_by_url(store: StoreType) -> None:
    store.update_feed(unchanged("b"), NOW)
    store.update_feed(failure("a"), NOW)
    assert [s.url for s in store.feed_states()] == ["a", "b"]
    assert store.feed_states() == [store.feed_state("a"), store.feed_state("b")]


def test_a_trip_reads_the_state_and_every_seen_id_at_once(store: StoreType) -> None:
    store.update_feed(poll("u", [f"i{n}" for n in range(1200)], []), NOW)
    store.update_feed(poll("other", ["x"], []), NOW)
    read = store.feed_for_update("u")
    assert read.seen == {f"i{n}" for n in range(1200)}
    assert read.state == store.feed_state("u")
    assert store.feed_for_update("new").seen == frozenset()


# ------------------------------------------------------------ what a trip writes


def test_a_new_body_writes_items_alerts_and_stories_together(store: StoreType) -> None:
    queued = store.update_feed(poll("u", ["a", "b"], [alert(1), alert(2)]), NOW)
    assert queued == {"k1", "k2"}
    assert seen(store, "u", ["a", "b", "c"]) == {"a", "b"}
    assert [e.alert.key for e in store.pending("@c")] == ["k1", "k2"]
    assert [k for _, k, *_ in store.recent_stories(NOW - HOUR)] == [
        StoryKey("t1", "l1"),
        StoryKey("t2", "l2"),
    ]
    state = store.feed_state("u")
    assert (state.etag, state.last_modified, state.content_hash) == ('"e"', "lm", "hash")
    assert state.polled_before and state.error_streak == 0
    assert state.last_success == NOW


def test_same_alert_key_is_queued_once(store: StoreType) -> None:
    store.update_feed(poll("u", ["a"], [alert(1)]), NOW)
    assert store.update_feed(poll("u", ["a"], [alert(1), alert(2)]), NOW) == {"k2"}
    assert len(store.pending()) == 2
    assert len(list(store.recent_stories(NOW - HOUR))) == 2  # nor its story twice


def test_a_failed_write_leaves_nothing_behind(store: StoreType) -> None:
    bad = Alert(key="k", chat="@c", rule="r", title=None, link="", text="x")  # type: ignore[arg-type]
    trip = replace(poll("u", ["a"], [alert(1), (bad, StoryKey("t", "l"))]), notices=(notice("n"),))
    with pytest.raises(StoreError):
        store.update_feed(trip, NOW)
    assert seen(store, "u", ["a"]) == set()
    assert store.pending() == []
    assert not store.feed_state("u").polled_before


def test_a_failure_is_counted_with_its_health_and_a_success_resets_it(store: StoreType) -> None:
    store.update_feed(failure("u", streak=1, next_poll=NOW + 5 * MINUTE), NOW)
    broken = failure("u", streak=2, next_poll=NOW + 10 * MINUTE, failing_since=NOW - HOUR,
                     reported_broken=True, notices=(notice("broken:u"),))  # fmt: skip
    assert store.update_feed(broken, NOW) == frozenset()
    state = store.feed_state("u")
    assert (state.error_streak, state.last_error) == (2, "HTTP 500")
    assert state.next_poll == NOW + 10 * MINUTE
    assert (state.failing_since, state.reported_broken) == (NOW - HOUR, True)
    assert [e.alert.title for e in store.pending()] == ["Broken"]
    store.update_feed(unchanged("u"), NOW)
    state = store.feed_state("u")
    assert (state.error_streak, state.next_poll, state.last_success) == (0, None, NOW)
    assert (state.last_error, state.failing_since, state.reported_broken) == (None, None, False)


def test_a_first_failure_starts_the_failing_clock_now(store: StoreType) -> None:
    store.update_feed(failure("u"), NOW)
    assert store.feed_state("u").failing_since == NOW


def test_a_gone_feed_is_remembered_until_it_answers(store: StoreType) -> None:
    store.update_feed(replace(failure("u", "HTTP 410"), status="gone"), NOW)
    assert store.feed_state("u").gone
    store.update_feed(failure("u"), NOW)
    assert not store.feed_state("u").gone


def test_unchanged_keeps_the_validators_it_is_not_given(store: StoreType) -> None:
    store.update_feed(unchanged("new"), NOW)
    assert store.feed_state("new").polled_before
    store.update_feed(poll("u", [], []), NOW)
    store.update_feed(replace(unchanged("u"), status="unchanged"), NOW + HOUR)
    state = store.feed_state("u")
    assert (state.etag, state.last_modified, state.last_success) == ('"e"', "lm", NOW + HOUR)
    store.update_feed(unchanged("u", etag='"f"', last_modified="lm2"), NOW)
    state = store.feed_state("u")
    assert (state.etag, state.last_modified, state.content_hash) == ('"f"', "lm2", "hash")


# ------------------------------------------------------------ notices


def test_a_notice_is_queued_once_and_is_not_an_alert(store: StoreType) -> None:
    assert store.queue_notice(notice("n1", "<b>u</b> fails"), NOW)
    assert not store.queue_notice(notice("n1", "again"), NOW)
    store.update_feed(replace(failure("u"), notices=(notice("n1"), notice("n2"))), NOW)
    first, second = store.pending()
    assert (first.alert.rule, first.alert.source, first.alert.link) == (NOTICE_RULE, "bot", "")
    assert (first.alert.chat, first.alert.text, first.status) == (
        "@admin",
        "<b>u</b> fails",
        PENDING,
    )
    assert second.alert.key == "n2"
    assert store.counts() == {PENDING: 0, SENT: 0, FAILED: 0}
    assert list(store.recent_stories(NOW - HOUR)) == []


# ------------------------------------------------------------ the window's stories


def test_recent_stories_since_a_time_with_their_keys_and_sources(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1)]), NOW - 3 * HOUR)
    story = (alert(2, "@d", source="Wire")[0], StoryKey("t2", "l2", "u", "g2"))
    store.update_feed(poll("u", [], [story]), NOW)
    assert list(store.recent_stories(NOW - HOUR)) == [
        ("@d", StoryKey("t2", "l2", "u", "g2"), "k2", NOW.timestamp(), "Wire", None, None)
    ]
    assert len(list(store.recent_stories(NOW - 4 * HOUR))) == 2


def test_a_story_keeps_its_raw_title_lead_and_vectors(store: StoreType) -> None:
    key = StoryKey("gunman kills 8 perm", "l1", "u", "g1", "Gunman kills 8 in Perm", "Police said.")
    first = alert(1)[0]
    story = WindowEntry(first.chat, key, first.key, NOW.timestamp(), "", b"\x01\x02", None)
    store.update_feed(replace(poll("u", [], [(first, key)]), window=(story,)), NOW)
    assert list(store.recent_stories(NOW - HOUR)) == [
        ("@c", key, "k1", NOW.timestamp(), "", b"\x01\x02", None)
    ]


def test_a_trip_adds_the_vectors_it_computed_for_window_stories(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1), alert(2)]), NOW - MINUTE)
    vectors = (StoryVectors("k1", b"\x05", b"\x06"), StoryVectors("k2", None, b"\x07"))
    store.update_feed(replace(poll("v", ["x"], []), vectors=vectors), NOW)
    later = (StoryVectors("k1", b"\x09", b"\x09"),)  # a vector once stored is kept
    store.update_feed(replace(poll("v", ["y"], []), vectors=later), NOW)
    stored = {k: (tv, lv) for _, _, k, _, _, tv, lv in store.recent_stories(NOW - HOUR)}
    assert stored == {"k1": (b"\x05", b"\x06"), "k2": (None, b"\x07")}


def test_vectors_saved_after_their_trip_are_kept_and_loaded(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1), alert(2)]), NOW - MINUTE)
    store.save_vectors([StoryVectors("k1", b"\x05"), StoryVectors("gone", b"\x08")])
    store.save_vectors([StoryVectors("k1", b"\x09", b"\x09"), StoryVectors("k2", b"\x07")])
    stored = {k: (tv, lv) for _, _, k, _, _, tv, lv in store.recent_stories(NOW - HOUR)}
    assert stored == {"k1": (b"\x05", b"\x09"), "k2": (b"\x07", None)}  # none overwritten


# ------------------------------------------------------------ operators


def test_failed_alerts_newest_first_and_redriven(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1), alert(2), alert(3)]), NOW)
    first, second, _ = store.pending()
    store.mark_failed(first.id, "Forbidden: bot was kicked")
    store.mark_failed(second.id, "Bad Request: chat not found")
    assert [(e.alert.key, e.status, e.last_error) for e in store.failed()] == [
        ("k2", FAILED, "Bad Request: chat not found"),
        ("k1", FAILED, "Forbidden: bot was kicked"),
    ]
    assert [e.alert.key for e in store.failed(limit=1)] == ["k2"]
    assert store.redrive() == 2
    assert store.failed() == []
    assert [(e.alert.key, e.last_error) for e in store.pending()] == [
        ("k1", None), ("k2", None), ("k3", None),
    ]  # fmt: skip
    assert store.redrive() == 0


def test_kept_values_are_set_replaced_and_cleared(store: StoreType) -> None:
    assert store.get_meta("paused") is None
    store.set_meta("paused", "2026-06-13")
    store.set_meta("paused", "2026-06-14")
    assert store.get_meta("paused") == "2026-06-14"
    store.set_meta("paused", None)
    store.set_meta("never-set", None)
    assert store.get_meta("paused") is None


def test_prune_forgets_old_rows_but_keeps_pending(store: StoreType) -> None:
    old = NOW - timedelta(days=40)
    store.update_feed(poll("u", ["old"], [alert(1), alert(2)]), old)
    sent, _ = store.pending()
    store.mark_sent(sent.id, 1, old)
    store.update_feed(poll("u", ["new"], []), NOW)
    removed = store.prune(NOW, retention=timedelta(days=30), window=timedelta(hours=48))
    assert removed == 4  # an item, a sent alert, two stories
    assert seen(store, "u", ["old", "new"]) == {"new"}
    assert store.counts() == {PENDING: 1, SENT: 0, FAILED: 0}
    assert list(store.recent_stories(old - timedelta(1))) == []
    assert store.recent_sends("@c", old - HOUR) == []  # the send log keeps an hour


def test_items_still_in_the_feed_are_not_pruned(store: StoreType) -> None:
    store.update_feed(poll("u", ["a"], []), NOW - timedelta(days=40))
    store.update_feed(poll("u", ["a"], []), NOW)  # still listed: seen again
    store.prune(NOW, retention=timedelta(days=30), window=timedelta(hours=48))
    assert seen(store, "u", ["a"]) == {"a"}


# ------------------------------------------------------------ life cycle and contract


def test_state_survives_reopening(backend: Backend) -> None:
    first = backend.open()
    first.update_feed(poll("u", ["a"], [alert(1)]), NOW)
    first.close()
    first.close()  # safe twice
    again = backend.open()
    try:
        assert seen(again, "u", ["a"]) == {"a"}
        assert len(again.pending()) == 1
    finally:
        again.close()


def test_calls_cover_the_protocol() -> None:
    assert set(CALLS) == protocol_methods() - LIFE_CYCLE


@pytest.mark.parametrize("method", sorted(CALLS))
def test_every_method_of_a_closed_store_fails_as_a_store_error(
    backend: Backend, method: str
) -> None:
    store = backend.open()
    filled = fill_store(store)
    store.close()
    with pytest.raises(StoreError):
        CALLS[method](store, filled)
