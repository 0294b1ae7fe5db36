"""Text normalisation shared by the rules and dedup stages; pure, standard library only.

``normalize`` is the one definition of "the same words" in the bot: HTML entities decoded,
Unicode NFKC, case-folded, accents removed (Erdoğan = Erdogan, São Paulo = Sao Paulo), every
hyphen and dash a space, curly quotes straight, runs of white space one space.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Every Unicode dash and hyphen (category Pd) plus the minus sign and soft hyphen's neighbours.
_DASHES = re.compile(
    r"[\u002d\u058a\u05be\u1400\u1806\u2010-\u2015\u2212\u2e17\u2e1a"
    r"\u2e3a\u2e3b\u2e40\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d]"
)
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u2060\ufeff\u202a-\u202e]")
_SPACE = re.compile(r"\s+")
# Combining diacritics (Latin, Greek, Cyrillic accents). Marks that are part of a script's
# spelling (Thai, Devanagari vowel signs) are kept.
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def strip_accents(text: str) -> str:
    """Remove diacritics: São Paulo -> Sao Paulo (NFD, drop combining marks, NFC)."""
    return unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFD", text)))


def normalize(text: str) -> str:
    """The comparable form of a text, for matching and dedup."""
    if "&" in text:
        text = html.unescape(text)
    if text.isascii():  # the common case, and the same result: casefold is lower for ASCII
        return _SPACE.sub(" ", text.lower().replace("-", " ")).strip()
    text = unicodedata.normalize("NFKC", text)
    text = strip_accents(_INVISIBLE.sub("", text).casefold())
    text = _DASHES.sub(" ", text).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip()


def normalize_cased(text: str) -> str:
    """As :func:`normalize` but keeping case, for terms that are matched case-sensitively."""
    text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text)
    text = strip_accents(_INVISIBLE.sub("", text))
    text = _DASHES.sub(" ", text).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip()


def collapse_space(text: str) -> str:
    """Runs of white space as one space, ends trimmed."""
    return _SPACE.sub(" ", text).strip()
