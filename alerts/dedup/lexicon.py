"""The word lists of ``wordlists`` read into lookup tables, and the place lookups over them.

Built once at import: each place's parent (a city within its country, a state within the US),
every place, the other names of a place ("syrian" is read by its ending, "british" is listed),
the place names of several words as phrases (also with a demonym ending: "south korean" =
``south_korea``), and each form of a key word with its axis and value ("rises" -> direction
+), which the guards compare.
"""

from __future__ import annotations

from alerts.dedup import wordlists as lists


def _entries(text: str) -> list[tuple[str, list[str]]]:
    """``head: word word; head: word`` lines as (head, words) pairs."""
    out = []
    for entry in text.replace("\n", ";").split(";"):
        head, _, words = entry.partition(":")
        if head.strip():
            out.append((head.strip(), words.split()))
    return out


def inflections(word: str) -> set[str]:
    """A word with its regular -s, -es, -ed, -d and -ing forms."""
    forms = {word, word + "s", word + "es", word + "ed", word + "d", word + "ing"}
    if word.endswith("e"):
        forms.add(word[:-1] + "ing")
    if word.endswith("y"):
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    return forms


def _gazetteer(text: str) -> tuple[dict[str, str], frozenset[str]]:
    """Each place's parent, and all places."""
    parent: dict[str, str] = {}
    for head, words in _entries(text):
        for word in words:
            parent.setdefault(word, head)
    return parent, frozenset(parent) | {head for head, _ in _entries(text)}


def _key_table(text: str) -> dict[str, tuple[str, str]]:
    """Each key word form's (axis, value)."""
    table: dict[str, tuple[str, str]] = {}
    for head, words in _entries(text):
        axis, value = head.split("=") if "=" in head else (head[:-1], head[-1])
        for word in words:
            for form in inflections(word) if "=" not in head else {word}:
                table.setdefault(form, (axis, value))
    return table


PARENT, PLACE_SET = _gazetteer(lists.PLACES)
ALIAS = {w: head for head, words in _entries(lists.PLACE_NAMES) for w in words}
KEY = _key_table(lists.KEY_WORDS)
_PHRASES = {name.replace("_", " "): name for name in PLACE_SET | set(ALIAS) if "_" in name}
PHRASE_LENGTHS = sorted({name.count(" ") + 1 for name in _PHRASES}, reverse=True)
PHRASE_STARTS = frozenset(name.split()[0] for name in _PHRASES)
PHRASE_FORMS = {  # with demonym endings: "south korean" = "south_korea"
    phrase + ending: name
    for phrase, name in _PHRASES.items()
    for ending in ("", "n", "ns", "an", "ans", "ian", "ians", "i", "is", "ese")
}


def place(word: str) -> str | None:
    """The canonical place a word names ("syrian" -> "syria"), or None."""
    word = ALIAS.get(word, word)
    if word in PLACE_SET:
        return word
    if word.endswith("s") and len(word) > 5 and (found := place(word[:-1])):
        return found  # Nigerians
    for ending in lists.DEMONYM_ENDINGS:
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= 3:
            for candidate in (stem, stem + "a", stem + "e", stem + "y", stem + "o"):
                if candidate in PLACE_SET:
                    return candidate
    return None


def within(inner: str, outer: str) -> bool:
    """Whether ``inner`` is ``outer`` or lies within it (Aleppo within Syria)."""
    while inner != outer and inner in PARENT:
        inner = PARENT[inner]
    return inner == outer
