"""Where a rule's terms stand in displayed text, for bold and the lead sentence; pure.

What counts as a match is ``text.terms``; this module only maps it onto the text as shown. The
text is folded character by character into the normal form the terms are found in (each
character as ``normalize`` writes it, runs of spaces as one space), remembering which shown
character each folded one comes from, so a match gives back the exact span shown: "Erdoğan"
for the spelling "Erdogan", "KIM JONG–UN" for "Kim Jong-un", "地震" inside "级地震，", and
"Рutin" (a Cyrillic Р) or "Pu\\u2063tin" (an invisible separator) whole for "Putin".
A few terms over one summary need no automaton: a search per spelling is enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from alerts.text.chars import fold_lookalikes
from alerts.text.terms import TermForm, normal_form, occurrences, term_form, without_links

# ASCII as normalize writes it, one character for one: a hyphen and any white space a space.
_ASCII_FOLD = str.maketrans({c: " " for c in map(chr, range(128)) if c.isspace() or c == "-"})

Folded = tuple[str, Sequence[int]]  # the folded text, and for each character its source index

_form = lru_cache(maxsize=1024)(term_form)


@lru_cache(maxsize=8192)
def _fold(char: str, cased: bool) -> str:
    """One character in normal form; "" for marks and invisible characters, " " for dashes."""
    if char.isspace():
        return " "
    # Between digits, which are no script's letters: a Cyrillic letter alone is not in a Latin
    # word here; the look-alikes of the whole text are folded before (``_folded``).
    return normal_form(f"0{char}0", cased)[1:-1]


def find_terms(text: str, spellings: Sequence[str]) -> list[tuple[int, int]]:
    """Where the spellings occur in ``text``, as sorted (start, end), as the rules find them."""
    spans: list[tuple[int, int]] = []
    folded: dict[bool, Folded] = {}
    for spelling in dict.fromkeys(s.strip() for s in spellings):
        form = _form(spelling)
        if form is None:
            continue
        if form.cased not in folded:
            folded[form.cased] = _folded(without_links(text), form.cased)  # as the rules see it
        spans += _spans(text, folded[form.cased], form)
    return sorted(spans)


def _folded(text: str, cased: bool) -> Folded:
    """The text in normal form, each folded character with the index of the one it comes from."""
    if text.isascii():  # the common case: one character for one
        folded = (text if cased else text.lower()).translate(_ASCII_FOLD)
        return _one_space(folded, range(len(text)))
    pieces: list[str] = []
    owners: list[int] = []
    # Look-alikes depend on the word around them; the fold keeps one character for one.
    for at, char in enumerate(fold_lookalikes(text)):
        piece = _fold(char, cased)
        pieces.append(piece)
        owners += [at] * len(piece)
    return _one_space("".join(pieces), owners)


def _one_space(folded: str, owners: Sequence[int]) -> Folded:
    """Runs of spaces as one space, as in normal form; the run keeps its first space's index."""
    if "  " not in folded:
        return folded, owners
    keep = [i for i, c in enumerate(folded) if c != " " or i == 0 or folded[i - 1] != " "]
    return "".join(folded[i] for i in keep), [owners[i] for i in keep]


def _spans(text: str, folded: Folded, form: TermForm) -> list[tuple[int, int]]:
    """The shown spans of a form's matches."""
    normal, owners = folded
    spans = []
    for start, end in occurrences(form, normal):
        last = owners[end - 1] + 1
        while last < len(text) and not text[last].isspace() and not _fold(text[last], form.cased):
            last += 1  # a combining accent or a joiner belongs to the last letter
        spans.append((owners[start], last))
    return spans
