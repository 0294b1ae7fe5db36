"""A compact copy of an item's HTML that reads the same to the bot: what the store keeps of
every item that could alert, for ``backtest``; pure, standard library only.

``html_to_text`` (``text.html``) reads few things of the markup: text, the tags it drops with
their text (``script``, ``style``, forms...), block tags (a paragraph break), lists and their
items, links with an ``href``, and where one run of text ends and the next begins (a list of
links is told from text by counting each run). The skeleton keeps exactly those and nothing
else: no attributes (an ``href`` becomes ``href=x``), no other tags (each becomes ``<i>``
where it splits text), no comments, no text of dropped elements. So ``html_to_text`` gives the
same text of the skeleton as of the item, in both of its modes (rules, summary), and so do the
rules, the summary and dedup, which read only that text: a backtest judges an item as the live
trip did. Typical feed HTML shrinks by a third to a half (attributes, inline tags, tracking
pixels); the store compresses what is left.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

from alerts.text.html import BLOCK_TAGS, SKIP_TAGS

_LIST_TAGS = frozenset({"ul", "ol", "li"})
_SPLIT = "<i>"  # an inline tag html_to_text ignores: it only ends a run of text


class _Skeleton(HTMLParser):
    """Re-emits what ``html_to_text`` reads (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0  # inside a dropped element: its text is never read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self.skipping += 1
            self.out.append(f"<{tag}>")
        elif tag in _LIST_TAGS:
            self.out.append(f"<{tag}>")
        elif tag in BLOCK_TAGS:
            self.out.append("<br>")
        elif tag == "a":
            self.out.append("<a href=x>" if dict(attrs).get("href") else "<a>")
        else:
            self._split()

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
            self.out.append(f"</{tag}>")
        elif tag in _LIST_TAGS or tag == "a":
            self.out.append(f"</{tag}>")
        elif tag in BLOCK_TAGS:
            self.out.append("<br>")
        else:
            self._split()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # html_to_text reads a self-closing tag only as a paragraph break (if a block tag).
        if tag in BLOCK_TAGS:
            self.out.append("<br>")
        else:
            self._split()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def handle_comment(self, data: str) -> None:
        self._split()

    def handle_decl(self, decl: str) -> None:
        self._split()

    def handle_pi(self, data: str) -> None:
        self._split()

    def unknown_decl(self, data: str) -> None:
        self._split()

    def _split(self) -> None:
        if self.out and self.out[-1][-1:] != ">":  # only text before it can be split
            self.out.append(_SPLIT)


def skeleton(markup: str) -> str:
    """The skeleton of an HTML fragment: ``html_to_text`` reads it as it reads ``markup``."""
    if "<" not in markup and "&" not in markup:
        return markup  # plain text (a common summary): nothing to strip
    parser = _Skeleton()
    parser.feed(markup)
    parser.close()
    return "".join(parser.out)
