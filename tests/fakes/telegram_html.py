"""Telegram's HTML parse mode as the fake Bot API applies it: text and entities, or the reason.

The parser is here; what it knows (tags, entity types, character references, ``Entity``,
``utf16_length``) is in ``telegram_entities``, its public names importable from here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.telegram_entities import (
    _ALLOWED_TAGS,
    _ENTITY_TYPES,
    _NAME_STOP,
    _SPACES,
    _decode_entity,
)
from tests.fakes.telegram_entities import Entity as Entity
from tests.fakes.telegram_entities import utf16_length as utf16_length

__all__ = ["Entity", "parse_html", "parse_telegram_html", "utf16_length"]


@dataclass
class _OpenTag:
    """A start tag waiting for its end tag."""

    name: str
    start: int
    attrs: dict[str, str]
    language: str | None = None


class _HTMLParser:
    """Telegram's HTML parse mode: a strict subset of HTML producing text and entities."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.out: list[str] = []
        self.pos16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []

    def byte_offset(self, index: int) -> int:
        """Return the UTF-8 byte offset of a character index (Telegram reports bytes)."""
        return len(self.text[:index].encode("utf-8", "surrogatepass"))

    def emit(self, piece: str) -> None:
        """Append plain text."""
        self.out.append(piece)
        self.pos16 += utf16_length(piece)

    def parse(self) -> tuple[str, tuple[Entity, ...]]:
        """Parse the whole text."""
        text, n = self.text, len(self.text)
        while self.pos < n:
            char = text[self.pos]
            if char == "&":
                piece, self.pos = self.entity(self.pos)
                self.emit(piece)
            elif char != "<":
                self.emit(char)
                self.pos += 1
            elif text.startswith("</", self.pos):
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise ValueError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        entities = sorted(self.entities, key=lambda e: (e.offset, -e.length))
        return "".join(self.out), tuple(entities)

    def entity(self, i: int) -> tuple[str, int]:
        """Decode a character reference or fail like Telegram would for this fake."""
        decoded = _decode_entity(self.text, i)
        if decoded is not None:
            return decoded
        j = i + 1
        while j < len(self.text) and self.text[j].isascii() and self.text[j].isalnum():
            j += 1
        if j < len(self.text) and self.text[j] == ";":
            j += 1
        name = self.text[i + 1 : j]
        if name:
            raise ValueError(f'Unsupported entity "&{name}" at byte offset {self.byte_offset(i)}')
        raise ValueError(f'Character "&" at byte offset {self.byte_offset(i)} must be escaped')

    def read_name(self) -> str:
        """Read a tag or attribute name at the current position."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _NAME_STOP:
            self.pos += 1
        return self.text[start : self.pos].lower()

    def skip_spaces(self) -> None:
        """Skip whitespace inside a tag."""
        while self.pos < len(self.text) and self.text[self.pos] in _SPACES:
            self.pos += 1

    def start_tag(self) -> None:
        """Parse ``<name attr="value" ...>`` at the current position."""
        begin = self.pos
        self.pos += 1
        name = self.read_name()
        if name not in _ALLOWED_TAGS:
            raise ValueError(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        attrs: dict[str, str] = {}
        while True:
            self.skip_spaces()
            if self.pos >= len(self.text):
                raise ValueError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if self.text[self.pos] == ">":
                self.pos += 1
                break
            attr_at = self.pos
            attr = self.read_name()
            if not attr:
                raise ValueError(
                    f'Unexpected character "{self.text[self.pos]}" in the tag "{name}" '
                    f"at byte offset {self.byte_offset(attr_at)}"
                )
            self.skip_spaces()
            value = ""
            if self.pos < len(self.text) and self.text[self.pos] == "=":
                self.pos += 1
                self.skip_spaces()
                value = self.attribute_value(begin)
            attrs.setdefault(attr, value)
        self.check_attributes(name, attrs)
        self.stack.append(_OpenTag(name, self.pos16, attrs))

    def attribute_value(self, begin: int) -> str:
        """Read a quoted or unquoted attribute value and decode its entities."""
        text = self.text
        if self.pos >= len(text):
            raise ValueError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        quote = text[self.pos]
        if quote in "\"'":
            end = text.find(quote, self.pos + 1)
            if end < 0:
                raise ValueError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            start, self.pos = self.pos + 1, end + 1
        else:
            start = self.pos
            while self.pos < len(text) and text[self.pos] not in _SPACES + ">":
                self.pos += 1
            end = self.pos
            if end == start:
                raise ValueError(f"Empty attribute value at byte offset {self.byte_offset(start)}")
        parts: list[str] = []
        k = start
        while k < end:
            if text[k] == "&":
                piece, k = self.entity(k)
                parts.append(piece)
            else:
                parts.append(text[k])
                k += 1
        return "".join(parts)

    @staticmethod
    def check_attributes(name: str, attrs: dict[str, str]) -> None:
        """Enforce the attributes some tags need."""
        if name == "a" and not attrs.get("href", "").strip():
            raise ValueError('Tag "a" must have a non-empty attribute "href"')
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise ValueError('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").strip():
            raise ValueError('Tag "tg-emoji" must have attribute "emoji-id"')

    def end_tag(self) -> None:
        """Parse ``</name>`` at the current position and close the matching start tag."""
        begin = self.pos
        self.pos += 2
        name = self.read_name()
        self.skip_spaces()
        if self.pos >= len(self.text) or self.text[self.pos] != ">":
            raise ValueError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        self.pos += 1
        if not self.stack:
            raise ValueError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        open_tag = self.stack[-1]
        if open_tag.name != name:
            raise ValueError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{open_tag.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.close(open_tag)

    def close(self, tag: _OpenTag) -> None:
        """Turn a closed tag into an entity."""
        length = self.pos16 - tag.start
        kind = _ENTITY_TYPES[tag.name]
        css = tag.attrs.get("class", "")
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            # <pre><code class="language-x"> is one pre entity with a language
            if css.startswith("language-") and len(css) > len("language-"):
                parent.language = css[len("language-") :]
            return
        if length <= 0:
            return
        url = tag.attrs["href"] if tag.name == "a" else None
        emoji = tag.attrs["emoji-id"] if tag.name == "tg-emoji" else None
        if tag.name == "blockquote" and "expandable" in tag.attrs:
            kind = "expandable_blockquote"
        self.entities.append(
            Entity(kind, tag.start, length, url, tag.language, custom_emoji_id=emoji)
        )


def parse_html(text: str) -> tuple[str, tuple[Entity, ...]]:
    """Parse Telegram HTML into plain text and entities, or raise ValueError(reason)."""
    return _HTMLParser(text).parse()


def parse_telegram_html(text: str) -> str:
    """Return the plain text of Telegram-HTML ``text`` or raise ``ValueError(reason)``."""
    return parse_html(text)[0]
