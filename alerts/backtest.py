"""Backtest: what a config's rules, as they stand, would have sent over the items the bot saw.

The kept items (``store.history``: every item that could alert, for ``items.retention``) are
replayed in the order the bot judged them, trip by trip (one feed, one moment), through the
live path's own pure stages: ``alerts.stories.Stories`` runs the rules, dedups per destination
and renders, exactly as in a trip, against a window of its own that starts empty and takes
each trip's new stories as a commit would (an alert whose key was queued before is not queued
again), and forgets them after ``dedup.window``, as the live window does when it is pruned.
Nothing is written: the store is read through a read-only connection, the live window is never
touched. ``only`` keeps one rule of the config (``--rule``): the others neither send nor
dedup, so the counts are that rule's alone.

Counts, per chat and rule: matched (items the rule fired on), deduped (of those, the ones not
sent because they retell a story already sent to the chat), would send; per chat, the same over
its alerts (the rules of one item that share a chat make one alert); and the items judged.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from alerts.backtest_joins import Join, TripLog, joins
from alerts.backtest_judge import Judge
from alerts.config import Config
from alerts.dedup.embed_memo import Memo
from alerts.dedup.window import Entry, StoryWindow
from alerts.errors import ConfigError, ConfigProblem
from alerts.models import Alert, FeedItem, Match
from alerts.store.history import SeenItem
from alerts.stories import Joins, Judged, Stories, item_key

EXPIRE_EVERY = 3600.0  # seconds of replayed time between expiries (the service prunes hourly)
ALL_RULES = ""  # the rule of a chat's row that counts its alerts


def _no_steps(steps: int) -> None:
    """No progress shown."""


@dataclass(frozen=True, slots=True)
class WouldSend:
    """An alert the backtest would have queued, and when (UNIX seconds)."""

    at: float
    alert: Alert


@dataclass(frozen=True, slots=True)
class Count:
    """One chat's tally for one rule (``rule`` ALL_RULES: the chat's alerts)."""

    chat: str
    rule: str
    matched: int
    deduped: int
    sent: int


@dataclass(frozen=True, slots=True)
class Report:
    """What a backtest found: the items judged, the alerts in order, the counts, and the other
    sources that retold an alerted story (by alert key; a sent message lists them, "Also:")."""

    judged: int
    sent: tuple[WouldSend, ...]
    counts: tuple[Count, ...]
    also: dict[str, tuple[str, ...]]

    def chats(self) -> list[str]:
        """The chats that something matched in, in order of first match."""
        return list(dict.fromkeys(c.chat for c in self.counts))


def only_rule(config: Config, name: str, source: str) -> Config:
    """The config with one rule of it left (``--rule``); ``source`` names the config file."""
    kept = [r for r in config.rules if r.name == name]
    if not kept:
        names = ", ".join(repr(r.name) for r in config.rules) or "none"
        problem = ConfigProblem("rules", None, f"no rule named {name!r} (its rules: {names})")
        raise ConfigError(source, [problem])
    return config.model_copy(update={"rules": kept})


class Replay:
    """The live trip's stages over kept items, with a window of its own."""

    def __init__(self, config: Config, memo: Memo | None = None) -> None:
        self.config, self.memo = config, memo
        self.judge = Judge(config)
        self.window = StoryWindow(config.dedup.threshold)
        self.judged = 0
        self.sent: list[WouldSend] = []
        self._queued: set[str] = set()
        self._tally: dict[tuple[str, str], list[int]] = {}
        self._joins: list[Join] = []  # (item's place, story's alert key, source), in order
        self._log: list[TripLog] = []  # for the last pass (``backtest_joins``)
        self._left_out = 0
        self._expired = 0.0

    @property
    def left_out(self) -> int:
        """The items left to the last pass so far (``backtest_joins``)."""
        return self._left_out

    def run(
        self, items: Iterable[tuple[SeenItem, Judged]], step: Callable[[int], None] = _no_steps
    ) -> None:
        """Replay ``items``, then the last pass (``replay``, then ``last_pass``)."""
        self.replay(items, step)
        self.last_pass()

    def replay(
        self, items: Iterable[tuple[SeenItem, Judged]], step: Callable[[int], None] = _no_steps
    ) -> None:
        """Replay ``items`` (in the order kept, each with its matches and key: ``judged``),
        trip by trip; ``step`` counts items judged."""
        for (url, seen_at), trip in itertools.groupby(
            items, lambda i: (i[0].feed_url, i[0].seen_at)
        ):
            judged = [(self.judge.item(seen), j) for seen, j in trip]
            self.trip(url, seen_at, judged)
            step(len(judged))

    def last_pass(self, step: Callable[[int], None] = _no_steps) -> None:
        """Judge the items left out (``left_out`` of them) for the stories they join; ``step``
        counts them."""
        self._joins += joins(self._log, self.window.threshold, self._left_out, step)
        self._log, self._left_out = [], 0

    def trip(self, feed_url: str, seen_at: float, items: Sequence[tuple[FeedItem, Judged]]) -> None:
        """One trip's items: decided as ``alerts.decide.changed`` does, then committed; the
        items no rule matched are left to the last pass (``backtest_joins``)."""
        feed = self.judge.feed(feed_url)
        log = TripLog(feed.display_name)
        if seen_at - self._expired >= EXPIRE_EVERY:
            log.expire_before = seen_at - self.config.dedup.window.total_seconds()
            self.window.expire(log.expire_before)
            self._expired = seen_at
        now = datetime.fromtimestamp(seen_at, UTC)
        # Without a model every join is by title alone, pure: all are left to the last pass.
        joins: Joins = "none" if self.memo is None else "matched"
        stories = Stories(self.config, self.judge.rules, self.window, self.memo, feed, now,
                          joins=joins)  # fmt: skip
        for item, judged in items:
            self._judge(stories, item, judged, seen_at, log)
        self._commit(stories, log)
        self._log.append(log)

    def _judge(
        self, stories: Stories, item: FeedItem, judged: Judged, at: float, log: TripLog
    ) -> None:
        alerts, joined, place = len(stories.alerts), len(stories.joins), self.judged
        stories.add(item, judged)
        self.judged += 1
        self._joins += [(place, j.alert_key, j.source) for j in stories.joins[joined:]]
        log.steps += stories.trip_stories(alerts)  # before its own look: as in Stories.add
        if not judged.matches or stories.joins_here == "none":
            key = judged.key or item_key(item, item.feed_url, None)
            log.steps.append((place, key, frozenset(m.chat for m in judged.matches)))
            self._left_out += 1
        if not judged.matches:
            return  # no rule fired: the common case
        new = [a for a, _ in stories.alerts[alerts:] if a.key not in self._queued]
        self._queued.update(a.key for a in new)
        self.sent.extend(WouldSend(at, a) for a in new)
        self._count(judged.matches, {a.chat for a in new})

    def _count(self, matches: Sequence[Match], sent_to: set[str]) -> None:
        for match in matches:
            sent = match.chat in sent_to
            for rule in (*(r.rule for r in match.rules), ALL_RULES):
                tally = self._tally.setdefault((match.chat, rule), [0, 0, 0])
                tally[0] += 1
                tally[2 if sent else 1] += 1

    def _commit(self, stories: Stories, log: TripLog) -> None:
        """What ``pipeline._remember`` does after the write: the window takes the new stories
        (those whose alert was queued) and the vectors computed for older ones."""
        for e in stories.entries():
            if e.alert_key in self._queued:
                entry = Entry(e.key, e.alert_key, e.at, e.source, e.title_vec, e.lead_vec)
                self.window.add(e.chat, entry)
                log.committed.append((e.chat, entry))
        for entry, vectors in stories.window_vectors():
            entry.title_vec = entry.title_vec or vectors.title_vec
            entry.lead_vec = entry.lead_vec or vectors.lead_vec

    def report(self) -> Report:
        """The counts so far, chats in order of first match, each chat's row first."""
        chats = list(dict.fromkeys(chat for chat, _ in self._tally))
        counts = [Count(chat, rule, *t) for chat in chats for (c, rule), t in
                  sorted(self._tally.items(), key=lambda kv: kv[0][1] != ALL_RULES)
                  if c == chat]  # fmt: skip
        also: dict[str, list[str]] = {}
        for _, key, source in sorted(self._joins, key=lambda j: j[0]):
            sources = also.setdefault(key, [])  # a source is listed once, as cluster_sources
            sources.extend([source] if source not in sources else [])  # keeps it
        return Report(self.judged, tuple(self.sent), tuple(counts),
                      {key: tuple(sources) for key, sources in also.items()})  # fmt: skip
