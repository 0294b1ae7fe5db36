"""Vectors on demand: the embedder memoised by text for the process, and one trip's use of it.

A vector is computed only when a comparison needs it (``verdict.needs_cosine``, or the leads of
a recurring title), at most once per text: ``Memo`` keeps the newest ``MEMO_TEXTS`` texts' vectors
(a model call costs 10 to 50 ms, a dictionary look-up well under a microsecond; 8,192 vectors
are some 3.5 MB), and embeds what a comparison lacks in one call. The embedder is a
deterministic function of its text, so the memo changes no verdict, only its cost.

``Meaning`` is one trip's view: a window story's stored vector first (``Entry.title_vec``,
``lead_vec``, loaded from the store), else the memo's; the vectors it had to compute for window
stories that had none are kept in ``computed`` for the trip's one write, and only after that
commit are they set on the window's entries (the window is never changed while deciding).

A model that fails (its package broken, its folder unreadable) fails once: ``Memo.failure``
keeps the error, every later request gets None, and dedup runs string-only; the caller logs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from alerts.dedup.embed import Embedder
from alerts.dedup.verdict import SemanticPolicy
from alerts.errors import EmbedderError
from alerts.models import StoryKey, Vector

if TYPE_CHECKING:
    from alerts.dedup.window import Entry

MEMO_TEXTS = 8192


class Memo:
    """An embedder's vectors by text, the newest ``size`` kept; string-only once it failed."""

    def __init__(self, embedder: Embedder, size: int = MEMO_TEXTS) -> None:
        self.embedder, self.size, self.name = embedder, size, embedder.name
        self.failure: EmbedderError | None = None
        self._vectors: dict[str, Vector] = {}

    def known(self, text: str) -> Vector | None:
        """The vector of ``text`` if it was computed, without computing it."""
        return self._vectors.get(text)

    def vectors(self, texts: Sequence[str]) -> dict[str, Vector] | None:
        """The vector of each text, the missing ones in one model call; None once it failed."""
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

    def _record(self, entry: Entry, vector: Vector, lead: bool) -> None:
        _, title_vec, lead_vec = self.computed.get(id(entry), (entry, None, None))
        self.computed[id(entry)] = (entry, title_vec, vector) if lead else (entry, vector, lead_vec)


def _text(key: StoryKey, lead: bool) -> str:
    return key.lead if lead else title_text(key)
