"""Clean article text and pick a short summary; pure, standard library only.

Policy, in order:

1. HTML to text with the standard library's HTML parser (``html.parser``, not regular
   expressions over HTML): entities decoded, and decoded once more where the text still holds
   entity references (a feed that escaped them twice: ``&amp;amp;``); ``script``/``style``/
   ``iframe``/forms dropped; block elements become paragraph breaks. For the summary (not for
   the rules), a list (``ul``/``ol``) whose every item is mostly link text is dropped: Google
   News' related headlines, share buttons, navigation.
2. Boilerplate is dropped by the patterns of ``alerts.message.boilerplate``, line by line and then
   sentence by sentence: a tail marker ends the article (comment forms, "The post ... appeared
   first on ...", Reddit's "submitted by /u/...", copyright notices); a noise line is dropped
   alone ("Read more: URL", "Continue reading", share and like buttons, "Your browser does not
   support iframes.", bylines, e-mail addresses); an excerpt's trailing "[…]" becomes "…".
3. The title is removed from the start, as often as it is repeated there (scraped pages
   repeat it as a heading and a caption), and with it the punctuation and emoji it leaves.
4. Sentences end at ``。``, ``！`` or ``？`` (closing quotes and brackets included) as they
   stand, and at ``.``, ``!``, ``?``, ``…``, ``؟``, ``۔`` or ``।`` followed by a space and a
   letter that is not lower case (a capital of any script, or a letter of a script without
   case: Arabic, Hebrew, Hangul, CJK, Thai), a digit, or a quote before one; never after known
   abbreviations (Mr., U.S., Jan., No. 10) and initials.
5. The summary is the lead sentences that fit ``limit`` characters, joined by a space, or by
   nothing after a full-width stop (Chinese, Japanese). After a whole sentence, a fragment with
   no sentence end (a caption, a heading, a button label) ends the lead. When the first
   sentence alone is longer, it is cut at a word and ends with an ellipsis. When ``terms`` are
   given and the lead carries none of them, the first sentence that does is used instead, so
   the alert shows the watched name.
6. Terms are found as the rules engine finds them (:func:`find_terms`, which ``render``
   uses to bold them): accents, case, dashes and spaces ignored; whole words, possessives
   included; a trailing ``*`` for any word ending; no word boundary on a side written in an
   unspaced script or Hangul; acronyms of 2 to 5 capitals case-sensitive (US, Us; never us).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from html.parser import HTMLParser

from alerts.message.boilerplate import LinkList, is_noise, is_tail, mark_excerpt
from alerts.text.normalize import collapse_space, is_unspaced, normalize, normalize_cased

_BLOCK = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote tr table section article header footer pre"
    " hr figure figcaption dd dt dl aside nav main address".split()
)
_SKIP = frozenset(
    "script style noscript template head iframe object svg form button select textarea"
    " title".split()
)
_LISTS = frozenset({"ul", "ol"})
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st mt jr sr gen col lt sgt capt sen rep gov pres rev hon inc corp ltd co"
    " no nos vs etc approx dept est fig jan feb mar apr jun jul aug sep sept oct nov dec"
    " u.s u.k u.n e.g i.e a.m p.m ft".split()
)
_WORD = re.compile(r"[^\W_]+")
_CLOSERS = "\"'”’»)\\]」』）】〕》〉"
_OPENERS = "\"'“‘«(\\[「『（"
# A full-width stop ends a sentence as it stands; any other stop only before a space and a
# letter or digit (group 1), which _ends_sentence then judges. A match starts only where a run
# of stops starts, so a hostile run of 100,000 dots costs linear time, not quadratic.
_SENTENCE_END = re.compile(
    rf"[。！？]++[{_CLOSERS}]*+"
    rf"|(?<![.!?…؟۔।])[.!?…؟۔।]++[{_CLOSERS}]*+(?=\s+[{_OPENERS}]?([^\W_]))"
)
_WORD_BEFORE = re.compile(rf"([\w.]+)[.!?…]*[{_CLOSERS}]*$")
_ENDS_WELL = re.compile(rf"([.!?…。！？؟۔।][{_CLOSERS}]*|[”’»\"'」』])$")
_UNSPACED_END = re.compile(rf"[。！？][{_CLOSERS}]*$")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# What may be left of a repeated title before the paragraph's own text: spaces, punctuation
# that closes or separates, symbols and emoji (with their modifiers and joiners).
_LEFTOVER = frozenset({"Zs", "Po", "Pd", "Pe", "Pf", "So", "Sk", "Sm", "Mn", "Me", "Cf"})


class _TextCollector(HTMLParser):
    """Collects text, with a paragraph break at every block element."""

    def __init__(self, link_lists: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.link_lists = link_lists
        self.lists: list[LinkList] = []
        self.links = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        if tag in _LISTS:
            self.lists.append(LinkList(len(self.parts)))
        elif tag == "li" and self.lists:
            self.lists[-1].end_item()
        elif tag == "a" and dict(attrs).get("href"):
            self.links += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _LISTS and self.lists:
            self.end_list()
        elif tag == "li" and self.lists:
            self.lists[-1].end_item()
        elif tag == "a":
            self.links = max(0, self.links - 1)
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        # In HTML a line break in the source is white space, not a paragraph break.
        if self.skipping:
            return
        self.parts.append(data.replace("\r", " ").replace("\n", " "))
        if self.lists:
            self._count(len(data.strip()), self.links > 0)

    def _count(self, chars: int, link: bool) -> None:
        self.lists[-1].count(chars, link)

    def end_list(self) -> None:
        """Close the innermost list; drop it if every item is mostly a link (see html_to_text)."""
        done = self.lists.pop()
        if not self.link_lists and done.is_boilerplate():
            del self.parts[done.start :]
        elif self.lists:
            self._count(done.chars, False)  # a list kept inside an item is text of that item


def html_to_text(markup: str, *, link_lists: bool = True) -> str:
    """Plain text of an HTML fragment: one line per paragraph, spaces collapsed.

    Entities are decoded, and a second time where the feed escaped them twice (``&amp;amp;``).
    Without ``link_lists``, a list (``ul``/``ol``) whose every item is mostly link text (related
    headlines, share buttons, navigation) is left out.
    """
    collector = _TextCollector(link_lists)
    collector.feed(markup)
    collector.close()
    while collector.lists:
        collector.end_list()
    text = "".join(collector.parts)
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    lines = (collapse_space(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def clean_paragraphs(title: str, text: str) -> list[str]:
    """Paragraphs of article text without boilerplate and without the title repeated."""
    paragraphs: list[str] = []
    for raw in text.split("\n"):
        line = collapse_space(raw)
        if is_tail(line):
            break
        if line and not is_noise(line):
            paragraphs.append(mark_excerpt(line))
    return _drop_title(title, paragraphs)


def _drop_title(title: str, paragraphs: list[str]) -> list[str]:
    """Remove the title from the start, as often as it is repeated, compared word by word."""
    wanted = _WORD.findall(normalize(title))
    out = list(paragraphs)
    while wanted and out:
        rest = _after_words(out[0], wanted)
        if rest is None:
            break
        if rest:
            out[0] = rest
            break
        out.pop(0)
    return out


def _after_words(paragraph: str, words: list[str]) -> str | None:
    """What follows ``words`` at the start of ``paragraph``, or None if it does not start so."""
    tokens = list(_WORD.finditer(paragraph))
    if len(tokens) < len(words):
        return None
    if [normalize(t.group()) for t in tokens[: len(words)]] != words:
        return None
    return _without_leftovers(paragraph[tokens[len(words) - 1].end() :])


def _without_leftovers(rest: str) -> str:
    """``rest`` without what the title left before it: "🌊 A magnitude..." -> "A magnitude..."."""
    at = 0
    while at < len(rest) and rest[at] not in "¿¡#@" and unicodedata.category(rest[at]) in _LEFTOVER:
        at += 1
    return rest[at:]


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, careful with abbreviations and initials."""
    sentences, start = [], 0
    for m in _SENTENCE_END.finditer(paragraph):
        # The word before the stop is all an abbreviation needs (and a whole long paragraph
        # would make the check quadratic).
        if not _ends_sentence(m, paragraph[max(start, m.start() - 64) : m.end()]):
            continue
        sentences.append(paragraph[start : m.end()].strip())
        start = m.end()
    rest = paragraph[start:].strip()
    return [*sentences, rest] if rest else sentences


