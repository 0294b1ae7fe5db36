"""Three character tables of Unicode's, and the look-alike fold; pure, standard library only.

- **Default-ignorable code points** (``IGNORABLE``): the characters a renderer shows as nothing
  when it cannot show them (UAX #44), so a word with one inside looks whole: "Pu\\u2063tin" is
  shown "Putin". ``normalize`` drops them all. The table is the property
  Default_Ignorable_Code_Point of Unicode's DerivedCoreProperties.txt, version 14.0 (Python
  3.11's ``unicodedata``; the set is the same in the newer tables of the ``regex`` package,
  2026.11), derived there as Other_Default_Ignorable_Code_Point + Cf (format controls) +
  Variation_Selector - White_Space - FFF9..FFFB (interlinear annotation) - 13430..1343F
  (Egyptian format controls) - Prepended_Concatenation_Mark; ``tests/test_terms.py`` derives it
  again from ``unicodedata`` to check it.
- **Invisible formatting characters** (``INVISIBLE``): zero-width space, non-joiner and joiner
  (U+200B-U+200D), the word joiner and invisible operators (U+2060-U+2064), the BOM (U+FEFF),
  the Mongolian vowel separator (U+180E), and the bidi marks, embeddings, overrides and isolates
  (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069, U+206A-U+206F): a subset of the ignorable ones
  that never carries a letter's meaning at the edge of a line or beside a space. Inside a word
  some do (the non-joiner in Persian, the joiner in emoji), so :func:`strip_invisible` leaves those.
- **Latin look-alikes of Cyrillic and Greek letters** (``_LOOKALIKES``): from Unicode's
  confusables.txt (UTS #39, version 17.0.0), every entry whose source is one Cyrillic or Greek
  letter (Lu, Ll) and whose prototype is the prototype of an ASCII letter, mapped to that ASCII
  letter in the source's case (the prototype of Greek Ι is "l", as is Latin I's: Ι becomes I).
  They are folded only inside a word that mixes them with Latin letters (:func:`fold_lookalikes`):
  "Рutin" with a Cyrillic Р is Putin, while the all-Cyrillic "Путин" and the all-Greek "Νέα"
  stay as written.
"""

from __future__ import annotations

import re

# Ranges of DerivedCoreProperties.txt, Default_Ignorable_Code_Point (Unicode 14.0).
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
IGNORABLE_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in _IGNORABLE_RANGES)
IGNORABLE = re.compile(f"[{IGNORABLE_CLASS}]")

INVISIBLE = re.compile("[\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
_INVISIBLE_CLASS = INVISIBLE.pattern[1:-1]
# A run of invisible characters and white space with at least one invisible character in it.
_INVISIBLE_RUN = re.compile(rf"[\s{_INVISIBLE_CLASS}]*{INVISIBLE.pattern}[\s{_INVISIBLE_CLASS}]*")


def strip_invisible(line: str) -> str:
    """``line`` without invisible characters at its edges and beside spaces; those inside a
    word (between two visible characters) are kept."""
    if not INVISIBLE.search(line):
        return line
    return _INVISIBLE_RUN.sub(_space_or_kept, line)


def _space_or_kept(run: re.Match[str]) -> str:
    if run.start() == 0 or run.end() == len(run.string):
        return ""
    return " " if any(c.isspace() for c in run.group()) else run.group()


_LOOKALIKES = str.maketrans(
    "ͿΑΒΕΖΗΙΚΜΝΟΡΤΥΧαγινορσυϒϜϱϲϳϸϹϺЅІЈАВЕКМНОРСТУХЬагеорсухшѕіјѡѴѵҮүһҽӀӏԁԌԛԜԝᴦιꙇ",
    "JABEZHIKMNOPTYXayivopouYFpcjpCMSIJABEKMHOPCTYXbareopcyxwsijwVvYyheIldGqWwrii",
)
_LOOKALIKE = re.compile("[" + "".join(chr(code) for code in _LOOKALIKES) + "]")
# Latin letters: ASCII, Latin-1 and the Latin Extended blocks, and the fullwidth ones.
_LATIN_CLASS = (
    r"A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff\u2c60-\u2c7f"
    r"\ua720-\ua7ff\uab30-\uab6f\uff21-\uff3a\uff41-\uff5a"
)
_LATIN = re.compile(f"[{_LATIN_CLASS}]")
# A word's characters: letters, digits, and the marks and invisible characters inside it, which
# are part of how it is shown ("Р\u200butin" is one word on screen).
_IN_WORD = (
    r"\w\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
    + IGNORABLE_CLASS
)
# A whole word with a Latin letter in it. In linear time: the look-ahead is tried only at the
# start of a word and stops at its end.
_LATIN_WORD = re.compile(rf"(?<![{_IN_WORD}])(?=[{_IN_WORD}]*?[{_LATIN_CLASS}])[{_IN_WORD}]+")


def fold_lookalikes(text: str) -> str:
    """Cyrillic and Greek letters that look Latin, as Latin, in words that mix them with Latin
    letters; one character for one, so positions in the text are kept."""
    # The common cases, at C speed: no look-alike at all (English), no Latin letter (Russian).
    if not _LOOKALIKE.search(text) or not _LATIN.search(text):
        return text
    return _LATIN_WORD.sub(_fold_word, text)


def _fold_word(word: re.Match[str]) -> str:
    text = word.group()
    return text.translate(_LOOKALIKES) if _LOOKALIKE.search(text) else text
