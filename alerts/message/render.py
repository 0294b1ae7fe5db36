"""The Telegram message for an alert; pure.

HTML parse mode (https://core.telegram.org/bots/api#html-style): every piece of feed text is
unescaped by the earlier stages and escaped here exactly once, so ``&nbsp;`` or a stray ``<``
in a feed can never break a message. Layout::

    <b>Title</b>
    Summary, one or two sentences, the matched <b>terms</b> in bold.

    Matched <i>rule</i>: term, term (as "alias")
    Source · 12 Jun 2026 08:00 UTC
    <a href="link">link</a>

The title drops a suffix that only repeats the source (" | GMA News Feed"), and the link text
drops tracking parameters as dedup's normalisation does; the href is the feed's link
(``alerts.message.titles``).

The terms in bold are found in the summary as the rules engine finds them in the story
(``text.spans.find_terms``, by the one definition in ``text.terms``): "Erdoğan" for the
spelling "Erdogan", "地震" inside "级地震，", "푸틴" in "푸틴은", never "us" for the acronym "US".

The message stays within Telegram's 4096 characters, counted as UTF-16 code units after entity
parsing (https://core.telegram.org/bots/api#sendmessage): the summary is trimmed first, at a
word, and only then the title. Trimming happens on plain text before escaping, so it never cuts
inside a tag or an entity, and Python strings never split a surrogate pair.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from alerts.message.lead import truncate_words
from alerts.message.titles import message_title, shown_link
from alerts.models import Alert, Match, RuleHit, TermHit
from alerts.text.normalize import normalize
from alerts.text.spans import find_terms

MAX_MESSAGE_UNITS = 4096
MAX_REASON_CHARS = 600
MAX_SOURCE_CHARS = 100
MAX_LINK_CHARS = 300
MAX_SOURCES_CHARS = 200  # an "Also:" line; kept out of the 4096 budget by the footer's reserve


@dataclass(frozen=True, slots=True)
class MessageStyle:
    """Settings of the message that come from the config."""

    timezone: str = "UTC"
    link_preview: bool = False


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def term_text(hit: TermHit) -> str:
    """One matched term, briefly: entities bare (with the alias that matched), phrases quoted."""
    if hit.kind == "regex":
        return hit.term
    if hit.entity is not None:
        same = normalize(hit.matched) == normalize(hit.entity)
        return hit.entity if same else f'{hit.entity} (as "{hit.matched}")'
    return f'"{hit.term}"'


def why(rules: tuple[RuleHit, ...]) -> str:
    """Plain text: the rules that fired and the words that made them fire."""
    parts = []
    for rule in rules:
        terms = dict.fromkeys(term_text(h) for h in rule.hits)
        parts.append(f"{rule.rule}: {', '.join(terms)}")
    return "; ".join(parts)


def _when(published: datetime | None, timezone: str) -> str:
    if published is None:
        return ""
    local = published.astimezone(ZoneInfo(timezone))
    return local.strftime("%d %b %Y %H:%M ") + (local.tzname() or timezone)


def alert_key(feed_url: str, item_id: str, chat: str) -> str:
    """The idempotency key of an alert: one story (feed item) to one destination."""
    raw = f"{feed_url}\n{item_id}\n{chat}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def render(match: Match, summary: str, source: str, style: MessageStyle) -> Alert:
    """The alert for one match, within Telegram's length limit."""
    item = match.item
    title = message_title(item.title, source) or "(untitled)"
    footer_plain, footer_html = _footer(match, source, style)
    budget = MAX_MESSAGE_UNITS - utf16_len(footer_plain) - 4 - (MAX_SOURCES_CHARS + 8)
    title, summary = _fit(title, summary, budget)
    body = f"<b>{html.escape(title, quote=False)}</b>"
    if summary:
        spellings = [h.matched for r in match.rules for h in r.hits if h.kind != "regex"]
        body += "\n" + bold_terms(summary, spellings)
    return Alert(
        key=alert_key(item.feed_url, item.item_id, match.chat),
        chat=match.chat,
        rule=", ".join(r.rule for r in match.rules),
        title=title,
        link=item.link,
        text=f"{body}\n\n{footer_html}",
        disable_notification=all(r.silent for r in match.rules),
        link_preview=style.link_preview,
        source=source,
    )


def bold_terms(text: str, spellings: list[str]) -> str:
    """``text`` escaped for Telegram HTML, with each matched term in bold.

    Terms are found as the rules engine finds them (``text.spans.find_terms``: accents, case,
    dashes and spaces ignored, whole words except in unspaced scripts and Hangul, a trailing
    ``*`` extended over the word, acronyms such as "US" case-sensitive); the text is escaped
    piece by piece, so a bold tag never lands inside an entity.
    """
    out, at = [], 0
    for start, end in _merged(find_terms(text, spellings)):
        out.append(html.escape(text[at:start], quote=False))
        out.append(f"<b>{html.escape(text[start:end], quote=False)}</b>")
        at = end
    out.append(html.escape(text[at:], quote=False))
    return "".join(out)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _footer(match: Match, source: str, style: MessageStyle) -> tuple[str, str]:
    """The why/source/link lines; each capped, so only the summary and title need trimming."""
    reason = truncate_words(why(match.rules), MAX_REASON_CHARS)
    when = _when(match.item.published, style.timezone)
    meta = " · ".join(p for p in (truncate_words(source, MAX_SOURCE_CHARS), when) if p)
    plain = f"Matched {reason}\n{meta}"
    markup = f"Matched <i>{html.escape(reason, quote=False)}</i>\n{html.escape(meta, quote=False)}"
    link = match.item.link
    if link:
        # The href is not part of the counted text; only the shown link text is.
        shown = shown_link(link)
        shown = shown if len(shown) <= MAX_LINK_CHARS else shown[: MAX_LINK_CHARS - 1] + "…"
        plain += "\n" + shown
        markup += (
            f'\n<a href="{html.escape(link, quote=True)}">{html.escape(shown, quote=False)}</a>'
        )
    return plain, markup


def _fit(title: str, summary: str, budget: int) -> tuple[str, str]:
    if utf16_len(title) + 1 + utf16_len(summary) <= budget:
        return title, summary
    title = _cut(title, max(budget // 4, 16))
    room = budget - utf16_len(title) - 1
    return title, _cut(summary, room) if room > 16 else ""


def _cut(text: str, units: int) -> str:
    """At most ``units`` UTF-16 code units, cut at a word, with an ellipsis."""
    if utf16_len(text) <= units:
        return text
    limit = units
    cut = truncate_words(text, limit)
    while utf16_len(cut) > units and limit > 1:
        limit -= max(1, (utf16_len(cut) - units) // 2)
        cut = truncate_words(text, limit)
    return cut


def with_sources(text: str, sources: tuple[str, ...]) -> str:
    """The message with a last line naming the other sources that carried the story."""
    if not sources:
        return text
    shown = truncate_words(", ".join(sources), MAX_SOURCES_CHARS)
    return f"{text}\n<i>Also: {html.escape(shown, quote=False)}</i>"


class _Plain(HTMLParser):
    """Telegram HTML to the text a person would see, bold marked with ``**``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("b", "strong"):
            self.out.append("**")
        elif tag == "a":
            self.href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("b", "strong"):
            self.out.append("**")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def to_plain(markup: str) -> str:
    """How Telegram would show a message, as plain text with the bold parts marked."""
    parser = _Plain()
    parser.feed(markup)
    parser.close()
    return "".join(parser.out)
