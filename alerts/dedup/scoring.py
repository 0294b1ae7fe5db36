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
from alerts.dedup.guards import different_place, refusal
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


SOFT_REFUSALS = ("numbers differ", "short title")  # the semantic stage may overrule these


def judge_titles(a: StoryKey, b: StoryKey) -> TitleJudgement:
    """The string stage's judgement of two stories' titles (comparable, with raw titles)."""
    reasons: list[str] = []
    score = _judge(a.title, b.title, reasons)
    if a.title and a.title == b.title:
        return TitleJudgement(100.0, recurring=True)
    refused = reasons[0] if score == 0.0 and reasons else None
    if refused is None:
        return TitleJudgement(score)
    raw = _judge_unrefused(a.title, b.title)
    return TitleJudgement(raw, refused, hard=not refused.startswith(SOFT_REFUSALS))


def _judge_unrefused(a: str, b: str) -> float:
    """The score of two comparable titles as if no guard refused them."""
    shared, only_a, only_b = align(content_words(a), content_words(b))
    return _score(_cost(only_a, only_b), shared)


def similarity(a: str, b: str) -> float:
    """Title similarity (0-100) of two comparable titles; 0 when a guard refuses."""
    return _judge(a, b, None)


def explain_similarity(a_title: str, b_title: str) -> tuple[float, list[str]]:
    """The similarity of two raw titles and the reasons for it, for people."""
    reasons: list[str] = []
    score = _judge(comparable_title(a_title), comparable_title(b_title), reasons)
    return score, reasons


def _judge(a: str, b: str, reasons: list[str] | None, floor: float = 0.0) -> float:
    """The score of two comparable titles, with reasons appended when a list is given. Below
    ``floor`` the guards are skipped (they can only lower the score) and the score is rough."""
    if not a or not b or a == b:
        same = a == b and bool(a)
        if reasons is not None:
            reasons.append("same comparable title" if same else "empty title")
        return 100.0 if same else 0.0
    words_a, words_b = content_words(a), content_words(b)
    shared, only_a, only_b = align(words_a, words_b)
    cost = _cost(only_a, only_b)
    score = _score(cost, shared)
    if score < floor:
        return score
    refused = refusal(words_a, words_b, only_a, only_b)
    if refused is not None or not shared:
        if reasons is not None:
            reasons.append(refused or "no content word shared")
        return 0.0
    place = different_place(words_a, words_b, only_a, only_b) if only_a and only_b else None
    if place is not None:
        cost += PLACE_EXTRA
        score = _score(cost, shared)
    if reasons is not None:
        reasons += _reckoning(place, shared, only_a, only_b, cost, score)
    return score


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
    if not story.title:
        return None
    best, best_score = _most_similar(story.title, window, threshold)
    return DuplicateVerdict(best, best_score, "similar title") if best >= 0 else None


def _most_similar(title: str, window: Sequence[StoryKey], threshold: float) -> tuple[int, float]:
    """The index and score of the most similar title at or above ``threshold`` (-1 if none)."""
    words = content_words(title)
    in_words = frozenset(words)
    best, best_score = -1, threshold
    for i, other in enumerate(window):
        # The bound is cheap and rules out most candidates before the full judgement.
        bound = (
            _upper_bound(words, in_words, content_words(other.title), _word_set(other.title))
            if other.title
            else 0.0
        )
        if bound > best_score or (bound == best_score and best < 0):
            score = _judge(title, other.title, None, best_score)
            if score >= best_score and (best < 0 or score > best_score):
                best, best_score = i, score
                if score >= 100.0:
                    break
    return best, best_score


@lru_cache(maxsize=1 << 17)
def _word_set(title: str) -> frozenset[str]:
    """The content words of a comparable title, as a set (cached beside the words)."""
    return frozenset(content_words(title))


def _upper_bound(
    words_a: tuple[str, ...],
    in_a: frozenset[str],
    words_b: tuple[str, ...],
    in_b: frozenset[str],
) -> float:
    """A score that ``_judge`` cannot exceed for these content words, from counts alone.

    At most as many more words can be matched as the words only in ``a`` whose first letter
    starts a word only in ``b``, and one compound match per side consumes one word more; the
    words left cost at least their additions and substitutions, without numbers or places."""
    shared = len(in_a & in_b)
    left_a, left_b = len(words_a) - shared, len(words_b) - shared
    more = 0
    if left_a and left_b:
        letters = {w[0] for w in words_b if w not in in_a}
        more = min(left_b, sum(1 for w in words_a if w[0] in letters and w not in in_b))
    most = shared + more
    if not most:
        return 0.0
    rest_a, rest_b = max(0, left_a - more - 1), max(0, left_b - more - 1)
    low, high = min(rest_a, rest_b), max(rest_a, rest_b)
    return max(0.0, 100.0 - POINTS * (SUBSTITUTED * low + ADDED * (high - low)) / most)
