"""HTML to plain text, for the rules and the summary; pure, standard library only.

Policy:

- The standard library's HTML parser reads the markup (``html.parser``, not regular expressions
  over HTML); entities are decoded, and decoded once more where the text still holds entity
  references (a feed that escaped them twice: ``&amp;amp;``).
- ``script``, ``style``, ``iframe``, forms and the like are dropped with their text; block
  elements (``p``, ``div``, ``br``, ``li``, headings, ...) become paragraph breaks, and a line
  break in the source is only white space, as in HTML.
- For the summary (not for the rules), a list (``ul``/``ol``) whose every item is mostly link
  text (more characters inside links than outside) is dropped: Google News' related headlines
  ("headline" and publisher), share buttons, navigation. :class:`LinkList` keeps the count.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from alerts.text.normalize import collapse_space

_BLOCK = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote tr table section article header footer pre"
    " hr figure figcaption dd dt dl aside nav main address".split()
)
_SKIP = frozenset(
    "script style noscript template head iframe object svg form button select textarea"
    " title".split()
)
BLOCK_TAGS, SKIP_TAGS = _BLOCK, _SKIP  # what ``text.skeleton`` keeps of the markup
_LISTS = frozenset({"ul", "ol"})
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


@dataclass
class LinkList:
    """An open ``ul``/``ol``: where its text starts, and how much of each item is link text."""

    start: int
    chars: int = 0
    items: int = 0
    link_items: int = 0
    link_chars: int = 0
    other_chars: int = 0

    def count(self, chars: int, link: bool) -> None:
        """Count text of the current item, inside a link or not."""
        self.chars += chars
        if link:
            self.link_chars += chars
        else:
            self.other_chars += chars

    def end_item(self) -> None:
        """Count the item just read, if it had any text."""
        if self.link_chars or self.other_chars:
            self.items += 1
            self.link_items += self.link_chars > self.other_chars
        self.link_chars = self.other_chars = 0

    def is_boilerplate(self) -> bool:
        """Whether every item with text was mostly link text."""
        self.end_item()
        return 0 < self.items == self.link_items


class _TextCollector(HTMLParser):
    """Collects text, with a paragraph break at every block element."""

    def __init__(self, link_lists: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.link_lists = link_lists
        self.lists: list[LinkList] = []
        self.links = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        if tag in _LISTS:
            self.lists.append(LinkList(len(self.parts)))
        elif tag == "li" and self.lists:
            self.lists[-1].end_item()
        elif tag == "a" and dict(attrs).get("href"):
            self.links += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _LISTS and self.lists:
            self.end_list()
        elif tag == "li" and self.lists:
            self.lists[-1].end_item()
        elif tag == "a":
            self.links = max(0, self.links - 1)
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        # In HTML a line break in the source is white space, not a paragraph break.
        if self.skipping:
            return
        self.parts.append(data.replace("\r", " ").replace("\n", " "))
        if self.lists:
            self._count(len(data.strip()), self.links > 0)

    def _count(self, chars: int, link: bool) -> None:
        self.lists[-1].count(chars, link)

    def end_list(self) -> None:
        """Close the innermost list; drop it if every item is mostly a link (see html_to_text)."""
        done = self.lists.pop()
        if not self.link_lists and done.is_boilerplate():
            del self.parts[done.start :]
        elif self.lists:
            self._count(done.chars, False)  # a list kept inside an item is text of that item


def html_to_text(markup: str, *, link_lists: bool = True) -> str:
    """Plain text of an HTML fragment: one line per paragraph, spaces collapsed.

    Entities are decoded, and a second time where the feed escaped them twice (``&amp;amp;``).
    Without ``link_lists``, a list (``ul``/``ol``) whose every item is mostly link text (related
    headlines, share buttons, navigation) is left out.
    """
    collector = _TextCollector(link_lists)
    collector.feed(markup)
    collector.close()
    while collector.lists:
        collector.end_list()
    text = "".join(collector.parts)
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
    lines = (collapse_space(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
