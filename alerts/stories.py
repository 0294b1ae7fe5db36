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
decision path (``alerts.backfill``: one worker thread, batches of 2 titles at some 15 ms a
title), so that a later story compared with it costs only its own vector (median 1.2 ms, p95
some 20 to 27 ms at a 100,000-story window, against a p95 of 348 ms when 20 candidates had to
be embedded); its lead is embedded only if a recurring title needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts.config import Config, DedupConfig, FeedConfig
from alerts.dedup.candidates import Duplicate
from alerts.dedup.embed_memo import Meaning, Memo, title_text
from alerts.dedup.keys import story_key
from alerts.dedup.verdict import SemanticPolicy
from alerts.dedup.window import Entry, StoryWindow
from alerts.message.render import MessageStyle, render
from alerts.message.summary import summarize
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
Judged = tuple[list[Match], StoryKey]  # an item's matches (before mutes) and its key


def item_key(item: FeedItem, feed_url: str, matched: bool) -> StoryKey:
    """An item's story key: with the lead of its summary when a rule matched it."""
    lead = summarize(item.title, item.content_html, LEAD_CHARS) if matched else ""
    return story_key(item.title, item.link, feed_url, item.item_id, lead)


def judge(rules: RuleSet, item: FeedItem, feed: FeedConfig) -> Judged:
    """What ``Stories.add`` first computes of an item, pure: its matches and its key."""
    matches = rules.match(item, frozenset([feed.display_name, *feed.tags]))
    return matches, item_key(item, feed.url, bool(matches))


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
                 feed: FeedConfig, now: datetime, muted: Muted = NOT_MUTED) -> None:  # fmt: skip
        self.config, self.rules, self.window, self.feed, self.now = config, rules, window, feed, now
        self.muted, self.held = muted, list[Held]()  # mutes, and the matches they held back
        self.labels = frozenset([feed.display_name, *feed.tags])
        self.style = MessageStyle(config.message.timezone, config.telegram.link_preview)
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
        found, key = judged or (self.rules.match(item, self.labels), None)
        matches, held = self.muted.hold(found, self.feed.display_name)
        self.held += held  # recorded, not alerted (``alerts.mutes``); it may still join below
        if key is None or (held and not matches):
            key = item_key(item, self.feed.url, bool(matches))
        meaning = self.meaning if matches else None  # only matched stories are embedded
        for match in matches:
            if not self._retold(item, key, match.chat, meaning, alerted=True):
                self._alert(match, key)
        # A retelling that reaches no rule still joins the cluster of an alerted story.
        chats = set(self.window.chats()) | set(self.trip.chats())
        for chat in sorted(chats - {m.chat for m in matches}):
            self._retold(item, key, chat, meaning, alerted=False)

    def _retold(self, item: FeedItem, key: StoryKey, chat: str, meaning: Meaning | None, *,
                alerted: bool) -> bool:  # fmt: skip
        found = closer(self.window.find(chat, key, meaning), self.trip.find(chat, key, meaning))
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

    def _alert(self, match: Match, key: StoryKey) -> None:
        hits = (h for r in match.rules for h in r.hits)
        terms = tuple(h.matched for h in hits if not h.matched.startswith("/"))
        item, source = match.item, self.feed.display_name
        limit = self.config.message.summary_chars
        alert = render(match, summarize(item.title, item.content_html, limit, terms), source,
                       self.style)  # fmt: skip
        self.alerts.append((alert, key))
        self.matches[alert.key] = match
        at = self.now.timestamp()
        entry = Entry(key, alert.key, at, source)
        self.trip.add(match.chat, entry)
        self._new.append((WindowEntry(match.chat, key, alert.key, at, source), entry))

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
