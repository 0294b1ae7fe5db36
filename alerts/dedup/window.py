"""The window of recent stories per destination, indexed so a new story meets few candidates.

Exact identity comes first (``keys``): the same normalised link, or the same guid, is the same
story. Otherwise candidates come from an inverted index of title words: the query's rarest
words that the window holds (at most ``PROBE_WORDS``) fetch the stories that share them, the
``MAX_CANDIDATES`` sharing the most are judged (``candidates``: the string stage, then content
and meaning when a trip's ``Meaning`` is given). A true retelling
shares most content words with its original (the threshold demands it), so it shares at least
one of the query's rarest words; a story that shares none is never compared, which is what
makes a window of 100,000 stories cheap (``bench/bench_dedup.py``).

A retelling in other words usually shares a rare word too ("Perm" in "Gunman kills 8 at
university in Perm" / "Several dead in Perm university shooting"); the semantic stage
compares meaning only among these candidates, since its floor (a string score of 20) demands
shared words anyway.

The window lives in memory, is loaded from the store at start (so it survives restarts, with
the stories' vectors), takes the stories the store has committed, and forgets stories older
than ``dedup.window``.
"""

from __future__ import annotations

import heapq
import operator
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from alerts.dedup import wordlists
from alerts.dedup.candidates import Duplicate, best_duplicate
from alerts.dedup.embed_memo import Meaning
from alerts.dedup.keys import identity_guid
from alerts.models import StoryKey, Vector

PROBE_WORDS = 4
MAX_CANDIDATES = 20
STOPWORDS = wordlists.STOPWORDS | frozenset(["s", "says", "said", "new"])


@dataclass(slots=True)
class Entry:
    """One alerted story: its identity, its alert, when it was alerted (UNIX seconds), and the
    vectors of its title and lead once computed (set after the store committed them)."""

    key: StoryKey
    alert_key: str
    at: float
    source: str = ""
    title_vec: Vector | None = None
    lead_vec: Vector | None = None


@dataclass
class _ChatWindow:
    """One chat's stories by id, and the indexes from link, guid and title word to ids (an
    index may still hold the ids of forgotten stories: ``stale`` counts them)."""

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
        self._next_id = 0

    def __len__(self) -> int:
        return sum(len(w.entries) for w in self._chats.values())

    def chats(self) -> list[str]:
        """Chats with stories in the window."""
        return list(self._chats)

    def add(self, chat: str, entry: Entry) -> None:
        """Remember an alerted story (one the store has committed)."""
        window = self._chats.setdefault(chat, _ChatWindow())
        story_id = self._next_id
        self._next_id += 1
        window.entries[story_id] = entry
        if entry.key.link:
            window.links[entry.key.link] = story_id
        guid = identity_guid(entry.key)
        if guid is not None:
            window.guids[guid] = story_id
        for word in set(title_words(entry.key.title)):
            window.words.setdefault(word, []).append(story_id)

    def expire(self, before: float) -> int:
        """Forget stories alerted before ``before``; returns how many."""
        removed = 0
        for window in self._chats.values():
            old = [i for i, e in window.entries.items() if e.at < before]
            for story_id in old:
                del window.entries[story_id]
            removed += len(old)
            window.stale += len(old)
            if window.stale > len(window.entries):
                _rebuild(window)
        return removed

    def find(
        self, chat: str, key: StoryKey, meaning: Meaning | None = None
    ) -> tuple[Entry, Duplicate] | None:
        """The alerted story that ``key`` retells in ``chat``, with the verdict, or None;
        without ``meaning``, string-only."""
        window = self._chats.get(chat)
        if window is None:
            return None
        exact = _exact(window, key)
        if exact is not None:
            return exact
        ids = _candidates(window, key.title)
        if not ids:
            return None
        entries = [window.entries[i] for i in ids]
        verdict = best_duplicate(key, entries, self.threshold, meaning)
        if verdict is None:
            return None
        return entries[verdict.index], verdict


def title_words(title: str) -> list[str]:
    """The words of a comparable title that can tell stories apart."""
    return [w for w in title.split() if w not in STOPWORDS]


def _exact(window: _ChatWindow, key: StoryKey) -> tuple[Entry, Duplicate] | None:
    """The live story with ``key``'s link, else with its guid's identity."""
    story_id = window.links.get(key.link) if key.link else None
    reason: Literal["same link", "same guid"] = "same link"
    if story_id is None or story_id not in window.entries:
        guid = identity_guid(key)
        story_id = window.guids.get(guid) if guid is not None else None
        reason = "same guid"
    if story_id is None or story_id not in window.entries:
        return None
    return window.entries[story_id], Duplicate(-1, 100.0, reason, why=reason)


def _candidates(window: _ChatWindow, title: str) -> list[int]:
    present = [(len(window.words[w]), w) for w in set(title_words(title)) if w in window.words]
    present.sort()
    shared: Counter[int] = Counter()
    for _, word in present[:PROBE_WORDS]:
        shared.update(window.words[word])  # forgotten stories are skipped below, not here
    live = window.entries
    top = heapq.nlargest(2 * MAX_CANDIDATES, shared.items(), key=operator.itemgetter(1))
    return [i for i, _ in top if i in live][:MAX_CANDIDATES]


def _rebuild(window: _ChatWindow) -> None:
    """Drop forgotten stories from the indexes once they outnumber the live ones."""
    live = window.entries
    window.links = {k: i for k, i in window.links.items() if i in live}
    window.guids = {k: i for k, i in window.guids.items() if i in live}
    window.words = {
        w: kept for w, ids in window.words.items() if (kept := [i for i in ids if i in live])
    }
    window.stale = 0
