"""Roles swapped: "A beat B" against "B beat A", "X sues Y" against "Y sues X".

A relation of ``wordlists.RELATIONS`` has two sides that play different roles (the winner and
the loser, the one who sues and the one sued). In each title the *agent* is the nearest content
word before the first relation word and the *patient* the nearest after it; in the passive
("B beaten by A", "Y is sued by X") the sides change places, and a participle without "by"
("worker struck and killed in ...") has no sides. Two titles that write the relation alike have
their roles swapped when each title's agent stands on the patient's side of the other and its
patient on the agent's side, both ways. The passive retelling ("Samsung sued by Apple" for
"Apple sues Samsung") keeps the roles and is no swap; words that only move ("In Wimbledon
final, Nadal beats Federer") keep them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from alerts.dedup import wordlists as lists
from alerts.dedup.lexicon import inflections
from alerts.dedup.words import content_words

RELATION = {form: word for word in lists.RELATIONS.split() for form in inflections(word)}
_PARTICIPLE = ("ed", "en")  # headlines tell actions in the present: "-ed" is mostly passive
_BE = frozenset("is are was were be been being get gets got getting".split())


@dataclass(frozen=True, slots=True)
class Sides:
    """A title's relation (as written, and its word), and the content words on its agent's
    and its patient's side, each nearest the relation first."""

    form: str
    relation: str
    agents: tuple[str, ...]
    patients: tuple[str, ...]


@lru_cache(maxsize=1 << 14)
def sides(title: str) -> Sides | None:
    """The sides of the first relation word of a comparable title, or None."""
    words = title.split()
    for i, word in enumerate(words):
        relation = RELATION.get(word)
        if relation is None:
            continue
        before = content_words(" ".join(words[:i]))[::-1]
        after = content_words(" ".join(words[i + 1 :]))
        by = i + 1 < len(words) and words[i + 1] == "by"
        passive = by or (i > 0 and words[i - 1] in _BE and not word.endswith("ing"))
        if not before or not after or (not passive and word.endswith(_PARTICIPLE)):
            return None  # "worker struck and killed in ...": a passive without "by"
        if passive:
            return Sides(word, relation, after, before)
        return Sides(word, relation, before, after)
    return None


def swapped(a: str, b: str) -> str | None:
    """Why two comparable titles have the roles of one relation swapped, or None."""
    x, y = sides(a), sides(b)
    if x is None or y is None or x.form != y.form:  # "beats" / "beaten by" is no swap
        return None
    if _crossed(x, y) and _crossed(y, x):
        return f"roles swapped: {x.agents[0]} {x.relation} {x.patients[0]}" + (
            f" / {y.agents[0]} {y.relation} {y.patients[0]}"
        )
    return None


def _crossed(x: Sides, y: Sides) -> bool:
    """Whether ``x``'s agent is among ``y``'s patients and its patient among ``y``'s agents."""
    return x.agents[0] in y.patients and x.patients[0] in y.agents
