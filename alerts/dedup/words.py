"""A title's comparable form and its content words, worked out once per title and cached.

``comparable_title`` normalises a title (``text.normalize``: case, accents, dashes; then
possessives and punctuation removed). ``content_words`` cuts it into the words the policy
compares: wire labels ("UPDATE 2-", "-- 4th Update") and English function words dropped,
initials joined ("u s" = "us"), numbers in digits ("six" = "6", "18,000" = "18000", "7th" =
"7", "840mb" = "840 mb"), "-ize" spelt "-ise", and places in one form ("S. Korean" =
``south_korea``, "Syrian" = "syria", "British" = "uk", "Kyiv" = "kiev"); each word once, in
order.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache

from alerts.dedup import wordlists as lists
from alerts.dedup.lexicon import PHRASE_FORMS, PHRASE_LENGTHS, PHRASE_STARTS, place
from alerts.text.normalize import normalize

_PUNCTUATION = re.compile(r"[^\w\s]")
_POSSESSIVE = re.compile(r"(?<=\w)'s?\b")
# Wire-service labels before a title ("UPDATE 2-", "RPT-", "EXCLUSIVE-").
_LABELS = re.compile(r"^(?:(?:exclusive|update|rpt|refile|corrected|wrapup|breaking)(?: \d+)? )+")
# The same label after a title ("... -- 4th Update", "... update 2").
_TRAILING_LABEL = re.compile(r" (?:\d+(?:st|nd|rd|th)? update|update \d+)$")
_LABEL_WORDS = ("exclusive", "update", "rpt", "refile", "corrected", "wrapup", "breaking")
_KNOWN: dict[str, str] = {}  # word -> content word ("" for a stopword), see _content_word
_IZE = re.compile(r"^(\w{3,})iz(e|ed|es|ing|ation|ations)$")
_NUMBER_WITH_LETTERS = re.compile(r"^(\d+)(st|nd|rd|th|[a-z]+)$")  # 7th; 792p, 840mb


def comparable_title(title: str) -> str:
    """Normalised title without possessives and punctuation, words separated by one space.

    Its content words are worked out and cached here too, so that judging a story against
    the window finds them ready."""
    text = _POSSESSIVE.sub("", normalize(title))
    comparable = " ".join(_PUNCTUATION.sub(" ", text).split())
    content_words(comparable)
    return comparable


@lru_cache(maxsize=1 << 14)
def comparable_lead(lead: str) -> str:
    """``comparable_title`` of a lead, cached apart from titles: a recurring title's lead is
    compared with each candidate's, and each candidate's again with each later story's (some
    40 microseconds a lead each time)."""
    return comparable_title(lead)


@lru_cache(maxsize=1 << 17)  # a 100,000-story window: about 25 MB when full
def content_words(title: str) -> tuple[str, ...]:
    """The content words of a comparable title, in order, each once (see the docstring)."""
    raw = (_LABELS.sub("", title) if title.startswith(_LABEL_WORDS) else title).split()
    if raw[-1:] == ["update"] or raw[-2:-1] == ["update"]:
        raw = _TRAILING_LABEL.sub("", " ".join(raw)).split()
    words: list[str] = []
    i = 0
    while i < len(raw):
        word = raw[i]
        i += 1
        known = _KNOWN.get(word)
        if known is None:
            if len(word) == 1 or word in PHRASE_STARTS:
                word, i = _next_word(raw, i - 1)
            elif word[0].isdigit():
                if (match := _NUMBER_WITH_LETTERS.match(word)) is not None:
                    word, unit = match.groups()
                    if unit not in ("st", "nd", "rd", "th"):
                        raw.insert(i, unit)  # "840mb" = "840 mb"
                elif len(word) == 3 and words and words[-1].isdigit() and raw[i - 2].isdigit():
                    words[-1] += word  # "18 000" (from "18,000") = "18000"
                    continue
                words.append(word)
                continue
            known = _KNOWN.get(word) or _content_word(word)
        if known:
            words.append(known)
    return tuple(dict.fromkeys(words))


def _content_word(raw: str) -> str:
    """One word as content words hold it ("" for a stopword), remembered in ``_KNOWN`` unless
    its neighbours matter (initials, the first word of a place name, digits)."""
    if raw in lists.STOPWORDS:
        known = ""
    else:
        word = _IZE.sub(r"\1is\2", raw) if "iz" in raw else raw
        word = lists.NUMBER_WORDS.get(word, word)
        known = sys.intern(place(word) or word)
    if len(raw) > 1 and raw not in PHRASE_STARTS and not raw[0].isdigit():
        if len(_KNOWN) > 100_000:  # a bound on memory; the vocabulary of news is smaller
            _KNOWN.clear()
        _KNOWN[raw] = known
    return known


def _next_word(raw: list[str], i: int) -> tuple[str, int]:
    """The word at ``raw[i]``, with initials and place names of several words joined, and the
    index after it."""
    word = raw[i]
    if len(word) == 1 and word.isalpha():  # "u s" = "us", "n c" = "nc"
        j = i + 1
        while j < len(raw) and len(raw[j]) == 1 and raw[j].isalpha():
            j += 1
        if j > i + 1:
            return "".join(raw[i:j]), j
    if word in PHRASE_STARTS:
        for length in PHRASE_LENGTHS:
            name = PHRASE_FORMS.get(" ".join(raw[i : i + length]))
            if name is not None and i + length <= len(raw):
                return name, i + length
    return word, i + 1
