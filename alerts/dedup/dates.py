"""Dates and editions in recurring titles ("24 Oras: October 1, 2021", "Episode 12").

A *dated* title carries a date or an edition. A date is a month name next to a day number
("September 20, 2021", "20 Sept", "Tuesday 5 October"), a weekday next to a day number
("Tuesday 5"), or a numeric date with a four-digit year ("2021-09-20", "20/09/2021"); a month
or a weekday alone is no date (the key-word guard compares those). An edition is a kind and a
number ("Episode 12", "Part 2", "3rd round", "Day 4"). ``dated`` finds them in a comparable
title, and what is left once its dates and the tags at its edges ("[HD]", "(LIVE)", "| Full
episode": ``wordlists.TAGS``) are dropped: the show's name, or the headline without its date
(an edition stays: "3rd day in hospital" is content).

``clash`` says why two dated titles are different stories: another date (a field both dates
state differs: "September 20" / "September 21", or "20/09" against "21 Sept"), or another
edition of the same kind ("Episode 12" / "Episode 13"). A numeric date whose day and month are
both 12 or less ("05/10/2021") is read both ways, and clashes only when neither reading agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from alerts.dedup import wordlists as lists


@dataclass(frozen=True, slots=True)
class Date:
    """A date as a title states it: any field may be missing; ``either`` holds the two
    numbers of a numeric date that reads as day/month and as month/day."""

    text: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: str | None = None
    either: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Dated:
    """A comparable title's dates and editions, and what is left of it without them."""

    rest: str
    dates: tuple[Date, ...] = ()
    editions: tuple[tuple[str, int, str], ...] = ()  # kind, number, as written

    @property
    def marked(self) -> bool:
        return bool(self.dates or self.editions)


def _table(text: str) -> dict[str, str]:
    return {
        w: head
        for entry in text.replace("\n", ";").split(";")
        if ":" in entry
        for head, words in [entry.split(":", 1)]
        for w in words.split()
    }


MONTHS = {w: int(m) for w, m in _table(lists.MONTHS).items()}
EDITIONS = _table(lists.EDITIONS)
WEEKDAYS = frozenset(lists.WEEKDAYS)
_ORDINAL = ("st", "nd", "rd", "th")
# A date needs a month or a weekday, an edition its kind, unless it is numeric (three numbers):
# a title without any of these words is undated, found without the scan (most titles are).
_MARKERS = frozenset(MONTHS) | WEEKDAYS | frozenset(EDITIONS)


def _number(word: str) -> int | None:
    """A day or edition number: digits, with an ordinal ending or as a word ("2nd", "six")."""
    word = lists.NUMBER_WORDS.get(word, word)
    if word.endswith(_ORDINAL) and word[:-2].isdigit():
        word = word[:-2]
    return int(word) if word.isdigit() and len(word) <= 4 else None


def _day(word: str) -> int | None:
    n = _number(word) if word[:1].isdigit() else None
    return n if n is not None and 1 <= n <= 31 else None


def _year(word: str) -> int | None:
    return int(word) if len(word) == 4 and word.isdigit() and 1900 <= int(word) <= 2100 else None


def _word_date(w: list[str], i: int) -> tuple[Date, int] | None:
    """A date of words starting at ``w[i]`` (a weekday, a month or a day), and its end."""
    j, weekday = i, None
    if w[j] in WEEKDAYS:
        weekday, j = w[j], j + 1
    month = MONTHS.get(w[j]) if j < len(w) else None
    day = _day(w[j + 1]) if month is not None and j + 1 < len(w) else None
    if month is not None and day is not None:
        j += 2  # "September 20"
    elif j < len(w) and (day := _day(w[j])) is not None:
        month = MONTHS.get(w[j + 1]) if j + 1 < len(w) else None
        if month is None and weekday is None:
            return None
        j += 2 if month is not None else 1  # "20 September", "Tuesday 5"
    else:
        return None
    year = _year(w[j]) if j < len(w) else None
    j += year is not None
    return Date(" ".join(w[i:j]), year, month, day, weekday), j


