"""The guards: why two titles cannot be one story, whatever their score.

Judged mostly on the words only one title has (``align``), in this order, each refusal giving
the score 0 with its reason:

- **numbers differ**: different numbers ("kills 12" / "kills 21"), or a number against a vague
  quantity ("killing 40" / "killing dozens");
- **changed key word**: two values of one axis of ``wordlists.KEY_WORDS`` ("rise"/"fall",
  "wins"/"loses", "opens"/"closes", another weekday, month or compass point);
- **negation on one side only** ("will not raise" / "will raise"; "no" on the other side is
  enough to count as negated there);
- **short title**: below ``SHORT_TITLE_WORDS`` content words every word must be shared.

A **different place** (``different_place``) is no refusal but a cost that ``scoring`` adds,
because the gazetteer is incomplete and some of its names are also common words.
"""

from __future__ import annotations

from alerts.dedup import wordlists as lists
from alerts.dedup.lexicon import KEY, PLACE_SET, within

SHORT_TITLE_WORDS = 3  # content words; below this, every word must be shared

Words = tuple[str, ...]


def refusal(a: Words, b: Words, only_a: list[str], only_b: list[str]) -> str | None:
    """Why titles of content words ``a`` and ``b`` cannot be one story, or None."""
    return (
        _numbers_differ(only_a, only_b)
        or _changed_key_word(only_a, only_b)
        or _one_sided_negation(a, b)
        or _short_title(a, b, only_a, only_b)
    )


def _numbers_differ(only_a: list[str], only_b: list[str]) -> str | None:
    nums_a = [w for w in only_a if w.isdigit()]
    nums_b = [w for w in only_b if w.isdigit()]
    if nums_a and nums_b:
        return f"numbers differ: {' '.join(nums_a)} vs {' '.join(nums_b)}"
    vague = [w for w in (only_b if nums_a else only_a) if w in lists.VAGUE_QUANTITIES]
    if (nums_a or nums_b) and vague:
        return f"numbers differ: {' '.join(nums_a or nums_b)} vs {vague[0]}"
    return None


def _changed_key_word(only_a: list[str], only_b: list[str]) -> str | None:
    axes_a, axes_b = _key_words(only_a), _key_words(only_b)
    for axis in axes_a:  # in the order of the words
        if axis in axes_b and axes_a[axis].keys().isdisjoint(axes_b[axis]):
            return f"changed key word: {min(axes_a[axis].values())}/{min(axes_b[axis].values())}"
    return None


def _key_words(words: list[str]) -> dict[str, dict[str, str]]:
    """The key words among ``words``: axis -> value -> word."""
    axes: dict[str, dict[str, str]] = {}
    for w in words:
        if w in KEY:
            axis, value = KEY[w]
            axes.setdefault(axis, {}).setdefault(value, w)
    return axes


def _one_sided_negation(a: Words, b: Words) -> str | None:
    for negated, other in ((a, b), (b, a)):
        negation = lists.NEGATIONS.intersection(negated)
        if negation and lists.NEGATIVES.isdisjoint(other):
            return f"negation on one side only: {min(negation)}"
    return None


def _short_title(a: Words, b: Words, only_a: list[str], only_b: list[str]) -> str | None:
    """A short title is contained in any title that repeats it: all its words must be shared,
    and the other title may add none."""
    if min(len(a), len(b)) >= SHORT_TITLE_WORDS or not (only_a or only_b):
        return None
    return (
        f"short title: fewer than {SHORT_TITLE_WORDS} content words, so every word must"
        f" be shared (only in one: {' '.join(only_a + only_b)})"
    )


def different_place(
    a: Words, b: Words, only_a: list[str], only_b: list[str]
) -> tuple[str, str] | None:
    """A place only in each title that the other's most specific places neither contain nor
    lie within (Aleppo against Damascus even when one title also says Syria)."""
    x = _foreign(only_a, _specific(b))
    y = _foreign(only_b, _specific(a)) if x is not None else None
    return (x, y) if x is not None and y is not None else None


def _specific(words: Words) -> list[str]:
    """The places among ``words`` that contain no other of them (Aleppo, not Syria)."""
    places = [w for w in words if w in PLACE_SET]
    return [p for p in places if not any(o != p and within(o, p) for o in places)]


def _foreign(words: list[str], places: list[str]) -> str | None:
    """The first place of ``words`` that none of ``places`` contains or lies within."""
    for w in words:
        if w in PLACE_SET and not any(within(w, p) or within(p, w) for p in places):
            return w
    return None
