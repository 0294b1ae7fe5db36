"""Vectors on demand: the embedder memoised by text for the process, and one trip's use of it.

Every alerted story's title vector is computed soon after its trip's commit, off the decision
path (``alerts.backfill``: one worker thread, batches of 2 texts), so a later comparison finds
it stored. A vector is otherwise computed only when a comparison needs it
(``verdict.needs_cosine``, or the leads of a recurring title), at most once per text: ``Memo``
keeps the newest ``MEMO_TEXTS`` texts' vectors (a model call costs some 8 ms a title here, a
dictionary look-up well under a microsecond; 8,192 vectors are some 3.5 MB), and embeds what a
comparison lacks in one call. The embedder is a deterministic function of its text, so the memo
changes no verdict, only its cost.

One model call at a time: the model object is not known to be thread-safe, and the worker and
the event loop both ask the memo, so ``Memo.vectors`` holds one lock for the whole process
(``MODEL_LOCK``). A trip that asks while a batch is embedded waits for that batch: at most 2
texts, some 16 ms (6 to 12 ms a title, multilingual-e5-small on this 2-core machine).

``Meaning`` is one trip's view: a window story's stored vector first (``Entry.title_vec``,
``lead_vec``, loaded from the store), else the memo's; the vectors it had to compute for window
stories that had none are kept in ``computed`` for the trip's one write, and only after that
commit are they set on the window's entries (the window is never changed while deciding).
**Lazy candidates are capped**: one comparison computes at most ``LAZY_CANDIDATES`` (4)
candidates' vectors that are neither stored nor memoised, those with the highest string score
(``Meaning.affordable``); the other candidates without a vector are judged on their strings
alone for this query. Twenty candidates without vectors cost 21 texts, some 350 ms of a stalled
event loop (p95, ``bench/bench_dedup.py``); the cap bounds it to 5 texts, some 75 ms, for the
stories stored before this version or before their background vector arrived.

A model that fails (its package broken, its folder unreadable) fails once: ``Memo.failure``
keeps the error, every later request gets None, and dedup runs string-only;
``Memo.unsaid_failure`` hands it once to whoever logs it (a trip or the worker).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from alerts.dedup.embed import Embedder
from alerts.dedup.verdict import SemanticPolicy
from alerts.errors import EmbedderError
from alerts.models import StoryKey, Vector

if TYPE_CHECKING:
    from alerts.dedup.window import Entry

MEMO_TEXTS = 8192
LAZY_CANDIDATES = 4
MODEL_LOCK = threading.Lock()  # one model call at a time in the process, whichever memo asks


class Memo:
    """An embedder's vectors by text, the newest ``size`` kept; string-only once it failed."""

    def __init__(self, embedder: Embedder, size: int = MEMO_TEXTS) -> None:
        self.embedder, self.size, self.name = embedder, size, embedder.name
        self.failure: EmbedderError | None = None
        self._said = False
        self._vectors: dict[str, Vector] = {}

    def known(self, text: str) -> Vector | None:
        """The vector of ``text`` if it was computed, without computing it."""
        return self._vectors.get(text)

    def vectors(self, texts: Sequence[str]) -> dict[str, Vector] | None:
        """The vector of each text, the missing ones in one model call; None once it failed.
        Safe from any thread: one call into a model at a time (``MODEL_LOCK``)."""
        with MODEL_LOCK:
            if self.failure is not None:
                return None
            found = {t: v for t in texts if (v := self._vectors.get(t)) is not None}
            missing = [t for t in dict.fromkeys(texts) if t not in found]
            if missing:
                try:
                    computed = self.embedder.embed(missing)
                except Exception as e:  # a model's fault must never hold an alert back
                    self.failure = e if isinstance(e, EmbedderError) else EmbedderError("", repr(e))
                    return None
                found.update(zip(missing, computed, strict=True))
                self._remember(missing, computed)
            return found

    def unsaid_failure(self) -> EmbedderError | None:
        """The model's failure the first time it is asked for, then None: it is said once."""
        if self.failure is None or self._said:
            return None
        self._said = True
        return self.failure

    def _remember(self, texts: list[str], vectors: list[Vector]) -> None:
        self._vectors.update(zip(texts, vectors, strict=True))
        if len(self._vectors) > self.size:  # the oldest quarter goes at once, not one by one
            for text in list(self._vectors)[: len(self._vectors) - self.size * 3 // 4]:
                del self._vectors[text]  # dicts keep insertion order: the oldest first


def title_text(key: StoryKey) -> str:
    """The text a title is embedded from: as a reader sees it (the comparable form for
    stories stored before the raw title was kept)."""
    return key.raw_title or key.title


class Meaning:
    """One trip's vectors: the process's memo (None: string-only) under the semantic policy,
    and the vectors computed for window entries that had none, by ``id(entry)``."""

    def __init__(self, memo: Memo | None, policy: SemanticPolicy) -> None:
        self.memo, self.policy = memo, policy
        self.computed: dict[int, tuple[Entry, Vector | None, Vector | None]] = {}

    @property
    def usable(self) -> bool:
        """Whether vectors can be had at all (semantic on, a model that has not failed)."""
        return self.policy.semantic and self.memo is not None and self.memo.failure is None

    def titles(self, query: StoryKey, entries: Sequence[Entry]) -> tuple[Vector, list[Vector]]:
        """The query's title vector and each entry's (empty when the model is unusable)."""
        return self._pair(title_text(query), entries, lead=False)

    def affordable(
        self, entries: Sequence[Entry], scores: Sequence[float], *, lead: bool = False
    ) -> list[int]:
        """The positions of ``entries`` to compare by meaning: each whose vector is at hand
        (stored, computed in this trip or memoised), and of the others the ``LAZY_CANDIDATES``
        with the highest string score (equal scores: the window's order); the rest are judged
        on their strings alone for this query."""
        lacking = [i for i, e in enumerate(entries) if not self._at_hand(e, lead)]
        dropped = set(sorted(lacking, key=lambda i: -scores[i])[LAZY_CANDIDATES:])
        return [i for i in range(len(entries)) if i not in dropped]

    def leads(self, query: StoryKey, entries: Sequence[Entry]) -> tuple[Vector, list[Vector]]:
        """The query's lead vector and each entry's (all have leads; empty when unusable)."""
        return self._pair(query.lead, entries, lead=True)

    def _pair(
        self, text: str, entries: Sequence[Entry], *, lead: bool
    ) -> tuple[Vector, list[Vector]]:
        if not self.usable or self.memo is None:
            return b"", []
        have = [self._stored(e, lead) for e in entries]
        wanted = [text] + [
            _text(e.key, lead) for e, v in zip(entries, have, strict=True) if v is None
        ]
        got = self.memo.vectors(wanted)
        if got is None:
            return b"", []
        out: list[Vector] = []
        for entry, vector in zip(entries, have, strict=True):
            if vector is None:
                vector = got[_text(entry.key, lead)]
                self._record(entry, vector, lead)
            out.append(vector)
        return got[text], out

    def _stored(self, entry: Entry, lead: bool) -> Vector | None:
        stored = entry.lead_vec if lead else entry.title_vec
        if stored is None and id(entry) in self.computed:
            _, title_vec, lead_vec = self.computed[id(entry)]
            stored = lead_vec if lead else title_vec
        return stored

    def _at_hand(self, entry: Entry, lead: bool) -> bool:
        if self._stored(entry, lead) is not None:
            return True
        return self.memo is not None and self.memo.known(_text(entry.key, lead)) is not None

    def _record(self, entry: Entry, vector: Vector, lead: bool) -> None:
        _, title_vec, lead_vec = self.computed.get(id(entry), (entry, None, None))
        self.computed[id(entry)] = (entry, title_vec, vector) if lead else (entry, vector, lead_vec)


def _text(key: StoryKey, lead: bool) -> str:
    return key.lead if lead else title_text(key)
