"""The backtest's last pass: the sources that retold an alerted story without matching a rule
there (what a sent message lists as "Also:"), found in child processes once the replay is done.

Why a pass of its own: an item no rule matched can only join a story already alerted to a chat
(``stories.Stories``), by its title alone (only matched stories are embedded), and its verdict
changes nothing after it: not the window, not an alert. Yet it was most of a backtest's time,
since every item is compared in every chat that has stories (at 1,000 feeds and 3 chats, some
600,000 window lookups a week, 45% of the whole replay). So the replay (``alerts.backtest``)
leaves these items out (and, when no model compares meaning, the matched items' look at the
chats they did not alert to, by title alone too) and logs, trip by trip, what its window did:
the expiry, the stories the trip alerted, in order among the items it left out, and the stories
the window took after it.
Each of ``WORKERS`` children replays that whole log (cheap: adds and expiries) and judges its
share of the items left out (every ``WORKERS``-th) against the window as it stood then, with the
live trip's own functions (``stories.join_chats``, ``stories.retold``). The joins come back
tagged with their item's place in the replay, so a story's sources are listed in the order a
live run adds them. Fewer than ``IN_PROCESS`` items left out are judged in this process. Each
child tells the parent, every ``REPORT_EVERY`` items it judged, through a queue, so that the
command's bar moves during the pass (some 40% of a backtest's time).
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from alerts.dedup.window import Entry, StoryWindow
from alerts.models import StoryKey
from alerts.stories import join_chats, retold

WORKERS, IN_PROCESS, REPORT_EVERY = 2, 4000, 500

# An item left out: its place in the replay, its key, the chats it matched in (none, mostly)
LeftOut = tuple[int, StoryKey, frozenset[str]]
Alerted = tuple[str, Entry]  # a story a trip alerted (chat, entry)
Join = tuple[int, str, str]  # the joining item's place, the story's alert key, the source


@dataclass(slots=True)
class TripLog:
    """What one trip of the replay did to the window, and the items it left out."""

    source: str
    expire_before: float | None = None  # first, the window forgot the stories alerted before
    steps: list[LeftOut | Alerted] = field(default_factory=list)  # in the trip's item order
    committed: list[Alerted] = field(default_factory=list)  # the window took them after it


def joins(
    log: list[TripLog], threshold: float, left_out: int, step: Callable[[int], None] | None = None
) -> list[Join]:
    """Every join of an item left out, in the order of the items; ``step`` counts the items
    judged."""
    step = step or _quiet
    if left_out < IN_PROCESS:
        return _share(log, threshold, 0, 1, step, REPORT_EVERY)
    context = multiprocessing.get_context("spawn")  # as ``backtest_judge``: no fork with threads
    done: Any = context.Queue()
    with ProcessPoolExecutor(WORKERS, mp_context=context, initializer=_reporting,
                             initargs=(done,)) as pool:  # fmt: skip
        futures = [pool.submit(_share, _only(log, k), threshold, k, WORKERS, _report,
                               REPORT_EVERY) for k in range(WORKERS)]  # fmt: skip
        _follow(futures, done, step)
        found = [j for future in futures for j in future.result()]
    return sorted(found, key=lambda j: j[0])


def _follow(futures: list[Future[list[Join]]], done: Any, step: Callable[[int], None]) -> None:
    """Count the children's reports until every share is judged (or one failed)."""
    while not all(f.done() for f in futures):
        try:
            step(done.get(timeout=0.5))  # a report, or a look whether the children are done
        except queue.Empty:
            continue
    while True:
        try:
            step(done.get_nowait())
        except queue.Empty:
            return


def _quiet(steps: int) -> None:
    """No progress shown."""


_REPORTS: list[Any] = []  # the child's queue to the parent, set by ``_reporting``


def _reporting(done: Any) -> None:
    _REPORTS.append(done)


def _report(steps: int) -> None:
    if _REPORTS:
        _REPORTS[0].put(steps)


def _only(log: list[TripLog], k: int) -> list[TripLog]:
    """The log with the items left out that the ``k``-th child judges, and no others."""
    return [TripLog(t.source, t.expire_before,
                    [s for s in t.steps if not isinstance(s[0], int) or s[0] % WORKERS == k],
                    t.committed) for t in log]  # fmt: skip


def _share(
    log: list[TripLog], threshold: float, k: int, workers: int,
    report: Callable[[int], None], every: int,
) -> list[Join]:  # fmt: skip
    """The joins of the items left out whose place is ``k`` modulo ``workers``; ``report``
    counts them, ``every`` at a time (in a child: to the parent)."""
    window, found, judged = StoryWindow(threshold), list[Join](), 0
    for trip in log:
        if trip.expire_before is not None:
            window.expire(trip.expire_before)
        own = StoryWindow(threshold)
        for step in trip.steps:
            if isinstance(step[0], str):
                chat, entry = step
                own.add(chat, entry)
                continue
            place, key, matched = step
            if place % workers != k:
                continue
            judged += 1
            if judged % every == 0:
                report(every)
            for chat in join_chats(window, own, set(matched)):
                hit = retold(window, own, chat, key, None)
                if hit is not None and hit[0].source != trip.source:
                    found.append((place, hit[0].alert_key, trip.source))
        for chat, entry in trip.committed:
            window.add(chat, entry)
    report(judged % every)
    return found
