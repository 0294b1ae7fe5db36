"""Feed bytes to FeedItems; the only module that imports feedparser.

feedparser detects the format (RSS 0.9x/1.0/2.0, Atom, RDF, JSON Feed), the encoding (HTTP
charset, XML declaration, BOM) and sanitises HTML. Its FeedParserDicts never leave this module.
An item's id is its guid, else its link, else a hash of its title and date, so a feed without
guids still gets stable ids.

Content is passed on as HTML. Plain text, and a value that feedparser labels HTML but that holds
no tag at all (an RSS description written as plain text with line breaks), becomes HTML that
keeps its line breaks, except the hard wraps inside a sentence.

Links: an item's link is made absolute against the URL the feed was fetched from, and kept
only when it is http(s), the only kind a Telegram reader can safely open. feedparser is given
the feed's URL as its base only when the feed declares ``xml:base`` (whose relative values need
it), and never re-parses a content to resolve the links inside it (we read content only as
text): resolving every URI of every entry cost a fifth of each parse for nothing.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import feedparser.api

from alerts.errors import ParseError
from alerts.feeds.notfeed import not_a_feed
from alerts.models import FeedItem, FetchedFeed
from alerts.text.html import html_to_text

# feedparser asks xml.sax for the libxml2 driver first. It is never installed with us, and a failed
# import is not cached by Python, so every parse paid a search of sys.path for it; the driver is
# outdated and the libxml2 maintainers advise against it (kurtmckee/feedparser#506). With no
# preference, xml.sax goes straight to its default, the expat reader that was used anyway.
feedparser.api.PREFERRED_XML_PARSERS = []

# A hostile feed can carry megabytes in one field; nothing a person reads needs more.
MAX_TITLE_CHARS = 1_000
MAX_CONTENT_CHARS = 200_000
# feedparser calls an RSS description HTML even when it is plain text with line breaks; a value
# without a single tag ("<" then a letter, "/" or "!") is read as the plain text it is.
_TAG = re.compile(r"<[A-Za-z/!]")
_TRAILING_SPACE = re.compile(r"[ \t]+(?=\n)")
_HARD_WRAP = re.compile(r"(?<![.!?…。！？:\"'”’»\n])\n(?=[ \t]*\S)")


def parse_feed(fetched: FetchedFeed, feed_name: str = "") -> list[FeedItem]:
    """Every entry of the feed body, in the order the feed lists them."""
    headers = {}
    if fetched.content_type:
        headers["content-type"] = fetched.content_type
    if b"xml:base" in fetched.body:
        headers["content-location"] = fetched.final_url
    try:
        parsed = feedparser.parse(
            fetched.body, response_headers=headers, resolve_relative_uris=False
        )
    except Exception as e:  # feedparser promises not to raise; a bug there must not stop us
        raise ParseError(fetched.url, f"feedparser failed: {e!r}") from e
    entries = parsed.get("entries") or []
    if not entries and not parsed.get("version"):  # an error page too, whatever its status
        raise ParseError(fetched.url, not_a_feed(fetched.body, parsed.get("bozo_exception")))
    return [_item(fetched, feed_name, entry) for entry in entries]


def _item(fetched: FetchedFeed, feed_name: str, entry: Any) -> FeedItem:
    title = _title(entry)
    link = _link(str(entry.get("link") or ""), fetched.final_url)
    published = _published(entry)
    return FeedItem(
        feed_url=fetched.url,
        item_id=_item_id(entry, title, link, published),
        title=title,
        link=link,
        content_html=_content(entry)[:MAX_CONTENT_CHARS],
        published=published,
        feed_name=feed_name,
    )


def _link(raw: str, base: str) -> str:
    """The link made absolute against the feed's URL; "" unless it is a valid http(s) URL."""
    link = raw.strip()
    if not link:
        return ""
    try:
        if not link[:8].lower().startswith(("http://", "https://")):
            link = urljoin(base, link)
        parts = urlsplit(link)
        parts.port  # noqa: B018 (raises ValueError on a malformed port)
    except ValueError:  # a malformed host or port: no reader could open it
        return ""
    return link if parts.scheme.lower() in ("http", "https") and parts.hostname else ""


def _title(entry: Any) -> str:
    raw = str(entry.get("title") or "")[: MAX_TITLE_CHARS * 4]
    detail = entry.get("title_detail") or {}
    text = html_to_text(raw) if "html" in str(detail.get("type", "")) else raw
    return " ".join(text.split())[:MAX_TITLE_CHARS]


def _content(entry: Any) -> str:
    """content:encoded (or Atom content) first, then description/summary, as HTML."""
    for candidate in [*(entry.get("content") or []), entry.get("summary_detail")]:
        if not candidate or not candidate.get("value"):
            continue
        value = str(candidate["value"])
        is_html = "html" in str(candidate.get("type", "html")) and _TAG.search(value)
        return value if is_html else _text_as_html(value)
    return _text_as_html(str(entry.get("summary") or ""))


def _text_as_html(text: str) -> str:
    """Plain text as HTML that keeps its line breaks (HTML would read them as spaces).

    A line break after a sentence end, or next to a blank line, is kept; one inside a sentence
    is a hard wrap ("at 9:41 a.m. on" / "Friday, the county said.") and becomes a space.
    """
    text = _TRAILING_SPACE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return html.escape(_HARD_WRAP.sub(" ", text)).replace("\n", "<br>\n")


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        stamp = entry.get(key)
        if stamp:
            return datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC)
    return None


def _item_id(entry: Any, title: str, link: str, published: datetime | None) -> str:
    guid = str(entry.get("id") or "").strip()
    if guid:
        return guid
    if link:
        return link
    stamp = published.isoformat() if published else ""
    return "sha1:" + hashlib.sha1(f"{title}\n{stamp}".encode(), usedforsecurity=False).hexdigest()
