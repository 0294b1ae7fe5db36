"""Near misses of a rule term that did not match a text, and how to fix the rule; pure.

Policy (what ``explain`` suggests for a missing term; the README says the same). The text's
words (links masked, as the rules see them: ``text.terms``) are compared with each spelling of
the term (an entity's name and aliases, or the phrase), in normal form (``text.normalize``),
over runs of one word up to one more than the spelling has:

- **Another ending**: the same words but the last, which shares a stem with the spelling's last
  word: a common beginning of at least 4 letters that is the whole shorter word or all of it
  but its last letter ("Aucklanders" for Auckland, "missile" for missiles, "Ukrainian" for
  Ukraine; not "Australia" for Austria, whose common "austr" leaves two letters). The fix is
  the stem with ``*``: try ``Auckland*``; it is offered only when it matches the text.
- **An alias-like form**: the same letters spaced or hyphenated otherwise ("Kim Jongun" or
  "KimJongUn" for Kim Jong-un, "HongKong" for Hong Kong), or another spelling one letter apart
  (two from 10 letters: "Zelenskyy" for Zelensky), first letters equal and 5 letters at least
  (shorter words are too often other words). The fix is an alias of the entity, or an entity
  made of the phrase.
- **Case**: an acronym's letters in lower case ("nato" for NATO), which an acronym never
  matches (``text.terms``): the fix is to write the term otherwise.

At most 3 near misses are named per term, in the text's order. Terms in an unspaced script
(Chinese, Japanese, Thai, ...) have no words to compare and get none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from alerts.text.normalize import is_unspaced, normalize
from alerts.text.terms import normal_form, occurrences, term_form, without_links

MAX_PER_TERM = 3
MIN_STEM = 4
MIN_ALIAS = 5
_WORD = re.compile(r"[^\W_]+")
_GAP = re.compile(r"[\s\-\u2010-\u2015'\u2019.]{0,3}")  # what may part the words of one name

NearKind = Literal["ending", "alias", "case"]


@dataclass(frozen=True, slots=True)
class NearMiss:
    """Words of a text close to a term that did not match, and the fix that would match them."""

    shown: str  # the words as the text shows them
    field: str
    kind: NearKind
    fix: str


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    normal: str


def near_misses(
    label: str, entity: str | None, spellings: Sequence[str], fields: Sequence[tuple[str, str]]
) -> list[NearMiss]:
    """The near misses of one term (``label`` as written, its ``entity`` if it names one, its
    ``spellings``) in the (field, text) pairs, with their fixes."""
    found: dict[str, NearMiss] = {}
    for field_name, text in fields:
        words = _words(text)
        for spelling in spellings:
            for miss in _misses(spelling, label, entity, text, words, field_name):
                found.setdefault(normalize(miss.shown), miss)
    return list(found.values())[:MAX_PER_TERM]


def _words(text: str) -> list[_Word]:
    masked = without_links(text)
    words = (_Word(m.start(), m.end(), normalize(m[0])) for m in _WORD.finditer(masked))
    return [w for w in words if w.normal]


def _runs(text: str, words: list[_Word], size: int) -> Iterator[list[_Word]]:
    """Runs of ``size`` words parted only by spaces, hyphens, apostrophes or dots."""
    for first in range(len(words) - size + 1):
        run = words[first : first + size]
        if all(_GAP.fullmatch(text[a.end : b.start]) for a, b in pairwise(run)):
            yield run


def _misses(spelling: str, label: str, entity: str | None, text: str, words: list[_Word],
            field_name: str) -> Iterator[NearMiss]:  # fmt: skip
    form = term_form(spelling)
    wanted = normalize(spelling.rstrip("*")).split()
    if form is None or not wanted or any(is_unspaced(c) for c in "".join(wanted)):
        return
    for size in range(1, len(wanted) + 2):
        for run in _runs(text, words, size):
            shown = text[run[0].start : run[-1].end]
            kind = _kind([w.normal for w in run], wanted, form.cased, spelling.endswith("*"))
            fix = _fix(kind, spelling, label, entity, shown, run, wanted, field_text=text)
            if kind is not None and fix:
                yield NearMiss(shown, field_name, kind, fix)


def _kind(have: list[str], wanted: list[str], cased: bool, wildcard: bool) -> NearKind | None:
    """How a run of words is close to a spelling's words, if it is."""
    if have == wanted:
        return "case" if cased else None  # equal but not matched: only an acronym's case
    same_head = len(have) == len(wanted) and have[:-1] == wanted[:-1]
    if not wildcard and same_head and _stem(have[-1], wanted[-1]):
        return "ending"
    joined, target = "".join(have), "".join(wanted)
    if joined == target:
        return "alias"
    close = len(target) >= MIN_ALIAS and joined[:1] == target[:1]
    return "alias" if close and _distance(joined, target) <= _allowed(target) else None


def _stem(word: str, wanted: str) -> str:
    """The common beginning of two words that differ only in their endings, else ""."""
    size = 0
    while size < min(len(word), len(wanted)) and word[size] == wanted[size]:
        size += 1
    shorter = min(len(word), len(wanted))
    return word[:size] if size >= MIN_STEM and size >= shorter - 1 else ""


def _allowed(target: str) -> int:
    return 2 if len(target) >= 10 else 1


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (short strings: a name or two)."""
    if abs(len(a) - len(b)) > 2:
        return 3
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        previous = current
    return previous[-1]


def _fix(kind: NearKind | None, spelling: str, label: str, entity: str | None, shown: str,
         run: list[_Word], wanted: list[str], field_text: str) -> str:  # fmt: skip
    """What to write in the config so that the rule matches ``shown``; "" if nothing would."""
    if kind == "ending":
        stem = _stem(run[-1].normal, wanted[-1])
        last = field_text[run[-1].start : run[-1].end]
        head = field_text[run[0].start : run[-1].start]
        written = head + (last[: len(stem)] if normalize(last[: len(stem)]) == stem else stem)
        return f"try `{written}*`" if _matches(written + "*", field_text) else ""
    if kind == "case":
        return f"`{spelling}` is an acronym, matched in capitals only: write it `{shown}`"
    if entity is not None:
        return f'add "{shown}" to the aliases of {entity}'
    return f'make `{label}` an entity with the alias "{shown}"'


def _matches(spelling: str, text: str) -> bool:
    form = term_form(spelling)
    return (
        form is not None
        and next(occurrences(form, normal_form(text, form.cased)), None) is not None
    )
