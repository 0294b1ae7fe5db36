"""Feed bytes to FeedItems; the only module that imports feedparser.

feedparser detects the format (RSS 0.9x/1.0/2.0, Atom, RDF, JSON Feed), the encoding (HTTP
charset, XML declaration, BOM) and sanitises HTML. Its FeedParserDicts never leave this module.
An item's id is its guid, else its link, else a hash of its title and date, so a feed without
guids still gets stable ids.

Content is passed on as HTML: the item's content (``content:encoded``, Atom content) if it has
text, else its description or summary, else a media description (a video's description, a photo
caption); see :func:`_content`. Plain text, and a value that feedparser labels HTML but that
holds no tag at all (an RSS description written as plain text with line breaks), becomes HTML
that keeps its line breaks, except the hard wraps inside a sentence (see :func:`_text_as_html`).

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
# English words that never end a sentence: articles, prepositions, conjunctions, auxiliaries.
_OPEN_WORDS = frozenset(
    "a an the of on in at to for from with by about into onto over under after before than and"
    " or but nor as that which who whose whom is are was were be been has have had will would"
    " can could should may might must its their his her our your my this these those".split()
)
_LAST_WORD = re.compile(r"([^\W\d_]+)\W*$")


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


# feedparser files ``media:description`` (a photo caption at NYT, a video's description at
# YouTube) as the item's description, or as a content when a description came first, and so a
# caption hid or overwrote the item's own text (issue 15: 3 of 4 NYT alerts showed a caption).
# Filed apart, under ``media_description`` and sanitised like any content, it is read only when
# the item has no text of its own.
def _start_media_description(parser: Any, attrs: Any) -> None:
    parser.push_content("media_description", attrs, "text/plain", 1)


def _end_media_description(parser: Any) -> None:
    parser.pop_content("media_description")


feedparser.namespaces.mediarss.Namespace._start_media_description = _start_media_description
feedparser.namespaces.mediarss.Namespace._end_media_description = _end_media_description
feedparser.mixin._FeedParserMixin.can_contain_dangerous_markup.add("media_description")
# A content worth reading has text; a shorter value is checked for it (an image, an embed).
_SURELY_TEXT_CHARS = 4_000


def _content(entry: Any) -> str:
    """The item's own text, as HTML: content:encoded (or Atom content) first, then its
    description or summary, then a media description; a field with no text is passed over."""
    candidates = [
        *(entry.get("content") or []),
        entry.get("summary_detail"),
        entry.get("media_description_detail"),
    ]
    for candidate in candidates:
        if not candidate or not candidate.get("value"):
            continue
        value = str(candidate["value"])
        is_html = "html" in str(candidate.get("type", "html")) and _TAG.search(value)
        if not is_html:
            return _text_as_html(value)
        if len(value) > _SURELY_TEXT_CHARS or html_to_text(value):
            return value
    return _text_as_html(str(entry.get("summary") or ""))


def _text_as_html(text: str) -> str:
    """Plain text as HTML that keeps its line breaks (HTML would read them as spaces).

    Each line is its own paragraph (a video's description, a podcast's show notes: a line with
    no stop must not run into a subscribe link or the next headline), except a hard wrap inside
    a sentence, which becomes a space: a line that ends in a comma, hyphen or a word that cannot
    end a sentence ("at 9:41 a.m. on" / "Friday, the county said."), or one followed by a line
    that starts in lower case.
    """
    text = _TRAILING_SPACE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines: list[str] = []
    for line in text.split("\n"):
        if lines and _is_hard_wrap(lines[-1], line):
            lines[-1] += " " + line.lstrip()
        else:
            lines.append(line)
    return html.escape("\n".join(lines)).replace("\n", "<br>\n")


def _is_hard_wrap(before: str, after: str) -> bool:
    """Whether the line break between two lines is inside a sentence."""
    after = after.lstrip()
    if not before.strip() or not after or before.endswith(":"):
        return False
    if after[0].islower() or before.endswith((",", "(", "-", "\u2013", "\u2014")):
        return True
    last = _LAST_WORD.search(before)
    return last is not None and last.end(1) == len(before) and last.group(1).lower() in _OPEN_WORDS


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
