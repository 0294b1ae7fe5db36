"""A paragraph cut into sentences, careful with abbreviations; pure, standard library only.

Policy: a sentence ends at ``。``, ``！`` or ``？`` (closing quotes and brackets included) as
they stand, and at ``.``, ``!``, ``?``, ``…``, ``؟``, ``۔`` or ``।`` followed by a space and a
letter that is not lower case (a capital of any script, or a letter of a script without case:
Arabic, Hebrew, Hangul, CJK, Thai), a digit, or a quote before one; never after known
abbreviations (Mr., U.S., Jan., No. 10) and initials.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st mt jr sr gen col lt sgt capt sen rep gov pres rev hon inc corp ltd co"
    " no nos vs etc approx dept est fig jan feb mar apr jun jul aug sep sept oct nov dec"
    " u.s u.k u.n e.g i.e a.m p.m ft".split()
)
CLOSERS = "\"'”’»)\\]」』）】〕》〉"
OPENERS = "\"'“‘«(\\[「『（"
# A full-width stop ends a sentence as it stands; any other stop only before a space and a
# letter or digit (group 1), which _ends_sentence then judges. A match starts only where a run
# of stops starts, so a hostile run of 100,000 dots costs linear time, not quadratic.
_SENTENCE_END = re.compile(
    rf"[。！？]++[{CLOSERS}]*+"
    rf"|(?<![.!?…؟۔।])[.!?…؟۔।]++[{CLOSERS}]*+(?=\s+[{OPENERS}]?([^\W_]))"
)
_WORD_BEFORE = re.compile(rf"([\w.]+)[.!?…]*[{CLOSERS}]*$")


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, careful with abbreviations and initials."""
    sentences, start = [], 0
    for m in _SENTENCE_END.finditer(paragraph):
        # The word before the stop is all an abbreviation needs (and a whole long paragraph
        # would make the check quadratic).
        if not _ends_sentence(m, paragraph[max(start, m.start() - 64) : m.end()]):
            continue
        sentences.append(paragraph[start : m.end()].strip())
        start = m.end()
    rest = paragraph[start:].strip()
    return [*sentences, rest] if rest else sentences


def _ends_sentence(stop: re.Match[str], chunk: str) -> bool:
    """Whether a stop ends the sentence: not before a lower-case letter, nor an abbreviation's."""
    following = stop.group(1)
    if following is None:  # a full-width stop (。！？)
        return True
    if following.islower():  # scripts without case (Arabic, Hangul, CJK) never are
        return False
    return not (stop.group().startswith(".") and _is_abbreviation(chunk))


def _is_abbreviation(chunk: str) -> bool:
    m = _WORD_BEFORE.search(chunk)
    if not m:
        return False
    word = m.group(1).rstrip(".").lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())
