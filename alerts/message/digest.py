"""The digest message: held matches as one numbered list, split at Telegram's limit; pure.

HTML parse mode, as ``render``; every piece of text is escaped here once. Layout::

    <b>Digest: Kim and Putin</b> (1/2)
    30 stories, times in UTC

    1. <a href="https://...">Title of the story</a>
    Source · 12 Jun 08:15
    2. ...

Splitting: a message is at most 4096 characters counted as Telegram counts them, UTF-16 code
units of the text after entity parsing (https://core.telegram.org/bots/api#sendmessage), so
tags and hrefs do not count and ``&amp;`` counts one. Items are packed in order, as many whole
items as fit in a part with its heading (and its "(1/2)"); a part ends
only between items, so an item, a tag or an entity is never cut. An item's title is capped at
``MAX_TITLE_UNITS`` and its source at ``MAX_SOURCE_CHARS``, so one item (some 430 units at
most) always fits in a part. Numbers run on across parts.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from alerts.message.lead import truncate_words
from alerts.message.render import MAX_MESSAGE_UNITS, MAX_SOURCE_CHARS, utf16_len
from alerts.models import HeldAlert

MAX_TITLE_UNITS = 300  # a title longer than this is cut at a word, with an ellipsis


@dataclass(frozen=True, slots=True)
class Line:
    """One item of the list: its markup and the length Telegram counts for it."""

    markup: str
    units: int


def item_line(number: int, item: HeldAlert, zone: ZoneInfo) -> Line:
    """``n. <a href>Title</a>`` and ``Source · 12 Jun 08:15`` on the next line."""
    title = _capped(item.title or "(untitled)")
    when = item.at.astimezone(zone).strftime("%d %b %H:%M")
    meta = " · ".join(p for p in (truncate_words(item.source, MAX_SOURCE_CHARS), when) if p)
    shown = html.escape(title, quote=False)
    if item.link:
        shown = f'<a href="{html.escape(item.link, quote=True)}">{shown}</a>'
    plain = f"{number}. {title}\n{meta}"
    return Line(f"{number}. {shown}\n{html.escape(meta, quote=False)}", utf16_len(plain))


def _capped(title: str) -> str:
    """At most MAX_TITLE_UNITS code units, cut at a word."""
    limit = MAX_TITLE_UNITS
    cut = title
    while utf16_len(cut) > MAX_TITLE_UNITS:
        cut = truncate_words(title, limit)
        limit -= max(1, (utf16_len(cut) - MAX_TITLE_UNITS) // 2)
    return cut


def _heading(name: str, count: int, timezone: str, part: str) -> tuple[str, int]:
    """The heading's markup and its counted length."""
    noun = "story" if count == 1 else "stories"
    second = f"{count} {noun}, times in {timezone}"
    plain = f"{name}{part}\n{second}"
    return f"<b>{html.escape(name, quote=False)}</b>{part}\n{second}", utf16_len(plain)


def pack(lines: Sequence[Line], budget: int) -> list[list[Line]]:
    """Lines in order, as many whole lines per part as fit in ``budget`` units, counting the
    line break before each line."""
    parts: list[list[Line]] = [[]]
    used = 0
    for line in lines:
        cost = line.units + 1
        if parts[-1] and used + cost > budget:
            parts.append([])
            used = 0
        parts[-1].append(line)
        used += cost
    return parts


def _split(name: str, count: int, timezone: str, lines: Sequence[Line]) -> list[list[Line]]:
    """The lines packed under a heading whose "(i/n)" is budgeted at the width of n: guessed,
    then widened until the count of parts fits it (the guesses only grow, so it ends)."""
    guess = 1
    while True:
        suffix = f" ({guess}/{guess})" if guess > 1 else ""
        _, heading_units = _heading(name, count, timezone, suffix)
        # The heading is followed by a blank line: one more break than ``pack`` counts.
        parts = pack(lines, MAX_MESSAGE_UNITS - heading_units - 1)
        if len(parts) == 1 or (guess > 1 and len(str(len(parts))) <= len(str(guess))):
            return parts
        guess = len(parts)


def render_digest(name: str, items: Sequence[HeldAlert], timezone: str) -> list[str]:
    """The digest's messages, in order: the numbered list of ``items`` under ``name``."""
    zone = ZoneInfo(timezone)
    lines = [item_line(n, item, zone) for n, item in enumerate(items, start=1)]
    parts = _split(name, len(items), timezone, lines)
    texts = []
    for i, part in enumerate(parts, start=1):
        suffix = f" ({i}/{len(parts)})" if len(parts) > 1 else ""
        heading, _ = _heading(name, len(items), timezone, suffix)
        texts.append(heading + "\n\n" + "\n".join(line.markup for line in part))
    return texts
