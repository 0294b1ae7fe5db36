"""The score of two titles and the verdict on a story against candidates (policy: the package).

Of the content words only one title has, those paired across the titles are substitutions and
the rest of the longer side additions; the score is ``100 - POINTS * cost / shared words`` (at
least 0), 0 when a guard refuses (``guards``), and a pair at or above the threshold (default
``DEFAULT_THRESHOLD``, ``dedup.threshold``) is one story. ``find_duplicate`` takes the same link
first, then the most similar title, and rules out most candidates with an upper bound on their
score that costs a few microseconds before judging them in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from alerts.dedup.align import align
from alerts.dedup.dates import Dated, clash, dated
from alerts.dedup.guards import different_place, hard, refusal
from alerts.dedup.names import different_name
from alerts.dedup.words import comparable_title, content_words
from alerts.models import StoryKey

DEFAULT_THRESHOLD = 88.0
SUBSTITUTED, ADDED, PLACE_EXTRA = 5, 1, 10  # costs: a different place is 3 substitutions
NUMBER_EXTRA = 1  # a number only one title has is a new fact: it costs two additions
POINTS = 8  # score points per unit of cost per shared word

Reason = Literal["same link", "same guid", "similar title"]


@dataclass(frozen=True, slots=True)
class DuplicateVerdict:
    """Which candidate a story duplicates (-1 when found by the window's exact indexes), how
    similar the two are (0-100), and why."""

    index: int
    score: float
    reason: Reason


@dataclass(frozen=True, slots=True)
class TitleJudgement:
    """The string stage's judgement of two stories' titles, for the verdict (``verdict``).

    ``score`` is the title similarity (0-100) before any refusal; ``refusal`` says why the
    string stage refuses the pair (None when it does not); ``hard`` is whether that refusal
    binds the semantic stage too (opposite outcomes, roles swapped, another actor, another date
    or edition: meaning cannot overrule them); ``recurring`` is whether the titles cannot tell
    the stories apart (the same title, or a show name and the same date), so that the pair is
    judged on its content (the leads), not its title."""

    score: float
    refusal: str | None = None
    hard: bool = False
    recurring: bool = False


@dataclass(frozen=True, slots=True)
class _Judged:
    """Two comparable titles judged: the score (0 when refused), the score before any refusal,
    the refusal, whether the titles are one recurring title, and the words only one has."""

    score: float
    unrefused: float
    refusal: str | None = None
    recurring: bool = False
    only: tuple[list[str], list[str]] = ([], [])


def judge_titles(a: StoryKey, b: StoryKey, reasons: list[str] | None = None) -> TitleJudgement:
    """The string stage's judgement of two stories' titles (comparable, with raw titles and
    leads for the names guard); the reasons are appended when a list is given."""
    judged = _assess(a.title, b.title, reasons)
    if judged.recurring:
        return TitleJudgement(100.0, recurring=True)
    refused = judged.refusal
    if refused is None or not hard(refused):
        name = different_name(a, b, *judged.only) if judged.unrefused > 0 else None
        if name is not None:
            if reasons is not None:
                reasons[:] = [name]
            return TitleJudgement(judged.unrefused, name, hard=True)
    if refused is None:
        return TitleJudgement(judged.score)
    return TitleJudgement(judged.unrefused, refused, hard=hard(refused))


def similarity(a: str, b: str) -> float:
    """Title similarity (0-100) of two comparable titles; 0 when a guard refuses (the names
    guard aside: it needs the raw titles, ``judge_titles``)."""
    return _assess(a, b, None).score


def bound(a: str, b: str) -> float:
    """A score that ``similarity(a, b)`` cannot exceed, from the content words' counts alone
    (``_upper_bound``): some 3 microseconds, against 25 to 100 for the judgement itself."""
    if not a or not b:
        return 0.0
    return 100.0 if a == b else _upper_bound(_profile(a), _profile(b))


def explain_similarity(a_title: str, b_title: str) -> tuple[float, list[str]]:
    """The similarity of two raw titles and the reasons for it, for people."""
    reasons: list[str] = []
    score = _assess(comparable_title(a_title), comparable_title(b_title), reasons).score
    return score, reasons


def _assess(
    a: str, b: str, reasons: list[str] | None, floor: float = 0.0, dates: bool = True
) -> _Judged:
    """Two comparable titles judged, with reasons appended when a list is given. Below
    ``floor`` the guards are skipped (they can only lower the score) and the score is rough.
    Two dated titles are judged on what is left of them (``dates``)."""
    if not a or not b or a == b:
        return _same_or_empty(a, b, reasons)
    da = dated(a) if dates else Dated(a)
    db = dated(b) if da.marked else da  # most titles are undated: the other is not scanned
    if da.marked and db.marked:
        beside = _beside_the_date(da, db)
        if beside is not None:
            if reasons is not None:
                reasons.append(beside.refusal or "same title beside the date")
            return beside
        a, b = da.rest, db.rest
    words_a, words_b = content_words(a), content_words(b)
    shared, only_a, only_b = align(words_a, words_b)
    cost = _cost(only_a, only_b)
    score = _score(cost, shared)
    if score < floor:
        return _Judged(score, score)
    place = different_place(words_a, words_b, only_a, only_b) if only_a and only_b else None
    if place is not None:
        cost += PLACE_EXTRA
        score = _score(cost, shared)
    refused = refusal((a, b), words_a, words_b, only_a, only_b)
    if refused is not None or not shared:
        if reasons is not None:
            reasons.append(refused or "no content word shared")
        return _Judged(0.0, score, refused or "no content word shared", only=(only_a, only_b))
    if reasons is not None:
        reasons += _reckoning(place, shared, only_a, only_b, cost, score)
    return _Judged(score, score, only=(only_a, only_b))


def _same_or_empty(a: str, b: str, reasons: list[str] | None) -> _Judged:
    same = a == b and bool(a)
    if reasons is not None:
        reasons.append("same comparable title" if same else "empty title")
    if same:
        return _Judged(100.0, 100.0, recurring=True)
    return _Judged(0.0, 0.0, "empty title")


def _beside_the_date(a: Dated, b: Dated) -> _Judged | None:
    """Two dated titles judged by their dates and what is left of them: another date or
    edition, or nothing left in common, refuses; the same rest is one recurring title; None
    when the rests are to be judged as titles."""
    refused = clash(a, b)
    if refused is None and a.rest == b.rest:
        return _Judged(100.0, 100.0, recurring=True)
    if refused is None and set(content_words(a.rest)).isdisjoint(content_words(b.rest)):
        refused = f"different titles beside the date: {a.rest or '-'} / {b.rest or '-'}"
    if refused is None:
        return None
    rest = _assess(a.rest, b.rest, None, dates=False) if a.rest and b.rest else None
    return _Judged(0.0, rest.unrefused if rest else 0.0, refused)


def _cost(only_a: list[str], only_b: list[str]) -> int:
    """Substitutions, additions and the numbers only one title has, before any place."""
    substituted = min(len(only_a), len(only_b))
    added = abs(len(only_a) - len(only_b))
    numbers = len([w for w in only_a + only_b if w.isdigit()])
    return SUBSTITUTED * substituted + ADDED * added + NUMBER_EXTRA * numbers


def _score(cost: int, shared: int) -> float:
    return max(0.0, 100.0 - POINTS * cost / shared) if shared else 0.0


def _reckoning(
    place: tuple[str, str] | None,
    shared: int,
    only_a: list[str],
    only_b: list[str],
    cost: int,
    score: float,
) -> list[str]:
    """How a score was reached, for people."""
    lines = [f"different place: {place[0]}/{place[1]} (counts as 3 substitutions)"] if place else []
    lines.append(
        f"{shared} shared words; only in first: {' '.join(only_a) or '-'};"
        f" only in second: {' '.join(only_b) or '-'}"
    )
    lines.append(f"score 100 - {POINTS} x cost {cost} / {shared} shared = {score:.1f}")
    return lines


def find_duplicate(
    story: StoryKey, window: Sequence[StoryKey], threshold: float = DEFAULT_THRESHOLD
) -> DuplicateVerdict | None:
    """The candidate in ``window`` that ``story`` duplicates, or None when it is new: the same
    link, else the most similar title at or above ``threshold`` (the first of equals)."""
    if story.link:
        for i, other in enumerate(window):
            if other.link == story.link:
                return DuplicateVerdict(i, 100.0, "same link")
    return find_similar_title(story, window, threshold)


def find_similar_title(
    story: StoryKey, window: Sequence[StoryKey], threshold: float = DEFAULT_THRESHOLD
) -> DuplicateVerdict | None:
    """As ``find_duplicate``, by titles alone (for a caller that has looked the link up)."""
    if not story.title:
        return None
    best, best_score = _most_similar(story, window, threshold)
    return DuplicateVerdict(best, best_score, "similar title") if best >= 0 else None


def _most_similar(
    story: StoryKey, window: Sequence[StoryKey], threshold: float
) -> tuple[int, float]:
    """The index and score of the most similar title at or above ``threshold`` (-1 if none);
    another name (``names``) refuses a candidate when both stories have their raw titles."""
    title = story.title
    mine = _profile(title)
    best, best_score = -1, threshold
    for i, other in enumerate(window):
        # The bound is cheap and rules out most candidates before the full judgement.
        bound = _upper_bound(mine, _profile(other.title)) if other.title else 0.0
        if bound > best_score or (bound == best_score and best < 0):
            judged = _assess(title, other.title, None, best_score)
            score = judged.score
            if score >= best_score and (best < 0 or score > best_score):
                if different_name(story, other, *judged.only) is not None:
                    continue
                best, best_score = i, score
                if score >= 100.0:
                    break
    return best, best_score


Profile = tuple[int, frozenset[str], dict[str, int]]  # content words: count, set, first letters


@lru_cache(maxsize=1 << 17)
def _profile(title: str) -> Profile:
    """What the bound reads of a comparable title's content words (cached beside them): how
    many, the set, and how many start with each letter."""
    words = content_words(title)
    letters: dict[str, int] = {}
    for word in words:
        letters[word[0]] = letters.get(word[0], 0) + 1
    return len(words), frozenset(words), letters


def _upper_bound(a: Profile, b: Profile) -> float:
    """A score that ``_assess`` cannot exceed for these content words, from counts alone.

    Two words can only be matched (``align``) when they begin with the same letter, one with
    one, so at most as many words are shared as, summed over the letters, the fewer of the two
    titles' words with that letter (a title's words are distinct); one compound match per side
    consumes one word more; the words left cost at least their additions and substitutions,
    without numbers or places."""
    count_a, in_a, letters_a = a
    count_b, in_b, letters_b = b
    shared = len(in_a & in_b)
    left_a, left_b = count_a - shared, count_b - shared
    most = shared
    if left_a and left_b:
        most = 0  # the shared words are counted too, each under its letter
        for letter, n in letters_b.items():
            m = letters_a.get(letter)
            if m:
                most += m if m < n else n
    if not most:
        return 0.0
    more = most - shared
    rest_a, rest_b = max(0, left_a - more - 1), max(0, left_b - more - 1)
    low, high = min(rest_a, rest_b), max(rest_a, rest_b)
    return max(0.0, 100.0 - POINTS * (SUBSTITUTED * low + ADDED * (high - low)) / most)