def _numeric_date(w: list[str], i: int) -> tuple[Date, int] | None:
    """A numeric date with a four-digit year at either end, starting at ``w[i]``."""
    if i + 2 >= len(w) or not all(x.isdigit() and len(x) <= 4 for x in w[i : i + 3]):
        return None
    x, y, z = (int(v) for v in w[i : i + 3])
    text = " ".join(w[i : i + 3])
    if _year(w[i]) and 1 <= y <= 12 and 1 <= z <= 31:
        return Date(text, x, y, z), i + 3
    if not _year(w[i + 2]) or not (1 <= x <= 31 and 1 <= y <= 31) or min(x, y) > 12:
        return None
    if x > 12 or y > 12:
        day, month = (x, y) if x > 12 else (y, x)
        return Date(text, z, month, day), i + 3
    return Date(text, z, either=frozenset((x, y))), i + 3


def _edition(w: list[str], i: int) -> tuple[tuple[str, int, str], int] | None:
    """An edition starting at ``w[i]``: "episode 12", or "3rd round"."""
    kind = EDITIONS.get(w[i])
    if kind is not None and i + 1 < len(w) and (n := _number(w[i + 1])) is not None:
        return (kind, n, f"{w[i]} {w[i + 1]}"), i + 2
    ordinal = w[i].endswith(_ORDINAL) or w[i] in lists.NUMBER_WORDS
    kind = EDITIONS.get(w[i + 1]) if ordinal and i + 1 < len(w) else None
    if kind is not None and (n := _number(w[i])) is not None:
        return (kind, n, f"{w[i]} {w[i + 1]}"), i + 2
    return None


def _date_at(w: list[str], i: int) -> bool:
    """Whether a date starts at ``w[i]`` ("day 11 April" is a date, not day 11)."""
    return i < len(w) and (_word_date(w, i) or _numeric_date(w, i)) is not None


@lru_cache(maxsize=1 << 16)
def dated(title: str) -> Dated:
    """The dates and editions of a comparable title, and the rest of it (see the docstring)."""
    words, kept = title.split(), []
    if _MARKERS.isdisjoint(words) and sum(w.isdigit() for w in words) < 3:
        return Dated(title)
    dates: list[Date] = []
    editions: list[tuple[str, int, str]] = []
    i = 0
    while i < len(words):
        if (found := _word_date(words, i) or _numeric_date(words, i)) is not None:
            dates.append(found[0])
            i = found[1]
        elif not _date_at(words, i + 1) and (edition := _edition(words, i)) is not None:
            editions.append(edition[0])
            kept += words[i : edition[1]]  # an edition is content: "3rd day" in hospital
            i = edition[1]
        else:
            kept.append(words[i])
            i += 1
    if not dates and not editions:
        return Dated(title)
    while kept and kept[-1] in lists.TAGS:
        kept.pop()
    while kept and kept[0] in lists.TAGS:
        kept.pop(0)
    return Dated(" ".join(kept), tuple(dates), tuple(editions))


def clash(a: Dated, b: Dated) -> str | None:
    """Why two dated titles are another date or edition of a recurring title, or None."""
    if a.dates and b.dates and not _agree(a.dates[0], b.dates[0]):
        return f"another date: {a.dates[0].text} / {b.dates[0].text}"
    editions_b = {kind: (n, text) for kind, n, text in b.editions}
    for kind, n, text in a.editions:
        if kind in editions_b and editions_b[kind][0] != n:
            return f"another edition: {text} / {editions_b[kind][1]}"
    return None


def _agree(x: Date, y: Date) -> bool:
    """Whether every field that both dates state is the same."""
    for p, q in ((x.year, y.year), (x.month, y.month), (x.day, y.day), (x.weekday, y.weekday)):
        if p is not None and q is not None and p != q:
            return False
    if x.either and y.either:
        return x.either == y.either
    either, other = (x, y) if x.either else (y, x)
    if either.either and other.month is not None and other.day is not None:
        return either.either == frozenset((other.month, other.day)) or (
            other.month == other.day and either.either == {other.day}
        )
    return True
