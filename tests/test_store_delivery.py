"""The store's delivery side, on every backend, through the Protocol only: the queue, one send's
states, the send log that paces a chat, edits that list a story's other sources, chat moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.models import ClusterJoin, FeedUpdateIntent
from alerts.store import FAILED, PENDING, SENT, StoreType
from tests.stores import NOW, alert, poll

MINUTE = timedelta(minutes=1)


def joined(alert_key: str, source: str, max_edits: int = 3) -> FeedUpdateIntent:
    """A poll of another feed whose item joined the story of ``alert_key``."""
    return poll("v", [source], [], (ClusterJoin(alert_key, source, "v", source),), max_edits)


def test_delivery_states(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1), alert(2), alert(3)]), NOW)
    first, second, third = store.pending()
    store.mark_sent(first.id, 41, NOW)
    store.mark_attempt(second.id, "timeout")
    store.mark_failed(third.id, "Forbidden: bot was kicked")
    assert store.counts() == {PENDING: 1, SENT: 1, FAILED: 1}
    (left,) = store.pending()
    assert (left.attempts, left.last_error, left.status) == (1, "timeout", PENDING)
    assert store.sent_messages() == [("@c", 41, "T1")]


def test_pending_by_chat_in_order_and_within_a_limit(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1, "@b"), alert(2, "@a"), alert(3, "@b")]), NOW)
    assert store.pending_chats() == ["@b", "@a"]
    assert [e.alert.key for e in store.pending("@b")] == ["k1", "k3"]
    assert [e.alert.key for e in store.pending(limit=2)] == ["k1", "k2"]
    entry = store.pending("@a")[0]
    assert (entry.alert.title, entry.alert.link, entry.alert.text) == ("T2", "L2", "<b>T2</b>")
    assert (entry.attempts, entry.message_id, entry.sources) == (0, None, ())


def test_a_send_begun_and_never_finished_is_in_doubt(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1), alert(2)]), NOW)
    first, second = store.pending()
    assert store.in_doubt() == []
    store.mark_sending(first.id, NOW)
    store.mark_sending(second.id, NOW)
    assert [e.alert.key for e in store.in_doubt()] == ["k1", "k2"]
    assert len(store.pending()) == 2  # still pending: whether it went out is not known
    store.mark_sent(first.id, 5, NOW)
    store.mark_attempt(second.id, "timeout")
    assert store.in_doubt() == []


def test_accepted_messages_are_logged_per_chat_for_pacing(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1), alert(2), alert(3, "@d")]), NOW)
    first, second, third = store.pending()
    store.mark_sent(first.id, 5, NOW - 2 * MINUTE)
    store.mark_sent(second.id, None, NOW)  # no message id: nothing went out
    store.mark_sent(third.id, 6, NOW)
    assert store.recent_sends("@c", NOW - 3 * MINUTE) == [(NOW - 2 * MINUTE).timestamp()]
    assert store.recent_sends("@c", NOW - MINUTE) == []
    assert store.recent_sends("@d", NOW - MINUTE) == [NOW.timestamp()]


def test_a_retelling_of_a_sent_story_queues_one_edit(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1)]), NOW)
    (entry,) = store.pending()
    store.mark_sent(entry.id, 5, NOW)
    assert store.edit_chats() == []
    store.update_feed(joined("k1", "Other"), NOW)
    store.update_feed(joined("k1", "Other"), NOW)  # the same source again: nothing new
    assert store.sources("k1") == ("Other",)
    assert store.edit_chats() == ["@c"]
    (edit,) = store.pending_edits("@c")
    assert (edit.id, edit.status, edit.message_id, edit.sources) == (entry.id, SENT, 5, ("Other",))
    before = datetime.now(UTC) - MINUTE
    store.mark_edited(edit.id)
    assert store.edit_chats() == [] and store.pending_edits("@c") == []
    assert len(store.recent_sends("@c", before)) == 1  # an edit counts against the pace


def test_edits_stop_at_the_cap_and_an_edit_given_up_is_not_counted(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1)]), NOW)
    (entry,) = store.pending()
    store.mark_sent(entry.id, 5, NOW)
    for source, counted in (("A", False), ("B", True), ("C", True)):
        store.update_feed(joined("k1", source, max_edits=2), NOW)
        assert store.edit_chats() == ["@c"], source
        store.mark_edited(entry.id, counted=counted)  # A given up: no edit made, nothing sent
    assert len(store.recent_sends("@c", datetime.now(UTC) - MINUTE)) == 2
    store.update_feed(joined("k1", "D", max_edits=2), NOW)  # two edits made: the cap
    assert store.edit_chats() == []
    assert store.sources("k1") == ("A", "B", "C", "D")  # still kept, in the order they came


def test_a_pending_alert_carries_the_sources_that_joined_it(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1)]), NOW)
    store.update_feed(joined("k1", "Wire"), NOW)
    assert [e.sources for e in store.pending()] == [("Wire",)]
    assert store.edit_chats() == []  # not sent yet: the first send lists them
    assert store.sources("k2") == ()


def test_migrated_chat_takes_its_alerts_and_window(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1, "-1"), alert(2, "-1")]), NOW)
    sent, _ = store.pending()
    store.mark_sent(sent.id, 9, NOW)
    store.move_chat("-1", "-1001")
    assert [e.alert.chat for e in store.pending()] == ["-1001"]
    assert store.sent_messages() == [("-1", 9, "T1")]  # a sent message stays where it is
    assert [(c, k.title) for c, k, *_ in store.recent_stories(NOW - timedelta(1))] == [
        ("-1001", "t1"),
        ("-1001", "t2"),
    ]


def test_a_send_in_doubt_counts_for_the_pace_and_a_failure_clears_it(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1)]), NOW)
    (entry,) = store.pending()
    store.mark_sending(entry.id, NOW)
    assert store.mark_doubt(entry.id, "timed out", NOW) == 1
    assert store.in_doubt() == []  # answered, though unreadably: no send left in flight
    assert store.mark_doubt(entry.id, "reset", NOW + MINUTE) == 2
    assert store.recent_sends("@c", NOW - MINUTE) == [NOW.timestamp(), (NOW + MINUTE).timestamp()]
    store.mark_failed(entry.id, "given up")
    store.redrive()
    assert store.mark_doubt(entry.id, "timed out", NOW) == 1  # a re-drive starts afresh


def test_sends_a_dead_bot_left_unanswered_count_for_the_pace_at_once(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1), alert(2), alert(3, "@d")]), NOW)
    first, second, third = store.pending()
    store.mark_sending(first.id, NOW - 2 * MINUTE)  # the bot died during this one
    store.mark_sending(third.id, NOW - 2 * MINUTE)
    store.mark_sending(second.id, NOW - 2 * MINUTE)
    store.mark_attempt(second.id, "HTTP 500")  # answered: not taken
    assert store.log_unanswered(NOW) == 2
    assert store.recent_sends("@c", NOW - MINUTE) == [NOW.timestamp()]
    assert store.recent_sends("@d", NOW - MINUTE) == [NOW.timestamp()]
    assert {e.id for e in store.in_doubt()} == {first.id, third.id}  # still in doubt


def test_send_times_from_the_future_are_pulled_back(store: StoreType) -> None:
    store.update_feed(poll("u", [], [alert(1), alert(2)]), NOW)
    first, second = store.pending()
    store.mark_sent(first.id, 5, NOW + timedelta(hours=2))  # a clock that ran ahead
    store.mark_sent(second.id, 6, NOW - MINUTE)
    assert store.pull_back_sends(NOW) == 1
    assert store.recent_sends("@c", NOW - 2 * MINUTE) == [
        (NOW - MINUTE).timestamp(),
        NOW.timestamp(),
    ]
    assert store.pull_back_sends(NOW) == 0
