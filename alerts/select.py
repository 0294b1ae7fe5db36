"""Which of a trip's items may alert, and what was skipped and why; pure.

Policy (the README says the same):

- **New items.** An item may alert when its id was never seen in its feed, it was published
  less than ``items.max_age`` ago (an item without a date is young enough), and it is not a first
  sight: the first poll of a feed records its items without alerting (``backfill: N`` alerts the
  newest N), so adding a feed never floods the channel. New items go oldest first.
- **Nothing dropped without a word.** Every unseen item that does not alert is counted with its
  reason: ``first_sight`` (the first poll, beyond ``backfill``) or ``too_old`` (``max_age``).
  The trip's log line carries both counts. When none of a trip's unseen items may alert and
  some were too old (a misdated feed, a captured archive, a feed that updates weekly while
  ``max_age`` is shorter; on a first poll too, when its ``backfill`` items are all too old),
  the feed is flagged:
  :func:`note` is the text ``status`` shows, with the remedy, kept (as the
  feed's ``last_error`` while its ``error_streak`` is 0) until a trip's unseen items include
  one young enough; a trip without unseen items keeps it, since nothing contradicts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alerts.config.durations import format_duration
from alerts.models import FeedForUpdate, FeedItem, FeedState

# The start of every note, so that a note is told from an error (``status``).
NOTE_PREFIX = "skipping: "


@dataclass(frozen=True, slots=True)
class Skipped:
    """How many unseen items of a trip may not alert, by reason."""

    first_sight: int = 0  # the feed's first poll: recorded, not alerted (beyond ``backfill``)
    too_old: int = 0  # published more than ``items.max_age`` ago


NONE_SKIPPED = Skipped()


@dataclass(frozen=True, slots=True)
class Selection:
    """The items that may alert (oldest first), and the unseen ones that may not."""

    fresh: tuple[FeedItem, ...]
    skipped: Skipped = NONE_SKIPPED

    @property
    def unseen(self) -> int:
        """How many distinct items of the body were never seen before."""
        return len(self.fresh) + self.skipped.first_sight + self.skipped.too_old


def select(
    items: Sequence[FeedItem], read: FeedForUpdate, backfill: int, max_age: timedelta, now: datetime
) -> Selection:
    """The items that may alert, and how many unseen ones were skipped for which reason."""
    unique = {i.item_id: i for i in reversed(items) if i.item_id not in read.seen}
    fresh = list(unique.values())  # feeds list newest first: reversed is oldest first
    fresh.sort(key=lambda i: i.published or datetime.min.replace(tzinfo=UTC))
    first_sight = 0
    if not read.state.polled_before:
        kept = fresh[len(fresh) - backfill :] if backfill else []
        first_sight, fresh = len(fresh) - len(kept), kept
    young = fresh
    if max_age > timedelta(0):
        young = [i for i in fresh if i.published is None or now - i.published <= max_age]
    return Selection(tuple(young), Skipped(first_sight, len(fresh) - len(young)))


def select_new(
    items: Sequence[FeedItem], read: FeedForUpdate, backfill: int, max_age: timedelta, now: datetime
) -> list[FeedItem]:
    """Items that may alert, oldest first: unseen, young enough, and not a first sight."""
    return list(select(items, read, backfill, max_age, now).fresh)


def note(selection: Selection, before: FeedState, max_age: timedelta) -> str | None:
    """What ``status`` should say of the feed after a trip that read its items (see the policy)."""
    if selection.skipped.too_old and not selection.fresh:
        count = selection.skipped.too_old
        return (
            f"{NOTE_PREFIX}its {count} new item(s) were all older than items.max_age "
            f"({format_duration(max_age)}); raise items.max_age to alert them"
        )
    return kept_note(before) if not selection.unseen else None


def kept_note(before: FeedState) -> str | None:
    """The note a trip that read no unseen item keeps: the one stored, if the feed works."""
    if before.error_streak or not (before.last_error or "").startswith(NOTE_PREFIX):
        return None
    return before.last_error


def is_note(state: FeedState) -> bool:
    """Whether a working feed's ``last_error`` is a note of :func:`note`, not an error."""
    return not state.error_streak and (state.last_error or "").startswith(NOTE_PREFIX)
