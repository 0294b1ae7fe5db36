"""Why a body that holds no feed is not one, in words an operator can act on; pure.

Policy: a body in which feedparser finds no entries and no feed format (its ``version`` is empty)
is not a feed, whatever its status code: an error page served with HTTP 200 is a failure like a
500, counted, backed off and reported broken by the usual rules (``alerts.decide``). A feed with
no items (an RSS channel without ``<item>``) has a version and stays healthy. The reason names
what came instead:

- an HTML or XHTML page (a root ``<html>`` element or an HTML doctype among the first 4 KiB, after
  any XML declaration, comments and white space): ``an HTML page titled "403 - Forbidden"``, from
  its ``<title>`` (at most 80 characters), or ``an HTML page`` without one. Today's parser error
  for such a page ("<unknown>:5:2: mismatched tag") says nothing about what the server sent.
- an empty body: ``an empty document``;
- a well-formed XML document of another kind: ``an XML document <error>``, its root element;
- anything else: the XML parser's complaint, or ``unknown format``.
"""

from __future__ import annotations

import html
import re

# Where an HTML page shows itself: its doctype or its root element, before any other element.
_SNIFF_BYTES = 4096
_PROLOGUE = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:\s|<\?xml[^>]*\?>|<!--.*?-->)*<(!doctype\s+html|html)[\s>/]",
    re.IGNORECASE | re.DOTALL,
)
# The title of a page, wherever it is in the first 64 KiB (a long <head> of scripts comes first).
_TITLE_BYTES = 65536
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")
_ROOT = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:\s|<\?[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<([A-Za-z_][\w:.-]{0,40})",
    re.DOTALL,
)
MAX_TITLE_CHARS = 80


def not_a_feed(body: bytes, parser_complaint: object | None) -> str:
    """The reason a body without a feed is not one: ``not a feed: ...``."""
    if not body.strip():
        return "not a feed: an empty document"
    if is_html(body):
        title = page_title(body)
        return f'not a feed: an HTML page titled "{title}"' if title else "not a feed: an HTML page"
    root = _ROOT.match(body[:_SNIFF_BYTES])
    if parser_complaint is None and root is not None:
        return f"not a feed: an XML document <{root[1].decode()}>"
    return f"not a feed: {parser_complaint or 'unknown format'}"


def is_html(body: bytes) -> bool:
    """Whether a body is an HTML or XHTML page: an HTML doctype or an ``<html>`` root first."""
    return _PROLOGUE.match(body[:_SNIFF_BYTES]) is not None


def page_title(body: bytes) -> str:
    """A page's ``<title>`` as one line of plain text, shortened; "" without one."""
    head = body[:_TITLE_BYTES].decode("utf-8", errors="replace")
    found = _TITLE.search(head)
    if found is None:
        return ""
    title = " ".join(html.unescape(_TAGS.sub("", found[1])).split())
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"
