"""The words around a rule's hit, quoted for ``explain``: ``"... police in [Auckland] said ..."``.

A hit is found again in the text as shown, the way the message's bold finds it
(``text.spans``), and quoted with up to 6 words on each side, marked with brackets; an ellipsis
says the text goes on. A regular expression is found in the normal form of the text, which
is quoted instead (lower case, dashes as spaces), as the rules engine reads it.
"""

from __future__ import annotations

import re

from alerts.models import TermHit
from alerts.text.regex import compile_regex
from alerts.text.spans import find_terms
from alerts.text.terms import normal_form

WORDS_AROUND = 6
_SPACE = re.compile(r"\s+")


def context(hit: TermHit, text: str) -> str:
    """The hit in its words, quoted; its offset when it cannot be found again."""
    if hit.kind == "regex":
        normal = normal_form(text, cased=False)
        found = compile_regex(hit.matched[1:-1]).search(normal)
        return quote(normal, found[0], found[0] + len(found[1])) if found else f"at {hit.position}"
    spans = find_terms(text, [hit.matched])
    return quote(text, *spans[0]) if spans else f"at {hit.position}"


def quote(text: str, start: int, end: int, words: int = WORDS_AROUND) -> str:
    """``text[start:end]`` in brackets, with up to ``words`` words on each side, quoted."""
    before = text[:start].split()
    after = text[end:].split()
    left = " ".join(before[-words:]) if before else ""
    right = " ".join(after[:words]) if after else ""
    # A word the hit is part of ("Putin's", "级地震") stays glued to it: no space is added.
    sep_left = " " if left and text[start - 1].isspace() else ""
    sep_right = " " if right and end < len(text) and text[end].isspace() else ""
    opened = "…" if len(before) > words else ""
    closed = "…" if len(after) > words else ""
    hit = _SPACE.sub(" ", text[start:end])
    return f'"{opened}{left}{sep_left}[{hit}]{sep_right}{right}{closed}"'
