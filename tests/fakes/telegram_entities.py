"""What Telegram's HTML parse mode knows: the tags it allows and the entity type of each, the
character references it decodes, the MessageEntity a parse yields, and length as Telegram counts
it (UTF-16 code units)."""

from __future__ import annotations

from dataclasses import dataclass

_SPACES = " \t\r\n\f"
_NAME_STOP = _SPACES + "<>/=\"'&"
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-spoiler",
        "span",
        "tg-emoji",
    }
)
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}


def utf16_length(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Entity:
    """A MessageEntity produced by parsing HTML."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None

    def to_json(self) -> dict[str, object]:
        """Return the entity as a Bot API JSON object."""
        out: dict[str, object] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.url is not None:
            out["url"] = self.url
        if self.language is not None:
            out["language"] = self.language
        if self.custom_emoji_id is not None:
            out["custom_emoji_id"] = self.custom_emoji_id
        return out


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode the character reference starting at ``text[i] == '&'``; None if there is none."""
    n = len(text)
    j = i + 1
    if j < n and text[j] == "#":
        j += 1
        base, digits = 10, "0123456789"
        if j < n and text[j] in "xX":
            j += 1
            base, digits = 16, "0123456789abcdefABCDEF"
        start = j
        while j < n and text[j] in digits and j - start <= 8:
            j += 1
        if j == start or j - start > 8:
            return None
        code = int(text[start:j], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = j
        while j < n and text[j].isascii() and text[j].isalpha():
            j += 1
        found = _NAMED_ENTITIES.get(text[start:j])
        if found is None:
            return None
        char = found
    if j < n and text[j] == ";":
        j += 1
    return char, j
