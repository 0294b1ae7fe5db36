"""alerts/select.py: which unseen items may alert, and what is skipped, counted, and noted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.models import FeedForUpdate, FeedItem, FeedState
from alerts.select import Selection, Skipped, is_note, kept_note, note, select
from tests.helpers import NOW

WEEK = timedelta(days=7)


def at(n: int, days: float | None) -> FeedItem:
    return FeedItem("u", f"g{n}", f"t{n}", "", "", None if days is None else NOW - timedelta(days))


@pytest.mark.parametrize(
    ("ages", "polled", "backfill", "fresh", "skipped"),
    [
        ([1, 2, 30], True, 0, ["g2", "g1"], Skipped(0, 1)),  # oldest first
        ([30, 40], True, 0, [], Skipped(0, 2)),
        ([1, 2, 3], False, 0, [], Skipped(3, 0)),
        ([30, 40, 50], False, 2, [], Skipped(1, 2)),  # the newest 2 of a first sight: too old
        ([1, 2, 40], False, 2, ["g2", "g1"], Skipped(1, 0)),
        ([None, 30], True, 0, ["g0"], Skipped(0, 1)),  # no date: young enough
    ],
)
def test_every_unseen_item_that_may_not_alert_is_counted(
    ages: list[float | None], polled: bool, backfill: int, fresh: list[str], skipped: Skipped
) -> None:
    items = [at(n if days is not None else 0, days) for n, days in enumerate(ages, start=1)]
    read = FeedForUpdate(FeedState("u", polled_before=polled), frozenset({"g9"}))
    chosen = select([*items, at(9, 1)], read, backfill, WEEK, NOW)
    assert [i.item_id for i in chosen.fresh] == fresh
    assert chosen.skipped == skipped


def test_a_note_when_every_unseen_item_is_too_old_kept_until_one_is_young() -> None:
    old = Selection((), Skipped(0, 3))
    said = note(old, FeedState("u"), WEEK)
    assert said is not None and "its 3 new item(s) were all older than items.max_age (7d)" in said
    noted = FeedState("u", last_error=said)
    assert is_note(noted) and note(Selection(()), noted, WEEK) == said  # nothing new: kept
    assert kept_note(noted) == said
    assert note(Selection((at(1, 1),), Skipped(0, 3)), noted, WEEK) is None  # one young: gone
    failing = FeedState("u", error_streak=1, last_error=said)
    assert not is_note(failing) and kept_note(failing) is None
    assert kept_note(FeedState("u", last_error="HTTP 500")) is None
