"""Clean article text and pick a short summary; pure, standard library only.

Policy, in order:

1. HTML to text with the standard library's HTML parser (``html.parser``, not regular
   expressions over HTML): entities decoded, ``script``/``style``/forms dropped, block elements
   become paragraph breaks.
2. Boilerplate is dropped by the patterns below: a line matching ``_TAIL_MARKERS`` ("Leave a
   Reply", "Your email address will not be published", "The post ... appeared first on ...")
   ends the article, since comment forms and syndication footers come last; a line matching
   ``_NOISE_LINES`` ("Read more", "Share this:", "Continue reading") is dropped alone.
3. The title is removed from the start, as often as it is repeated there (scraped pages
   repeat it as a heading and a caption).
4. Sentences are split at ``.``, ``!``, ``?`` or ``…`` (closing quotes included) followed by a
   space and a capital, digit or quote, except after known abbreviations (Mr., U.S., Jan.,
   No. 10) and initials.
5. The summary is the lead sentences that fit ``limit`` characters. When the first sentence
   alone is longer, it is cut at a word and ends with an ellipsis. When ``terms`` are given and
   the lead carries none of them, the first sentence that does is used instead, so the alert
   shows the watched name.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from alerts.text import collapse_space, normalize

_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "pre",
    "hr",
    "figure",
    "figcaption",
    "dd",
    "dt",
    "dl",
    "aside",
    "nav",
    "main",
    "address",
}
_SKIP = {
    "script",
    "style",
    "noscript",
    "template",
    "head",
    "iframe",
    "object",
    "svg",
    "form",
    "button",
    "select",
    "textarea",
    "title",
}

_TAIL_MARKERS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^leave a (reply|comment)\b",
        r"^your email address will not be published",
        r"^required fields are marked",
        r"^the post .+ appeared first on .+",
        r"^this (article|entry|post) was (originally )?published (on|at|by) .+",
        r"^(post navigation|related posts?|you may also like|comments?)\s*:?$",
        r"^(subscribe|sign up) (to|for) (our|the) newsletter",
    )
]
_NOISE_LINES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(read|see) (more|full (story|article))\b.{0,40}$",
        r"^continue reading\b.{0,80}$",
        r"^(share|like) this:?$",
        r"^(share|tweet|email|print)( (on|via) \w+)?$",
        r"^click here\b.{0,80}$",
        r"^(advertisement|sponsored)$",
        r"^\[?(…|\.\.\.)\]?$",
    )
]

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "mt",
    "jr",
    "sr",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "sen",
    "rep",
    "gov",
    "pres",
    "rev",
    "hon",
    "inc",
    "corp",
    "ltd",
    "co",
    "no",
    "nos",
    "vs",
    "etc",
    "approx",
    "dept",
    "est",
    "fig",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.k",
    "u.n",
    "e.g",
    "i.e",
    "a.m",
    "p.m",
    "ft",
}
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s+[\"'“‘«(\[]?[A-Z0-9\u00C0-\u024F])")
_WORD_BEFORE = re.compile(r"([\w.]+)[.!?…]*[\"'”’»)\]]*$")


class _TextCollector(HTMLParser):
    """Collects text, with a paragraph break at every block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        # In HTML a line break in the source is white space, not a paragraph break.
        if not self.skipping:
            self.parts.append(data.replace("\r", " ").replace("\n", " "))


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: one line per paragraph, spaces collapsed."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    lines = (collapse_space(line) for line in "".join(collector.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def clean_paragraphs(title: str, text: str) -> list[str]:
    """Paragraphs of article text without boilerplate and without the title repeated."""
    paragraphs: list[str] = []
    for raw in text.split("\n"):
        line = collapse_space(raw)
        if any(p.search(line) for p in _TAIL_MARKERS):
            break
        if line and not any(p.search(line) for p in _NOISE_LINES):
            paragraphs.append(line)
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
    return paragraph[tokens[len(words) - 1].end() :].lstrip(" .,:;!?-–—|\"'”’»)]")


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, careful with abbreviations and initials."""
    sentences, start = [], 0
    for m in _SENTENCE_END.finditer(paragraph):
        if m.group().startswith(".") and _is_abbreviation(paragraph[start : m.end()]):
            continue
        sentences.append(paragraph[start : m.end()].strip())
        start = m.end()
    rest = paragraph[start:].strip()
    return [*sentences, rest] if rest else sentences


def _is_abbreviation(chunk: str) -> bool:
    m = _WORD_BEFORE.search(chunk)
    if not m:
        return False
    word = m.group(1).rstrip(".").lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def summarize(title: str, content_html: str, limit: int = 280, terms: tuple[str, ...] = ()) -> str:
    """A summary of at most ``limit`` characters, ending at a sentence end or with an ellipsis."""
    return summarize_text(title, html_to_text(content_html), limit, terms)


def summarize_text(title: str, text: str, limit: int = 280, terms: tuple[str, ...] = ()) -> str:
    """As :func:`summarize`, for text that is already plain (one paragraph per line)."""
    sentences = [s for p in clean_paragraphs(title, text) for s in split_sentences(p)]
    if not sentences:
        return ""
    lead = _lead(sentences, limit)
    wanted = [normalize(t) for t in terms if t.strip()]
    if wanted and not any(w in normalize(lead) for w in wanted):
        carrier = next((s for s in sentences if any(w in normalize(s) for w in wanted)), None)
        if carrier is not None:
            lead = _lead([carrier], limit)
    return lead


def _lead(sentences: list[str], limit: int) -> str:
    if len(sentences[0]) > limit:
        return truncate_words(sentences[0], limit)
    summary = sentences[0]
    for sentence in sentences[1:]:
        if len(summary) + 1 + len(sentence) > limit:
            break
        summary += " " + sentence
    return summary


def truncate_words(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: max(1, limit - 1)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"
