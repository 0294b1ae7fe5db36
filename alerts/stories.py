"""One trip's stories, pure: rules, then dedup per destination, then the alerts (``decide``).

An item that retells a story already alerted to a chat, or alerted earlier in this same trip,
is not alerted there again; if it comes from another source it joins that story's cluster
(also when no rule of that chat fires on it), and the sent message is edited to list the
source (``dedup.max_edits``). The dedup verdict is the ``alerts.dedup`` policy.

Only an item that matched a rule is embedded (``dedup.semantic``): its key then carries its
lead (the first sentences of its summary, at most ``LEAD_CHARS`` characters, computed once per
item), and its dedup may compare vectors. An item no rule matched is compared by its title
alone: it can only join a cluster, and embedding every item of every feed would cost a model
call per item. The vectors computed in the trip travel in its intent: a new story's with its
row, a window story's that had none as an update, set on the window only after the commit.
A new story whose title vector the trip did not need is embedded after the commit, off the
decision path (``alerts.backfill``: one worker thread, batches of 2 titles at some 8 ms a
title), so that a later story compared with it costs only its own vector (median 1.3 ms, p95
some 12 to 15 ms at a 100,000-story window, against a p95 of 50 to 70 ms when its candidates
had to be embedded); its lead is embedded only if a recurring title needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from alerts.config import Config, DedupConfig, FeedConfig
from alerts.dedup.candidates import Duplicate
from alerts.dedup.embed_memo import Meaning, Memo, title_text
from alerts.dedup.keys import story_key
from alerts.dedup.verdict import SemanticPolicy
from alerts.dedup.window import Entry, StoryWindow
from alerts.message.render import MessageStyle, render
from alerts.message.summary import article, lead
from alerts.models import (
    Alert,
    ClusterJoin,
    FeedItem,
    Match,
    StoryKey,
    StoryVectors,
    Vector,
    WindowEntry,
)
from alerts.mutes import NOT_MUTED, Held, Muted
from alerts.rules import RuleSet

LEAD_CHARS = 200  # a lead is the summary's first sentence or two: what a retelling retells


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A matched item not alerted to ``chat`` because it retells ``original`` (for the log):
    the reason (``same link`` ... ``same meaning``), the title score, the cosine if compared."""

    item_id: str
    chat: str
    reason: str
    score: float
    original: str
    cosine: float | None = None


def semantic_policy(dedup: DedupConfig) -> SemanticPolicy:
    """Both stages' thresholds from ``dedup.*``."""
    return SemanticPolicy(dedup.threshold, dedup.semantic, dedup.semantic_threshold)


Found = tuple[Entry, Duplicate] | None
# Which items look, in the chats they did not alert to, for a story to join: all (a live trip),
# only matched ones, or none (the backtest's last pass, ``alerts.backtest_joins``, does the rest).
Joins = Literal["all", "matched", "none"]


@dataclass(frozen=True, slots=True)
class Judged:
    """What ``Stories.add`` first computes of an item, order-free: its matches (before mutes),
    its key, and, when a rule matched, its article's sentences (``message.summary.article``),
    which its lead and its alerts' summaries are chosen from."""

    matches: list[Match]
    key: StoryKey | None = None  # None: ``Stories.add`` works it out
    sentences: list[str] | None = None
    alerts: dict[str, Alert] | None = None  # each match's alert, rendered beforehand, by chat


def item_key(item: FeedItem, feed_url: str, sentences: list[str] | None) -> StoryKey:
    """An item's story key: with the lead of its summary when a rule matched it (``sentences``
    given)."""
    text = lead(sentences, LEAD_CHARS) if sentences is not None else ""
    return story_key(item.title, item.link, feed_url, item.item_id, text)


def judge(rules: RuleSet, item: FeedItem, feed: FeedConfig, rendering: Rendering) -> Judged:
    """What ``Stories.add`` first computes of an item, pure: its matches, key, sentences, and
    its matches' alerts (``rendering``: how they are rendered)."""
    matches = rules.match(item, frozenset([feed.display_name, *feed.tags]))
    if not matches:
        return Judged(matches, item_key(item, feed.url, None))
    sentences = article(item.title, item.content_html)
    alerts = {m.chat: alert_of(m, sentences, feed.display_name, rendering) for m in matches}
    return Judged(matches, item_key(item, feed.url, sentences), sentences, alerts)


@dataclass(frozen=True, slots=True)
class Rendering:
    """How an alert is rendered: its style and the length of its summary."""

    style: MessageStyle
    summary_chars: int

    @classmethod
    def of(cls, config: Config) -> Rendering:
        style = MessageStyle(config.message.timezone, config.telegram.link_preview)
        return cls(style, config.message.summary_chars)


def alert_of(match: Match, sentences: list[str], source: str, rendering: Rendering) -> Alert:
    """A match's alert: its summary chosen from the article's sentences for its terms."""
    hits = (h for r in match.rules for h in r.hits)
    terms = tuple(h.matched for h in hits if not h.matched.startswith("/"))
    return render(match, lead(sentences, rendering.summary_chars, terms), source, rendering.style)


def retold(window: StoryWindow, trip: StoryWindow, chat: str, key: StoryKey,
           meaning: Meaning | None) -> Found:  # fmt: skip
    """The story ``key`` retells in ``chat``, among those alerted before (``window``) and
    those of this trip (``trip``)."""
    return closer(window.find(chat, key, meaning), trip.find(chat, key, meaning))


