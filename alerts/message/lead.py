"""Which sentences make a summary: where it starts, where it stops, the one with the term; pure.

Policy, over the article's sentences (boilerplate already out, see ``alerts.message.summary``);
a *fragment* is a piece with no sentence end (no stop, closing quote or emoji), such as a line
of a video's description, a heading, a dateline, a caption or a list item:

1. **A stub the feed cut off is left out.** When the text ends in "...", "…", "[…]" or "Read
   more" glued to the last words, that last sentence is dropped if a whole sentence came before
   it (in the replayed feeds, 12 of 17 such alerts had one). Otherwise it stays, ending in "…".
2. **Start at a sentence.** Short fragments before the first whole sentence are skipped:
   datelines, labels, credits, headings ("Eleksyon 2022", "From RNZ"). Short is at most 10
   words and 80 characters; a longer fragment is the item's own text and starts the summary.
   With no whole sentence at all, the summary starts at the first long fragment, else the first.
3. **Whole sentences that fit.** From there the summary takes the sentences that fit ``limit``
   characters, joined by a space (by nothing after a full-width stop: Chinese, Japanese). A
   fragment after a whole sentence ends it, and nothing is joined after a fragment: two lines
   never run into each other. When the first piece alone is longer, it is cut at a word and ends
   with an ellipsis.
4. **Show why it matched.** When the summary carries none of the matched ``terms``, the first
   sentence or fragment that does is the summary instead (the stub too, if only it does), found
   as the rules engine finds terms (``text.spans.find_terms``). When that sentence is longer than
   ``limit`` and the term comes after the cut, the summary starts at the clause (after ", ", ";
   ", ": " or a dash) or word before the term, at most a third of ``limit`` before it, with an
   ellipsis: a 40-headline rundown that matched on one headline shows that headline.
"""

from __future__ import annotations

import re
import unicodedata

from alerts.text.sentences import CLOSERS
from alerts.text.spans import find_terms

_ENDS_WELL = re.compile(rf"([.!?…。！？؟۔।][{CLOSERS}]*|[”’»\"'」』])$")
_UNSPACED_END = re.compile(rf"[。！？][{CLOSERS}]*$")
_ELLIPSIS_END = re.compile(rf"(?:\.\.\.|…|\[(?:…|\.\.\.)\])[{CLOSERS}]*$")
_READ_MORE_END = re.compile(
    r"\s*(?:\[?(?:…|\.\.\.)\]?\s*)?\b(?:read more|continue reading|read the (?:full|whole) "
    r"(?:story|article))\s*(?:»|›|>>|→|\.\.\.|…)?$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+")
_CLAUSE_BREAKS = (", ", "; ", ": ", " - ", " – ", " — ", " | ")
MAX_SHORT_WORDS = 10
MAX_SHORT_CHARS = 80


def lead(sentences: list[str], limit: int, terms: tuple[str, ...] = ()) -> str:
    """The summary made of ``sentences`` (see the policy above); "" when there are none."""
    body = without_stub(sentences)
    if not body:
        return ""
    summary = _take(body[_start(body) :], limit)
    if terms and not find_terms(summary, terms):
        carrier = next((s for s in sentences if find_terms(s, terms)), None)
        if carrier is not None:
            summary = _around(carrier, terms, limit)
    return summary


def without_stub(sentences: list[str]) -> list[str]:
    """The sentences without a last one the feed cut off, when a whole one came before it."""
    if not sentences:
        return sentences
    last = sentences[-1]
    glued = _READ_MORE_END.search(last)
    rest = last[: glued.start()].rstrip() if glued else last
    stub = (bool(glued) and not ends_well(rest)) or bool(_ELLIPSIS_END.search(rest))
    if stub and any(ends_well(s) and not _ELLIPSIS_END.search(s) for s in sentences[:-1]):
        return sentences[:-1]
    if glued:
        kept = rest if ends_well(rest) else rest.rstrip(" ,;:-–—") + "…"
        return [*sentences[:-1], kept] if rest else sentences[:-1]
    return sentences


def _start(sentences: list[str]) -> int:
    """Where the summary starts: past the short fragments before the first whole sentence."""
    for at, sentence in enumerate(sentences):
        if ends_well(sentence):
            return at
        if not _is_short(sentence):
            return at
    return 0


def _is_short(fragment: str) -> bool:
    return len(fragment) <= MAX_SHORT_CHARS and len(_WORD.findall(fragment)) <= MAX_SHORT_WORDS


def _take(sentences: list[str], limit: int) -> str:
    if len(sentences[0]) > limit:
        return truncate_words(sentences[0], limit)
    summary = sentences[0]
    for sentence in sentences[1:]:
        if not ends_well(summary) or not ends_well(sentence):
            break  # a fragment is a caption, heading, label or line of its own
        joined = summary + ("" if _UNSPACED_END.search(summary) else " ") + sentence
        if len(joined) > limit:
            break
        summary = joined
    return summary


def _around(sentence: str, terms: tuple[str, ...], limit: int) -> str:
    """``sentence`` within ``limit``, cut so that the first matched term is in it."""
    cut = truncate_words(sentence, limit)
    start = min(begin for begin, _ in find_terms(sentence, terms))
    if find_terms(cut, terms) or start == 0:
        return cut
    low = max(0, start - limit // 3)
    breaks = [(sentence.rfind(b, low, start), b) for b in _CLAUSE_BREAKS]
    at, brk = max(breaks)
    if at >= 0:
        begin = at + len(brk)
    else:
        space = sentence.find(" ", low, start)
        begin = space + 1 if space >= 0 else start
    return "…" + truncate_words(sentence[begin:].lstrip(), limit - 1)


def ends_well(sentence: str) -> bool:
    """Whether a sentence ends as one: a stop, a closing quote, or (social media) an emoji."""
    last = sentence.rstrip("\ufe0f\u200d")[-1:]
    return bool(_ENDS_WELL.search(sentence)) or unicodedata.category(last or " ") in ("So", "Sk")


def truncate_words(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"
