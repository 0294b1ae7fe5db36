"""An OPML subscription list read into :class:`OpmlFeed` records; the only module that imports
listparser.

listparser (Kurt McKee's, maintained since 2009) reads what readers really write: feeds nested in
folders at any depth, ``type="rss"``, ``"RSS"``, ``"atom"`` or no type at all, self-closing or
empty outlines (RSStT#270), a title in ``text`` or only in ``title``, categories in the
``category`` attribute (comma-separated, ``/`` for a path), a URL listed twice (merged, its
categories united).

listparser recovers from broken XML (through lxml's HTML parser), so a file cut short would
import its first half without a word. Before it runs, the file is therefore checked to be
well-formed XML with the standard library's expat, which names the line and column at fault;
every reader's export is well-formed, and a file that is not is refused whole, nothing written.
expat also tells the declared encoding, and the text is decoded by it before listparser sees
it: listparser's lxml path reads bytes as UTF-8 whatever the declaration (a windows-1252 "é"
came out as U+FFFD).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

import listparser

from alerts.errors import AlertsError


class OpmlError(AlertsError):
    """An OPML file that cannot be imported: the file, the line if known, and why."""

    def __init__(self, source: str, reason: str, line: int | None = None) -> None:
        self.source, self.reason, self.line = source, reason, line
        where = f"{source}, line {line}" if line else source
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed of an OPML file: its URL, its title ("" when it has none), its tags (every
    folder above it and every category component, outermost first, each once)."""

    url: str
    title: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OpmlList:
    """What an OPML file holds: its feeds, and the other outlines that are not feeds
    (included subscription lists, links to pages) that an import skips."""

    feeds: tuple[OpmlFeed, ...]
    not_feeds: tuple[str, ...]


def read_opml(path: Path) -> OpmlList:
    """The feeds of the OPML file at ``path``, or OpmlError naming the file (and the line)."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise OpmlError(source, f"cannot read: {e.strerror or e}") from e
    return parse_opml(data, source)


def parse_opml(data: bytes, source: str = "<opml>") -> OpmlList:
    """The feeds of an OPML document, or OpmlError."""
    # As bytes: listparser fetches a str that starts with http:// (a URL) over the network.
    parsed = listparser.parse(_decoded(data, source).encode("utf-8"))
    if parsed.bozo:
        raise OpmlError(source, f"not OPML: {parsed.bozo_exception}")
    if not str(parsed.version).startswith("opml"):
        raise OpmlError(source, "not OPML: the document has no <opml> element")
    feeds = tuple(_feed(entry) for entry in parsed.feeds)
    others = tuple(str(entry.url) for entry in (*parsed.lists, *parsed.opportunities))
    return OpmlList(feeds, others)


def _decoded(data: bytes, source: str) -> str:
    """The document as text, once expat has found it well-formed."""
    if not data.strip():
        raise OpmlError(source, "the file is empty")
    declared: list[str] = []
    parser = expat.ParserCreate()
    parser.XmlDeclHandler = lambda _version, encoding, _standalone: declared.append(encoding or "")
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        reason = expat.errors.messages[e.code]
        where = f"not well-formed XML: {reason} (column {e.offset + 1})"
        raise OpmlError(source, where, e.lineno) from e
    utf16 = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    encoding = next((name for name in declared if name), "utf-16" if utf16 else "utf-8")
    try:
        codecs.lookup(encoding)
        return data.decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
    except (LookupError, UnicodeDecodeError) as e:
        raise OpmlError(source, f"cannot decode as {encoding}: {e}") from e


def _feed(entry: dict[str, object]) -> OpmlFeed:
    categories = entry.get("categories")
    paths = categories if isinstance(categories, list) else []
    return OpmlFeed(str(entry["url"]).strip(), str(entry.get("title") or "").strip(),
                    tuple(dict.fromkeys(_components(paths))))  # fmt: skip


def _components(paths: list[object]) -> Iterator[str]:
    """Every folder or category name of every path (``News/Tech`` gives News and Tech)."""
    for path in paths:
        if isinstance(path, list):
            yield from (str(part).strip() for part in path if str(part).strip())