def join_chats(window: StoryWindow, trip: StoryWindow, matched: set[str]) -> list[str]:
    """The chats where an item may join a story without having matched there: every chat with
    stories, in order, but those it matched in."""
    return sorted((set(window.chats()) | set(trip.chats())) - matched)


def closer(earlier: Found, this_trip: Found) -> Found:
    """Of the story found among those alerted before and the one in this trip, the closer:
    exact identity first, then title by score, then meaning by cosine (one window would have
    chosen so)."""
    if earlier is None or this_trip is None:
        return earlier or this_trip
    return this_trip if this_trip[1].rank > earlier[1].rank else earlier


class Stories:
    """The alerts, cluster joins, window entries and vectors of one trip's new items."""

    def __init__(self, config: Config, rules: RuleSet, window: StoryWindow, memo: Memo | None,
                 feed: FeedConfig, now: datetime, muted: Muted = NOT_MUTED,
                 joins: Joins = "all") -> None:  # fmt: skip
        self.config, self.rules, self.window, self.feed, self.now = config, rules, window, feed, now
        self.joins_here = joins  # which items look for a story to join here (``Joins``)
        self.muted, self.held = muted, list[Held]()  # mutes, and the matches they held back
        self.labels = frozenset([feed.display_name, *feed.tags])
        self.rendering = Rendering.of(config)
        self.meaning = Meaning(memo, semantic_policy(config.dedup))
        # This trip's own alerts, so that two tellings in one body alert once.
        self.trip = StoryWindow(window.threshold)
        self.alerts: list[tuple[Alert, StoryKey]] = []
        self.matches: dict[str, Match] = {}  # alert key -> its match (``alerts.digest`` routes)
        self.joins: list[ClusterJoin] = []
        self.suppressed: list[Suppressed] = []
        self._new: list[tuple[WindowEntry, Entry]] = []

    def add(self, item: FeedItem, judged: Judged | None = None) -> None:
        """Rules, then dedup per destination, then render; ``judged``: the item's matches and
        key computed beforehand (by ``judge``, elsewhere: ``alerts.backtest_judge``)."""
        if judged is None:
            judged = Judged(self.rules.match(item, self.labels))
        matches, held = self.muted.hold(judged.matches, self.feed.display_name)
        self.held += held  # recorded, not alerted (``alerts.mutes``); it may still join below
        key, sentences = judged.key, judged.sentences if matches else None
        if key is None or (held and not matches):
            if matches and sentences is None:
                sentences = article(item.title, item.content_html)
            key = item_key(item, self.feed.url, sentences)
        meaning = self.meaning if matches else None  # only matched stories are embedded
        for match in matches:
            if not self._retold(item, key, match.chat, meaning, alerted=True):
                ready = judged.alerts.get(match.chat) if judged.alerts else None
                self._alert(match, key, ready or self._render(match, sentences or []))
        if self.joins_here == "none" or (not matches and self.joins_here == "matched"):
            return
        # A retelling that reaches no rule still joins the cluster of an alerted story.
        for chat in join_chats(self.window, self.trip, {m.chat for m in matches}):
            self._retold(item, key, chat, meaning, alerted=False)

    def _retold(self, item: FeedItem, key: StoryKey, chat: str, meaning: Meaning | None, *,
                alerted: bool) -> bool:  # fmt: skip
        found = retold(self.window, self.trip, chat, key, meaning)
        if found is None:
            return False
        entry, verdict = found
        if alerted:
            self.suppressed.append(Suppressed(item.item_id, chat, verdict.reason, verdict.score,
                                              entry.key.title, verdict.cosine))  # fmt: skip
        source = self.feed.display_name
        if entry.source != source:
            self.joins.append(ClusterJoin(entry.alert_key, source, self.feed.url, item.item_id))
        return True

    def _render(self, match: Match, sentences: list[str]) -> Alert:
        return alert_of(match, sentences, self.feed.display_name, self.rendering)

    def _alert(self, match: Match, key: StoryKey, alert: Alert) -> None:
        source = self.feed.display_name
        self.alerts.append((alert, key))
        self.matches[alert.key] = match
        at = self.now.timestamp()
        entry = Entry(key, alert.key, at, source)
        self.trip.add(match.chat, entry)
        self._new.append((WindowEntry(match.chat, key, alert.key, at, source), entry))

    def trip_stories(self, start: int = 0) -> list[tuple[str, Entry]]:
        """The stories this trip has alerted, from the ``start``-th, as its own window took
        them (chat, entry), in order."""
        return [(w.chat, e) for w, e in self._new[start:]]

    def entries(self) -> list[WindowEntry]:
        """The trip's new stories for the window, with the vectors the trip computed."""
        return [WindowEntry(w.chat, w.key, w.alert_key, w.at, w.source, *self._vectors(e))
                for w, e in self._new]  # fmt: skip

    def _vectors(self, entry: Entry) -> tuple[Vector | None, Vector | None]:
        """A new story's vectors: computed as a candidate, or as the query (in the memo)."""
        _, title_vec, lead_vec = self.meaning.computed.get(id(entry), (entry, None, None))
        memo = self.meaning.memo
        if memo is not None:
            title_vec = title_vec or memo.known(title_text(entry.key))
            lead_vec = lead_vec or (memo.known(entry.key.lead) if entry.key.lead else None)
        return title_vec, lead_vec

    def window_vectors(self) -> list[tuple[Entry, StoryVectors]]:
        """The vectors computed for window stories that had none, for the write and after it."""
        new = {id(e) for _, e in self._new}
        return [(e, StoryVectors(e.alert_key, t, lv)) for i, (e, t, lv) in
                self.meaning.computed.items() if i not in new]  # fmt: skip
