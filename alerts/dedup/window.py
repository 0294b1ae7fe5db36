"""The window of recent stories per destination, indexed so a new story meets few candidates.

Exact identity comes first: the same normalised link is the same story across feeds; the same
guid is the same story within a feed, and across feeds only when the guid is itself a URL
(guids like "1" or "article-12" repeat across feeds). Otherwise candidates come from an
inverted index of title words: the query's rarest words that the window holds (at most
``PROBE_WORDS``) fetch the stories that share them, the ``MAX_CANDIDATES`` sharing the most are
judged by ``dedup.similarity``. A true retelling shares most content words with its original
(the threshold demands it), so it shares at least one of the query's rarest words; a story
that shares none is never compared, which is what makes a window of 100,000 stories cheap
(``bench/bench_dedup.py``).

The window lives in memory, is loaded from the store at start (so it survives restarts), and
forgets stories older than ``dedup.window``.
"""

from __future__ import annotations

import heapq
import operator
from collections import Counter
from dataclasses import dataclass, field

from alerts.dedup import wordlists as dedup_words
from alerts.dedup.similarity import (
    Verdict,
    explain_similarity,
    find_duplicate,
    normalize_link,
    story_key,
)
from alerts.models import StoryKey

PROBE_WORDS = 4
MAX_CANDIDATES = 20
STOPWORDS = dedup_words.STOPWORDS | frozenset(["s", "says", "said", "new"])


@dataclass(slots=True)
class Entry:
    """One alerted story: its identity, its alert, and when it was alerted (UNIX seconds)."""

    key: StoryKey
    alert_key: str
    at: float
    source: str = ""


def identity_guid(key: StoryKey) -> tuple[str, str] | None:
    """The guid's identity: global when it is a URL, else only within its feed."""
    if not key.guid:
        return None
    if key.guid.startswith(("http://", "https://")):
        return ("", normalize_link(key.guid))
    return (key.feed_url, key.guid)


@dataclass
class _ChatWindow:
    entries: dict[int, Entry] = field(default_factory=dict)
    links: dict[str, int] = field(default_factory=dict)
    guids: dict[tuple[str, str], int] = field(default_factory=dict)
    words: dict[str, list[int]] = field(default_factory=dict)
    stale: int = 0


class StoryWindow:
    """Recent stories per chat, with exact and word indexes."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._chats: dict[str, _ChatWindow] = {}
        self._next = 0

    def __len__(self) -> int:
        return sum(len(w.entries) for w in self._chats.values())

    def chats(self) -> list[str]:
        """Chats with stories in the window."""
        return list(self._chats)

    def add(self, chat: str, entry: Entry) -> int:
        """Remember an alerted story; returns its handle (for :meth:`discard`)."""
        window = self._chats.setdefault(chat, _ChatWindow())
        handle = self._next
        self._next += 1
        window.entries[handle] = entry
        if entry.key.link:
            window.links[entry.key.link] = handle
        guid = identity_guid(entry.key)
        if guid is not None:
            window.guids[guid] = handle
        for word in set(title_words(entry.key.title)):
            window.words.setdefault(word, []).append(handle)
        return handle

    def discard(self, chat: str, handle: int) -> None:
        """Forget one story (its write to the store failed)."""
        window = self._chats.get(chat)
        if window is not None and window.entries.pop(handle, None) is not None:
            window.stale += 1

    def expire(self, before: float) -> int:
        """Forget stories alerted before ``before``; returns how many."""
        removed = 0
        for window in self._chats.values():
            old = [h for h, e in window.entries.items() if e.at < before]
            for handle in old:
                del window.entries[handle]
            removed += len(old)
            window.stale += len(old)
            if window.stale > len(window.entries):
                _rebuild(window)
        return removed

    def find(self, chat: str, key: StoryKey) -> tuple[Entry, Verdict] | None:
        """The alerted story that ``key`` retells in ``chat``, with the verdict, or None."""
        window = self._chats.get(chat)
        if window is None:
            return None
        exact = self._exact(window, key)
        if exact is not None:
            return exact
        handles = _candidates(window, key.title)
        if not handles:
            return None
        keys = [window.entries[h].key for h in handles]  # the query has no link: titles only
        verdict = find_duplicate(StoryKey(key.title, ""), keys, self.threshold)
        if verdict is None:
            return None
        return window.entries[handles[verdict.index]], verdict

    def _exact(self, window: _ChatWindow, key: StoryKey) -> tuple[Entry, Verdict] | None:
        handle = window.links.get(key.link) if key.link else None
        reason = "same link"
        if handle is None or handle not in window.entries:
            guid = identity_guid(key)
            handle = window.guids.get(guid) if guid is not None else None
            reason = "same guid"
        if handle is None or handle not in window.entries:
            return None
        return window.entries[handle], Verdict(-1, 100.0, reason)


def title_words(title: str) -> list[str]:
    """The words of a comparable title that can tell stories apart."""
    return [w for w in title.split() if w not in STOPWORDS]


def _candidates(window: _ChatWindow, title: str) -> list[int]:
    present = [(len(window.words[w]), w) for w in set(title_words(title)) if w in window.words]
    present.sort()
    shared: Counter[int] = Counter()
    for _, word in present[:PROBE_WORDS]:
        shared.update(window.words[word])  # forgotten stories are skipped below, not here
    live = window.entries
    top = heapq.nlargest(2 * MAX_CANDIDATES, shared.items(), key=operator.itemgetter(1))
    return [h for h, _ in top if h in live][:MAX_CANDIDATES]


def _rebuild(window: _ChatWindow) -> None:
    """Drop forgotten stories from the indexes once they outnumber the live ones."""
    live = window.entries
    window.links = {k: h for k, h in window.links.items() if h in live}
    window.guids = {k: h for k, h in window.guids.items() if h in live}
    window.words = {
        w: kept for w, hs in window.words.items() if (kept := [h for h in hs if h in live])
    }
    window.stale = 0


def judge_pair(
    a: dict[str, str], b: dict[str, str], threshold: float
) -> tuple[bool, float, list[str]]:
    """Whether the bot takes story ``b`` for a retelling of story ``a``, the score (0-100) and
    the reasons: the window's own path (identity, then candidates, then the title verdict).
    Each story is ``{"title", "link", "feed", "summary"}``; only ``title`` is required (the
    summary does not take part in the verdict)."""
    keys = [
        story_key(
            s.get("title") or "", s.get("link") or "", s.get("feed") or "", s.get("guid") or ""
        )
        for s in (a, b)
    ]
    window = StoryWindow(threshold)
    window.add("pair", Entry(keys[0], "a", 0.0))
    found = window.find("pair", keys[1])
    if found is not None and found[1].reason in ("same link", "same guid"):
        return True, 100.0, [found[1].reason]
    score, reasons = explain_similarity(a.get("title") or "", b.get("title") or "")
    same = found is not None
    reasons.append(f"score {score:.1f} {'>=' if same else '<'} threshold {threshold:g}")
    return same, score, reasons
