"""The guards: why two titles cannot be one story, whatever their score.

Judged mostly on the words only one title has (``align``), in this order, each refusal giving
the score 0 with its reason. A *hard* refusal (``HARD``) binds the semantic stage too: meaning
cannot overrule it. A soft one only stops the string stage: the titles disagree in a way that
retellings of one event also do.

- **figures differ in one template** (hard): the titles are the same words in the same order
  but for their numbers ("Nikkei opens 1% lower" / "2% lower", "kills 12" / "kills 21"): a
  template headline that an outlet fills in again for another day, market or event;
- **numbers differ** (soft): different numbers along with other words ("8 killed in ..." /
  "at least 6 dead in ..."), or a number against a vague quantity ("8 killed" / "several
  killed"): early reports of one event count differently;
- **changed key word** (hard): two values of one axis of ``wordlists.KEY_WORDS`` ("rise" /
  "fall", "wins" / "loses", "opens" / "closes", another weekday, month or compass point);
- **negation on one side only** (hard when the word it negates is in the other title: "will
  not raise" / "will raise"; soft, *negation in one title*, when the titles word the story
  apart: "should not slow taper" / "taper pace may be too slow"); "no" on the other side is
  enough to count as negated there;
- **roles swapped** (hard, ``roles``): "A beat B" / "B beat A"; the passive is no swap;
- **short title** (soft): below ``SHORT_TITLE_WORDS`` content words every word must be shared.

Before these, dated titles (``dates``): **another date or edition** (hard), and **different
titles beside the date** (hard): two titles with the same date whose rest shares no word
("Show A: September 20" / "Show B: September 20"). After them, on stories (``names``):
**another name** (hard): every word only one title has is a name, on both sides.

A **different place** (``different_place``) is no refusal but a cost that ``scoring`` adds,
because the gazetteer is incomplete and some of its names are also common words.
"""

from __future__ import annotations

from alerts.dedup import wordlists as lists
from alerts.dedup.align import same_word
from alerts.dedup.lexicon import KEY, PLACE_SET, within
from alerts.dedup.roles import swapped

SHORT_TITLE_WORDS = 3  # content words; below this, every word must be shared
SOFT = (
    "numbers differ",
    "negation in one title",
    "short title",
)  # the refusals that the semantic stage may overrule

Words = tuple[str, ...]


def hard(reason: str) -> bool:
    """Whether a refusal binds the semantic stage too."""
    return not reason.startswith(SOFT)


def refusal(
    titles: tuple[str, str], a: Words, b: Words, only_a: list[str], only_b: list[str]
) -> str | None:
    """Why comparable ``titles`` of content words ``a`` and ``b`` cannot be one story, or None.
    A hard refusal comes before a soft one."""
    numbers = _numbers_differ(a, b, only_a, only_b)
    if numbers is not None and hard(numbers):
        return numbers
    return (
        _changed_key_word(only_a, only_b)
        or _one_sided_negation(a, b)
        or swapped(*titles)
        or numbers
        or _short_title(a, b, only_a, only_b)
    )


def _numbers_differ(a: Words, b: Words, only_a: list[str], only_b: list[str]) -> str | None:
    nums_a = [w for w in only_a if w.isdigit()]
    nums_b = [w for w in only_b if w.isdigit()]
    if nums_a and nums_b:
        figures = f"{' '.join(nums_a)} vs {' '.join(nums_b)}"
        if _one_template(a, b):
            return f"figures differ in one template: {figures}"
        return f"numbers differ: {figures}"
    vague = [w for w in (only_b if nums_a else only_a) if w in lists.VAGUE_QUANTITIES]
    if (nums_a or nums_b) and vague:
        return f"numbers differ: {' '.join(nums_a or nums_b)} vs {vague[0]}"
    return None


def _one_template(a: Words, b: Words) -> bool:
    """Whether two titles are the same words in the same order, but for their numbers."""
    return len(a) == len(b) and all(
        x == y or (x.isdigit() and y.isdigit()) or same_word(x, y)
        for x, y in zip(a, b, strict=True)
    )


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
    """A negation in one title only: hard when the word it negates is in the other title
    ("will not raise" / "will raise"), soft when the titles word the story apart."""
    for negated, other in ((a, b), (b, a)):
        negation = lists.NEGATIONS.intersection(negated)
        if negation and lists.NEGATIVES.isdisjoint(other):
            word = min(negation)
            after = negated.index(word) + 1
            if after < len(negated) and negated[after] in other:
                return f"negation on one side only: {word}"
            return f"negation in one title: {word}"
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
