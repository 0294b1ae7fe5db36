"""Text normalisation shared by the rules and dedup stages; pure, standard library only.

``normalize`` is the one definition of "the same words" in the bot: HTML entities decoded,
Cyrillic and Greek look-alikes inside a Latin word made Latin ("Рutin" with a Cyrillic Р),
Unicode NFKC, every default-ignorable character dropped (zero-width and bidi controls, the
invisible separator, Hangul fillers: "Pu\\u2063tin" = Putin), case-folded, accents removed
(Erdoğan = Erdogan, São Paulo = Sao Paulo), every hyphen and dash a space, curly quotes
straight, runs of white space one space. The two character tables are in ``text.chars``.
"""

from __future__ import annotations

import html
import re
import unicodedata

from alerts.text.chars import IGNORABLE, fold_lookalikes

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
# Combining diacritics (Latin, Greek, Cyrillic accents). Marks that are part of a script's
# spelling (Thai, Devanagari vowel signs) are kept.
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


# Scripts written without spaces between words, and Hangul (particles attach to the word):
# terms match inside words there (rules), and sentences join without a space (summary).
UNSPACED = (
    (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1100, 0x11FF), (0x1780, 0x17FF), (0x2E80, 0x2FDF),
    (0x3040, 0x30FF), (0x3100, 0x318F), (0x31A0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
    (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFF66, 0xFFDC), (0x20000, 0x3FFFF),
)  # fmt: skip


def is_unspaced(char: str) -> bool:
    """Whether a character belongs to a script that does not put spaces between words."""
    code = ord(char)
    # Latin, Greek, Cyrillic, Arabic, Indic...: below Thai, the first range; one comparison.
    return code >= UNSPACED[0][0] and any(low <= code <= high for low, high in UNSPACED)


def strip_accents(text: str) -> str:
    """Remove diacritics: São Paulo -> Sao Paulo (NFD, drop combining marks, NFC)."""
    return unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFD", text)))


def normalize(text: str) -> str:
    """The comparable form of a text, for matching and dedup."""
    if "&" in text:
        text = html.unescape(text)
    if text.isascii():  # the common case, and the same result: casefold is lower for ASCII
        return collapse_space(text.lower().replace("-", " "))
    # Ignorables go after NFKC, which turns some into others (U+3164 into U+1160).
    text = unicodedata.normalize("NFKC", fold_lookalikes(text))
    text = strip_accents(IGNORABLE.sub("", text).casefold())
    text = _DASHES.sub(" ", text).translate(_QUOTES)
    return collapse_space(text)


def normalize_cased(text: str) -> str:
    """As :func:`normalize` but keeping case, for terms that are matched case-sensitively."""
    text = html.unescape(text)
    text = unicodedata.normalize("NFKC", fold_lookalikes(text))
    text = strip_accents(IGNORABLE.sub("", text))
    text = _DASHES.sub(" ", text).translate(_QUOTES)
    return collapse_space(text)


def collapse_space(text: str) -> str:
    """Runs of white space as one space, ends trimmed. ``str.split`` splits where ``\\s+`` would
    match (both ask ``Py_UNICODE_ISSPACE``: checked over every code point) at a quarter of
    ``re.sub``'s cost on a 2 KB text."""
    return " ".join(text.split())
