"""How a rule term matches: the one definition, for the rules engine and the message; pure.

Policy (the README says the same):

- **Normalisation** of text and terms (``text.normalize``): HTML entities decoded, NFKC,
  case-folded, accents removed (Erdoğan = Erdogan), every hyphen and dash a space, runs of white
  space one space, curly quotes straight. Every default-ignorable code point (zero-width and
  bidi controls, U+2063, Hangul fillers, variation selectors) is dropped: "Pu\\u2063tin" is
  Putin. Cyrillic and Greek letters that look Latin are read as Latin only inside a word that
  mixes them with Latin letters ("Рutin" with a Cyrillic Р is Putin); a word all in Cyrillic or
  Greek stays as written ("Путин" is not Putin: give the alias). The tables are ``text.chars``.
- **Whole words.** A term matches only where the characters just before and just after it are
  not letters or digits: "Putin" never matches "Rasputin", "Kim" never "Kimchi", "Kim Jong-un"
  never "Kim Jong-unification"; "U.S." and "AT&T" match themselves; a possessive matches
  ("Putin's", "Putin’s": an apostrophe is not a letter). A term ending in ``*`` matches any
  word ending, including none ("missile*": missile, missiles). Where a term begins or ends in a
  script written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese)
  or in Korean, whose particles attach to the word ("푸틴은"), that side is not checked, so such
  terms match as substrings.
- **Acronyms.** A spelling of 2 to 5 letters all in capitals (US, EU, WHO, NATO, DPRK) matches
  only the same letters in capitals or with only the first capital ("NATO", "Nato"), never in
  lower case ("us", "who"); it is matched on the text before case-folding (``normalize_cased``).
- **Never inside a link.** Nothing matches inside a URL or an e-mail address of the text
  (:func:`without_links`): a word with a scheme (``https://``, ``ftp://``), one starting
  ``www.``, a host name followed by a path (``apple.co/3xY``, ``bit.ly/abc``), and
  ``name@host.tld``. A podcast's "Apple: https://apple.co/..." never fires ``Apple`` by its
  link, and ``Putin`` never fires on ``kremlin.ru/putin-visit``. A host name alone
  ("Apple.com said") is a name in the text, not a link, and still matches. The link's
  characters are replaced by ``/``, one for one, so the words on either side stay apart (no
  phrase forms across a link) and a position in the text is the same in its masked form.
- **Regular expressions.** A term written ``/.../`` is not a spelling: the rules engine runs it
  (``text.regex``), and it has no form here.

A spelling becomes a :class:`TermForm`: the texts to look for in the normal form of a text and
the sides that must be word boundaries. The rules engine puts the texts of every form into its
automaton and keeps a raw hit when :meth:`TermForm.fits`; ``text.spans`` finds the few terms of
one alert in displayed text with :func:`occurrences`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from alerts.text.normalize import is_unspaced, normalize, normalize_cased
from alerts.text.regex import is_regex_term

# Where a link ends: white space, or a quote or bracket around it.
_URL_CHARS = r"[^\s<>\"'“”‘’«»()\[\]{}]"
_LINK = re.compile(
    rf"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.){_URL_CHARS}+"  # a scheme, or www.
    rf"|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # an e-mail address
    rf"|\b(?:[a-z0-9-]+\.)+[a-z]{{2,24}}/{_URL_CHARS}*",  # a host name and a path
    re.IGNORECASE,
)
_LINK_MASK = "/"


def without_links(text: str) -> str:
    """The text with every URL and e-mail address masked, one character for one (see policy)."""
    if "/" not in text and "@" not in text and "www." not in text.lower():
        return text  # the common case costs a few scans
    return _LINK.sub(lambda m: _LINK_MASK * len(m[0]), text)


def is_acronym(spelling: str) -> bool:
    """2 to 5 letters, all capitals: matched case-sensitively (NATO, Nato; never nato)."""
    return 2 <= len(spelling) <= 5 and spelling.isalpha() and spelling.isupper()


@dataclass(frozen=True, slots=True)
class TermForm:
    """How one spelling is looked for: its texts in normal form, and which sides are checked."""

    spelling: str  # as written, white space trimmed
    texts: tuple[str, ...]  # an acronym has two: "NATO", "Nato"
    cased: bool  # found in ``normalize_cased`` text (acronyms), else in ``normalize`` text
    left: bool  # the character before may not be a letter or digit
    right: bool  # the character after may not be a letter or digit
    extends: bool  # a trailing ``*``: the match runs on to the end of the word

    def fits(self, text: str, start: int, end: int) -> bool:
        """Whether one of the texts, found at ``text[start:end]``, is a match: whole words."""
        if self.left and start > 0 and text[start - 1].isalnum():
            return False
        return not (self.right and end < len(text) and text[end].isalnum())

    def word_end(self, text: str, end: int) -> int:
        """Where a match found up to ``end`` ends: a trailing ``*`` takes the rest of the word."""
        while self.extends and end < len(text) and text[end].isalnum():
            end += 1
        return end


def normal_form(text: str, cased: bool) -> str:
    """A text as the forms' texts are found in it: its links masked, then ``normalize``, or for
    acronyms (``cased``) ``normalize_cased``."""
    text = without_links(text)
    return normalize_cased(text) if cased else normalize(text)


def term_form(spelling: str) -> TermForm | None:
    """How a spelling is matched; None for a ``/regex/`` or a spelling without text."""
    spelling = spelling.strip()
    if is_regex_term(spelling):
        return None
    if is_acronym(spelling):
        variants = dict.fromkeys((spelling, spelling[0] + spelling[1:].lower()))
        texts = tuple(dict.fromkeys(normalize_cased(v) for v in variants))
        return TermForm(spelling, texts, cased=True, left=True, right=True, extends=False)
    wildcard = spelling.endswith("*")
    text = normalize(spelling.rstrip("*"))
    if not text:
        return None
    # No boundary on a side written in an unspaced script: 地震 in 级地震, 푸틴 in 푸틴은.
    left, right = not is_unspaced(text[0]), not is_unspaced(text[-1])
    extends = right and wildcard
    return TermForm(spelling, (text,), False, left, right and not wildcard, extends)


def occurrences(form: TermForm, text: str) -> Iterator[tuple[int, int]]:
    """The matches of a form in a text already in its normal form: (start, end), left to right,
    none overlapping the one before."""
    ahead = [_next(form, text, wanted, 0) for wanted in form.texts]
    while found := [hit for hit in ahead if hit is not None]:
        start, end = min(found)
        yield start, end
        # Each text's next match is searched again only once the last match passed it.
        ahead = [
            _next(form, text, wanted, end) if hit is not None and hit[0] < end else hit
            for wanted, hit in zip(form.texts, ahead, strict=True)
        ]


def _next(form: TermForm, text: str, wanted: str, at: int) -> tuple[int, int] | None:
    """The first match of one of the form's texts at or after ``at``."""
    start = text.find(wanted, at)
    while start >= 0:
        end = start + len(wanted)
        if form.fits(text, start, end):
            return start, form.word_end(text, end)
        start = text.find(wanted, start + 1)
    return None
