"""Which content words two titles share, and which only one of them has.

Two different words are one word when they differ only by an ending ("protest"/"protesters",
"marry"/"married", "Afghan"/"Afghanistan"), when one abbreviates the other ("Aust"/"Australia",
"Sept"/"September"), when one is two words of the other joined ("faceoff"/"face off"), or when
a long word (six letters or more) has one typo ("cemetary": rapidfuzz ratio >= 85). Digits are
never another number, and two canonical places are never one place (India is not Indiana).
The only rapidfuzz import of the bot.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from alerts.dedup import wordlists as lists
from alerts.dedup.lexicon import PLACE_SET


def align(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[int, list[str], list[str]]:
    """Shared word count, and the words only in ``a`` and only in ``b``."""
    in_a, in_b = set(a), set(b)
    only_a = [w for w in a if w not in in_b]
    only_b = [w for w in b if w not in in_a]
    shared = len(a) - len(only_a)
    if only_a and only_b:
        rest_a = []
        for x in only_a:
            for j, y in enumerate(only_b):
                if y[0] == x[0] and same_word(x, y):
                    del only_b[j]
                    shared += 1
                    break
            else:
                rest_a.append(x)
        only_a = rest_a
        if only_a and only_b and len(only_a) + len(only_b) > 2:  # a compound and two halves
            shared += _join_compounds(only_a, only_b) + _join_compounds(only_b, only_a)
    return shared, only_a, only_b


def _join_compounds(words: list[str], halves: list[str]) -> int:
    """Match a word of ``words`` with two neighbours of ``halves`` ("faceoff"/"face off")."""
    for i in range(len(halves) - 1):
        joined = halves[i] + halves[i + 1]
        if joined in words:
            words.remove(joined)
            del halves[i : i + 2]
            return 1
    return 0


def same_word(x: str, y: str) -> bool:
    """Whether two different words are one word (see the docstring); digits never are."""
    if x[0] != y[0] or x.isdigit() or y.isdigit():
        return False
    if x in PLACE_SET and y in PLACE_SET:
        return False  # canonical already: India is not Indiana
    p, n = 1, min(len(x), len(y))
    while p < n and x[p] == y[p]:
        p += 1
    rest_x, rest_y = x[p:], y[p:]
    if p >= 4 and (not rest_x or not rest_y):
        return True  # an ending or an abbreviation: "protest"/"protesters", "fest"/"festival"
    if p >= 4 and _ending(rest_x, x[p - 1]) and _ending(rest_y, y[p - 1]):
        return True  # "rally"/"rallies", "syrian"/"syria" (also canonical already)
    if p == 3 and _inflection(rest_x, x[2]) and _inflection(rest_y, y[2]):
        return True  # "win"/"winning", "die"/"died", but not "arm"/"army"
    return min(len(x), len(y)) >= 6 and abs(len(x) - len(y)) <= 1 and fuzz.ratio(x, y) >= 85


def _ending(rest: str, last: str) -> bool:
    """An inflection or demonym ending."""
    return rest in lists.ENDINGS or _inflection(rest, last)


def _inflection(rest: str, last: str) -> bool:
    """A plain inflection, also after a doubled consonant ("stop" -> "stopped")."""
    return rest in lists.PLAIN_ENDINGS or (
        len(rest) >= 3 and rest[0] == last and rest[1:] in ("ing", "ed", "er", "ers")
    )
