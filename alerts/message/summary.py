"""The short summary of an alert: the article's lead, cleaned; pure, standard library only.

Policy, in order:

1. HTML to text (``text.html``), lists of mostly links dropped for the summary.
2. Each line is cleaned at its start (``alerts.message.opening``): invisible characters, list
   bullets, section labels ("Key points:", "COVID LATEST:") and glued credits ("From RNZ",
   "(Reuters) -", a wire dateline) go, a line with bullets inside is cut at them, and a tail of
   hashtags goes.
3. Boilerplate is dropped by the patterns of ``alerts.message.boilerplate`` and, for video and
   podcast feeds, ``alerts.message.promo``, line by line and then sentence by sentence: a tail
   marker ends the article (comment forms, "The post ... appeared first on ...", Reddit's
   "submitted by /u/...", copyright notices); a noise line is dropped alone ("Read more: URL",
   "Continue reading", share and like buttons, bylines, photo credits, e-mail addresses), as
   is a promotion (links as text, "Subscribe to X!", "Follow us on ...", "Watch more X: ...",
   a line of hashtags, the channel's blurb); an excerpt's trailing "[…]" becomes "…".
4. The title is removed from the start, as often as it is repeated there (scraped pages
   repeat it as a heading and a caption), and with it the punctuation and emoji it leaves.
5. Paragraphs are cut into sentences (``text.sentences``: never after Mr., U.S., initials).
6. The lead is chosen by ``alerts.message.lead``: a stub the feed cut off ("...", "Read more")
   is left out after a whole sentence, short fragments before the first sentence are skipped,
   whole sentences are taken up to ``limit`` characters, and when they carry none of the matched
   ``terms`` the sentence (or list item) that does is shown instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from alerts.message.boilerplate import is_noise, is_tail, mark_excerpt
from alerts.message.lead import lead, truncate_words
from alerts.message.opening import clean_start, opening_lines
from alerts.message.promo import cites_a_link, is_promo
from alerts.text.html import html_to_text
from alerts.text.normalize import collapse_space, normalize
from alerts.text.sentences import split_sentences

__all__ = ["article", "article_sentences", "clean_paragraphs", "lead", "summarize",
           "summarize_text", "truncate_words"]  # fmt: skip

_WORD = re.compile(r"[^\W_]+")
# What may be left of a repeated title before the paragraph's own text: spaces, punctuation
# that closes or separates, symbols and emoji (with their modifiers and joiners).
_LEFTOVER = frozenset({"Zs", "Po", "Pd", "Pe", "Pf", "So", "Sk", "Sm", "Mn", "Me", "Cf"})


def summarize(title: str, content_html: str, limit: int = 280, terms: tuple[str, ...] = ()) -> str:
    """A summary of at most ``limit`` characters, ending at a sentence end or with an ellipsis."""
    return lead(article(title, content_html), limit, terms)


def article(title: str, content_html: str) -> list[str]:
    """The article's sentences (steps 1 to 5), which every summary of it is chosen from: an item
    summarised twice (its lead for dedup, its alert's summary) is parsed once."""
    return article_sentences(title, html_to_text(content_html, link_lists=False))


def summarize_text(title: str, text: str, limit: int = 280, terms: tuple[str, ...] = ()) -> str:
    """As :func:`summarize`, for text that is already plain (one paragraph per line)."""
    return lead(article_sentences(title, text), limit, terms)


def article_sentences(title: str, text: str) -> list[str]:
    """The sentences of the article, boilerplate sentences left out (see boilerplate)."""
    sentences: list[str] = []
    for paragraph in clean_paragraphs(title, text):
        for sentence in split_sentences(paragraph):
            sentence = clean_start(sentence)
            if is_tail(sentence):
                return sentences
            if sentence and not _is_boilerplate(sentence) and not cites_a_link(sentence):
                sentences.append(sentence)
    return sentences


def clean_paragraphs(title: str, text: str) -> list[str]:
    """Paragraphs of article text without boilerplate and without the title repeated."""
    lines = _until_tail(collapse_space(raw) for raw in text.split("\n"))
    cleaned = (piece for line in _drop_title(title, lines) for piece in opening_lines(line))
    return [mark_excerpt(line) for line in _until_tail(cleaned)]


def _until_tail(lines: Iterable[str]) -> list[str]:
    """The lines before the first tail marker, boilerplate lines left out."""
    kept: list[str] = []
    for line in lines:
        if is_tail(line):
            break
        if line and not _is_boilerplate(line):
            kept.append(line)
    return kept


def _is_boilerplate(line: str) -> bool:
    return is_noise(line) or is_promo(line)


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
