"""Another named actor in the same template: "Tesla recalls ..." against "Toyota recalls ...".

The guard reads the raw titles' capitalisation. When every word only one title has is a name,
on both sides (a one-for-one substitution of names, numbers aside, the rest of the titles
shared), the titles tell of two actors and are two stories. A word is a name by this evidence,
in this order:

1. its shape in the title: an acronym ("GM", "FAA") or a capital inside the word ("iPhone",
   "McLaren") is a name; a word in lower case is not;
2. a capital in a sentence-case title where a sentence cannot start (not the first word, nor
   the first after ":", "|" or a dash) is a name;
3. where the title cannot tell (the first word, or any word of a Title Case or capitals-only
   headline), the story's lead decides: the word in lower case there is no name, with a
   capital inside a sentence it is;
4. failing that, the first word of a title (the headline's subject, mostly a named actor) is
   taken for a name, unless a colon follows it (a label: "Recap:", "Analysis:"), and a
   capitalised word of a Title Case headline is not.

Words after the last " - " or " | " are the publisher ("... - Reuters"), never an actor.

So "Federer wins / captures 7th Wimbledon title" stays one story ("captures" is lower case),
as does "Federer Wins / Captures 7th Wimbledon Title" (not the first word), while "Tesla /
Toyota recalls 10,000 cars" is refused even in Title Case. An acronym of the other side's names
("UN" / "United Nations"), an abbreviation ("Ch." / "Chapter"), a place against a name that is
no place, and a place within the other ("Damascus" / "Syria") are one actor.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache

from alerts.dedup import wordlists as lists
from alerts.dedup.align import same_word
from alerts.dedup.lexicon import PLACE_SET, within
from alerts.dedup.words import comparable_title, content_words
from alerts.models import StoryKey

_JOINERS = "oat"  # initials of "of", "and", "the", which acronyms may keep ("BoE", "DoJ")
MAX_NAME_WORDS = 3  # a name of more words than this is no one-for-one substitution
_STARTERS = (":", "|", "-", "\u2013", "\u2014")  # a sentence may start after these
_OPENERS = "\"'([{\u2018\u201c"


class Evidence(Enum):
    NAME = "name"
    COMMON = "common"
    FIRST = "first word"  # no evidence but the position: taken for a name
    UNKNOWN = "unknown"  # Title Case or capitals: not taken for a name


def different_name(a: StoryKey, b: StoryKey, only_a: list[str], only_b: list[str]) -> str | None:
    """Why two stories are another named actor in one template, or None (see the docstring)."""
    xs, ys = _words(only_a), _words(only_b)
    if not xs or not ys or max(len(xs), len(ys)) > MAX_NAME_WORDS:
        return None
    if not a.raw_title or not b.raw_title or _one_actor(xs, ys):
        return None
    slot_a, slot_b = _slot(content_words(a.title), xs), _slot(content_words(b.title), ys)
    if slot_a is None or slot_b is None or not all(map(_same, slot_a, slot_b)):
        return None  # not one slot of one template: words added in two places
    names_a = _names(a.raw_title, a.lead, xs)
    names_b = _names(b.raw_title, b.lead, ys) if names_a else None
    if not names_a or not names_b:
        return None
    return f"another name: {' '.join(names_a)} / {' '.join(names_b)}"


def _words(only: list[str]) -> list[str]:
    return [w for w in only if not w.isdigit()]


def _slot(words: tuple[str, ...], span: list[str]) -> tuple[str | None, str | None] | None:
    """The content words either side of ``span`` when it is one run of ``words``, else None."""
    at = [i for i, w in enumerate(words) if w in span]
    if not at or at[-1] - at[0] != len(at) - 1:
        return None
    before = words[at[0] - 1] if at[0] else None
    return before, words[at[-1] + 1] if at[-1] + 1 < len(words) else None


def _same(x: str | None, y: str | None) -> bool:
    return x == y or (x is not None and y is not None and same_word(x, y))


def _one_actor(xs: list[str], ys: list[str]) -> bool:
    """An acronym of the other side's words ("UN" / "United Nations"), an abbreviation ("Pak"
    / "Pakistan"), a place against a name that is none (a place stands for its government, or
    qualifies the actor: "South Africa's Mandela" / "Nelson Mandela"), or places one within
    the other ("Damascus" / "Syria")."""
    for short, long in ((xs, ys), (ys, xs)):
        if len(short) == 1 and len(long) > 1 and _initials(short[0], _parts(long)):
            return True
    x, y = (sorted((xs[0], ys[0]), key=len)) if len(xs) == len(ys) == 1 else ("", "-")
    if len(x) >= 2 and y.startswith(x):
        return True
    places_a, places_b = (any(w in PLACE_SET for w in ws) for ws in (xs, ys))
    if places_a != places_b:
        return True
    return any(
        x in PLACE_SET and y in PLACE_SET and (within(x, y) or within(y, x)) for x in xs for y in ys
    )


def _parts(words: list[str]) -> list[str]:
    return [part for w in words for part in w.split("_")]


def _initials(short: str, words: list[str]) -> bool:
    """Whether ``short`` is a beginning of each of ``words`` in turn ("usgs": us geological
    survey, "un": united nations)."""
    if not words:
        return not short
    head = words[0]
    if short and short[0] in _JOINERS and _initials(short[1:], words):
        return True  # "BoE": bank of England
    return any(
        short[:n] == head[:n] and _initials(short[n:], words[1:])
        for n in range(1, min(len(head), len(short)) + 1)
    )


def _names(raw: str, lead: str, words: list[str]) -> list[str] | None:
    """The raw spellings of ``words`` when every one of them is a name in ``raw``, else None."""
    evidence = title_evidence(raw)
    spelt = []
    for word in words:
        found = evidence.get(word.split("_")[0])
        if found is None:
            return None
        kind, spelling = found
        if kind in (Evidence.FIRST, Evidence.UNKNOWN):
            kind = lead_evidence(lead).get(word.split("_")[0], kind)
        if kind not in (Evidence.NAME, Evidence.FIRST):
            return None
        spelt.append(spelling)
    return spelt


@lru_cache(maxsize=1 << 12)
def title_evidence(raw: str) -> dict[str, tuple[Evidence, str]]:
    """Each content word of a raw title: whether the title says it is a name, and its spelling."""
    tokens = raw.split()
    capitals = not any(c.islower() for c in raw)
    title_case = not capitals and _title_case(tokens)
    out: dict[str, tuple[Evidence, str]] = {}
    source = _source_start(tokens)
    for i, token in enumerate(tokens):
        word = token.strip(_OPENERS)
        first = i == 0 or tokens[i - 1].endswith(_STARTERS) or word != token
        kind = _shape(word, first, capitals, title_case) if i < source else Evidence.UNKNOWN
        if first and kind is Evidence.FIRST and token.endswith(":"):
            kind = Evidence.UNKNOWN  # a label ("Recap:", "Analysis:"), not the subject
        for content in content_words(comparable_title(word)):
            out.setdefault(content, (kind, word.strip(".,;:!?\"')]}")))
    return out


def _source_start(tokens: list[str]) -> int:
    """Where a trailing source segment starts ("... - Reuters", "... | WXYZ News"), else the
    length: its names are the publisher's, not the story's actors."""
    for i in range(len(tokens) - 1, 0, -1):
        if tokens[i] in ("-", "|", "\u2013", "\u2014"):
            return i
    return len(tokens)


def _shape(word: str, first: bool, capitals: bool, title_case: bool) -> Evidence:
    letters = [c for c in word if c.isalpha()]
    if not letters or capitals:
        return Evidence.UNKNOWN
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return Evidence.NAME  # an acronym
    if any(c.isupper() for c in word[1:] if c.isalpha()) and word[0].isalpha():
        return Evidence.NAME  # a capital inside: iPhone, McLaren
    if not letters[0].isupper():
        return Evidence.COMMON
    if first:
        return Evidence.FIRST
    return Evidence.UNKNOWN if title_case else Evidence.NAME


def _title_case(tokens: list[str]) -> bool:
    """Whether most words a sentence would write in lower case have a capital here."""
    words = [t.strip(_OPENERS) for t in tokens[1:]]
    words = [w for w in words if w[:1].isalpha() and w.lower() not in lists.STOPWORDS]
    return len(words) >= 2 and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


@lru_cache(maxsize=1 << 12)
def lead_evidence(lead: str) -> dict[str, Evidence]:
    """Content words whose case in a lead says what they are: lower case anywhere is no name;
    a capital inside a sentence, and never lower case, is a name."""
    out: dict[str, Evidence] = {}
    tokens = lead.split()
    for i, token in enumerate(tokens):
        word = token.strip(_OPENERS)
        if not word[:1].isalpha():
            continue
        first = i == 0 or tokens[i - 1].endswith((".", "!", "?", *_STARTERS))
        if word[0].islower():
            kind = Evidence.COMMON
        elif first:
            continue
        else:
            kind = Evidence.NAME
        for content in content_words(comparable_title(word)):
            if out.get(content) is not Evidence.COMMON:
                out[content] = kind
    return out
