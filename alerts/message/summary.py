"""The short summary of an alert: the article's lead, cleaned; pure, standard library only.

Policy, in order:

1. HTML to text (``text.html``), lists of mostly links dropped for the summary.
2. Boilerplate is dropped by the patterns of ``alerts.message.boilerplate``, line by line and then
   sentence by sentence: a tail marker ends the article (comment forms, "The post ... appeared
   first on ...", Reddit's "submitted by /u/...", copyright notices); a noise line is dropped
   alone ("Read more: URL", "Continue reading", share and like buttons, "Your browser does not
   support iframes.", bylines, e-mail addresses); an excerpt's trailing "[…]" becomes "…".
3. The title is removed from the start, as often as it is repeated there (scraped pages
   repeat it as a heading and a caption), and with it the punctuation and emoji it leaves.
4. Paragraphs are cut into sentences (``text.sentences``: never after Mr., U.S., initials).
5. The summary is the lead sentences that fit ``limit`` characters, joined by a space, or by
   nothing after a full-width stop (Chinese, Japanese). After a whole sentence, a fragment with
   no sentence end (a caption, a heading, a button label) ends the lead. When the first
   sentence alone is longer, it is cut at a word and ends with an ellipsis. When ``terms`` are
   given and the lead carries none of them, the first sentence that does is used instead, so
   the alert shows the watched name; terms are found as the rules engine finds them
   (``text.spans.find_terms``, by the one definition in ``text.terms``).
"""

from __future__ import annotations

import re
import unicodedata

from alerts.message.boilerplate import is_noise, is_tail, mark_excerpt
from alerts.text.html import html_to_text
from alerts.text.normalize import collapse_space, normalize
from alerts.text.sentences import CLOSERS, split_sentences
from alerts.text.spans import find_terms

_WORD = re.compile(r"[^\W_]+")
_ENDS_WELL = re.compile(rf"([.!?…。！？؟۔।][{CLOSERS}]*|[”’»\"'」』])$")
_UNSPACED_END = re.compile(rf"[。！？][{CLOSERS}]*$")
# What may be left of a repeated title before the paragraph's own text: spaces, punctuation
# that closes or separates, symbols and emoji (with their modifiers and joiners).
_LEFTOVER = frozenset({"Zs", "Po", "Pd", "Pe", "Pf", "So", "Sk", "Sm", "Mn", "Me", "Cf"})


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