def _ends_sentence(stop: re.Match[str], chunk: str) -> bool:
    """Whether a stop ends the sentence: not before a lower-case letter, nor an abbreviation's."""
    following = stop.group(1)
    if following is None:  # a full-width stop (。！？)
        return True
    if following.islower():  # scripts without case (Arabic, Hangul, CJK) never are
        return False
    return not (stop.group().startswith(".") and _is_abbreviation(chunk))


def _is_abbreviation(chunk: str) -> bool:
    m = _WORD_BEFORE.search(chunk)
    if not m:
        return False
    word = m.group(1).rstrip(".").lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


# ---------------------------------------------------------------- finding a rule's terms

# ASCII as normalize writes it, one character for one: a hyphen and any white space a space.
_ASCII_FOLD = str.maketrans({c: " " for c in map(chr, range(128)) if c.isspace() or c == "-"})
_NOT_AFTER_WORD = r"(?<![^\W_])"
_NOT_BEFORE_WORD = r"(?![^\W_])"


def _is_acronym(spelling: str) -> bool:
    return 2 <= len(spelling) <= 5 and spelling.isalpha() and spelling.isupper()


@lru_cache(maxsize=8192)
def _fold(char: str, cased: bool) -> str:
    """One character as normalize (or normalize_cased) writes it; "" for marks, " " for dashes."""
    if char.isspace():
        return " "
    between = (normalize_cased if cased else normalize)(f"a{char}a")
    return between[1:-1]


