"""A config's feeds as an OPML 2.0 document, in the one form that Miniflux, FreshRSS, Feedly and
Inoreader all import with the folders intact.

The form, and why:

- Each feed is a self-closing ``<outline type="rss" text=... title=... xmlUrl=... />``.
  Feedly found an export without ``type="rss"`` empty, and Thunderbird took outlines with an end
  tag for folders (RSStT#270); FreshRSS names a feed by ``text`` and selfoss refused outlines
  without a type (selfoss#1475), so every outline carries ``type``, ``text`` and ``title``.
- A feed with tags sits in a folder named by its first tag, one level deep. Miniflux, FreshRSS,
  Feedly and Inoreader all take a feed's category from the folder around it, and only from
  that (Miniflux's parser reads the parent outline's title; FreshRSS flattens anything
  deeper than one level). Feeds without tags sit at the top, in the reader's default folder.
- All of a feed's tags are also in its ``category`` attribute, comma-separated (OPML 2.0's
  place for them): readers that read it get every tag, and ``feeds import`` gives the same
  tags back. A tag holding ``,`` or ``/`` does not survive that attribute unsplit.
- Credentials never appear: a feed's URL in the config is already without them (the config
  moves ``user:password@`` into ``auth``), and ``auth`` is not exported.

xml.etree writes it, escaping ``&``, ``<``, ``>`` and quotes; characters XML 1.0 cannot carry
at all (control characters) are dropped from names.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import format_datetime

from alerts.config import Config, FeedConfig

TITLE = "news-alerts feeds"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def opml_document(config: Config, created: datetime, title: str = TITLE) -> bytes:
    """The OPML 2.0 document of ``config``'s feeds, UTF-8 with its declaration."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(created)  # RFC 822, as OPML asks
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in config.feeds:
        parent = _folder(body, folders, feed.tags[0]) if feed.tags else body
        ET.SubElement(parent, "outline", _attributes(feed))
    ET.indent(root, space="  ")
    # The declaration in double quotes, as every reader's own export writes it (ElementTree's
    # own uses single quotes, which XML allows but a hand-rolled importer may not).
    return (XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def _folder(body: ET.Element, folders: dict[str, ET.Element], tag: str) -> ET.Element:
    if tag not in folders:
        name = _xml_text(tag)
        folders[tag] = ET.SubElement(body, "outline", {"text": name, "title": name})
    return folders[tag]


def _attributes(feed: FeedConfig) -> dict[str, str]:
    name = _xml_text(feed.display_name)
    attributes = {"type": "rss", "text": name, "title": name, "xmlUrl": feed.url}
    if feed.tags:
        attributes["category"] = ",".join(_xml_text(tag) for tag in feed.tags)
    return attributes


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)