@lru_cache(maxsize=1024)
def _term_pattern(spelling: str) -> tuple[re.Pattern[str], bool] | None:
    """A regular expression for a spelling over folded text, and whether it is case-sensitive."""
    if len(spelling) > 2 and spelling[0] == spelling[-1] == "/":
        return None  # a regular expression, not a spelling to find
    if _is_acronym(spelling):
        variants = {spelling, spelling[0] + spelling[1:].lower()}
        body = "|".join(re.escape(normalize_cased(v)) for v in sorted(variants))
        return re.compile(f"{_NOT_AFTER_WORD}(?:{body}){_NOT_BEFORE_WORD}"), True
    words = normalize(spelling.rstrip("*")).split()
    if not words:
        return None
    left = "" if is_unspaced(words[0][0]) else _NOT_AFTER_WORD
    right = r"[^\W_]*" if spelling.endswith("*") else _NOT_BEFORE_WORD
    if is_unspaced(words[-1][-1]):
        right = ""
    return re.compile(left + " +".join(re.escape(w) for w in words) + right), False


def find_terms(text: str, spellings: list[str] | tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the rule spellings occur in ``text``, as (start, end), as the rules engine finds them.

    Accents, case, dashes and spaces are ignored as by ``text.normalize``; a spelling
    matches whole words, possessives included; a trailing ``*`` extends over the rest of the
    word ("missile*": missiles); a side in an unspaced script or Hangul is not checked (푸틴은);
    an acronym (2 to 5 capitals) matches only in capitals or with only the first capital.
    """
    spans: list[tuple[int, int]] = []
    folded: dict[bool, tuple[str, Sequence[int]]] = {}
    for spelling in dict.fromkeys(s.strip() for s in spellings):
        found = _term_pattern(spelling)
        if found is None:
            continue
        pattern, cased = found
        if cased not in folded:
            folded[cased] = _folded(text, cased)
        spans += _spans(text, *folded[cased], pattern, cased)
    return sorted(spans)


def _folded(text: str, cased: bool) -> tuple[str, Sequence[int]]:
    """The folded text, and for each of its characters the index of the one it comes from."""
    if text.isascii():  # the common case: one character for one
        return (text if cased else text.lower()).translate(_ASCII_FOLD), range(len(text))
    pieces, owners = [], []
    for at, char in enumerate(text):
        piece = _fold(char, cased)
        pieces.append(piece)
        owners += [at] * len(piece)
    return "".join(pieces), owners


def _spans(
    text: str, folded: str, owners: Sequence[int], pattern: re.Pattern[str], cased: bool
) -> list[tuple[int, int]]:
    spans = []
    for m in pattern.finditer(folded):
        if m.end() > m.start():
            start, end = owners[m.start()], owners[m.end() - 1] + 1
            while end < len(text) and not text[end].isspace() and not _fold(text[end], cased):
                end += 1  # a combining accent or a joiner belongs to the last letter
            spans.append((start, end))
    return spans


# ---------------------------------------------------------------- the summary


def summarize(title: str, content_html: str, limit: int = 280, terms: tuple[str, ...] = ()) -> str:
    """A summary of at most ``limit`` characters, ending at a sentence end or with an ellipsis."""
    return summarize_text(title, html_to_text(content_html, link_lists=False), limit, terms)


def summarize_text(title: str, text: str, limit: int = 280, terms: tuple[str, ...] = ()) -> str:
    """As :func:`summarize`, for text that is already plain (one paragraph per line)."""
    sentences = article_sentences(title, text)
    if not sentences:
        return ""
    lead = _lead(sentences, limit)
    if terms and not find_terms(lead, terms):
        carrier = next((s for s in sentences if find_terms(s, terms)), None)
        if carrier is not None:
            lead = _lead([carrier], limit)
    return lead


def article_sentences(title: str, text: str) -> list[str]:
    """The sentences of the article, boilerplate sentences left out (see boilerplate)."""
    sentences: list[str] = []
    for paragraph in clean_paragraphs(title, text):
        for sentence in split_sentences(paragraph):
            if is_tail(sentence):
                return sentences
            if not is_noise(sentence):
                sentences.append(sentence)
    return sentences


def _lead(sentences: list[str], limit: int) -> str:
    if len(sentences[0]) > limit:
        return truncate_words(sentences[0], limit)
    summary = sentences[0]
    for sentence in sentences[1:]:
        if _ends_well(summary) and not _ends_well(sentence):
            break  # after a whole sentence, a fragment is a caption, heading or label
        joined = summary + ("" if _UNSPACED_END.search(summary) else " ") + sentence
        if len(joined) > limit:
            break
        summary = joined
    return summary


def _ends_well(sentence: str) -> bool:
    """Whether a sentence ends as one: a stop, a closing quote, or (social media) an emoji."""
    last = sentence.rstrip("\ufe0f\u200d")[-1:]
    return bool(_ENDS_WELL.search(sentence)) or unicodedata.category(last or " ") in ("So", "Sk")


def truncate_words(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"
