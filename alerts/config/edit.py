"""Feeds appended to a config file's text with every comment and the layout of every other line
kept: the only module that imports ruamel.yaml.

ruamel.yaml reads the file into a round-trip document (comments, key order, flow or block style
and quoting kept) and writes it back. New feeds go at the end of ``feeds:`` in the style of the
feeds already there: flow (``- {url: "...", name: ..., tags: [...]}``, as ``config.yaml`` writes
them) when the last one is, or when there are none yet; block mappings otherwise. The file's
own indentation is found (the settings under which the file round-trips unchanged) and kept;
CRLF line ends stay CRLF. What follows the last feed (blank lines, a comment about the next
section), which ruamel hangs on the last feed's last value, is moved after the new feeds.

A round trip can still reformat what it does not understand (an unusual indentation, a long
flow mapping), so the result is compared with the original line by line: anything other than
added lines (and, for an empty ``feeds: []``, that one line opened into a block) is refused
with the line that would change, and nothing is written. Validation is the caller's: the text
returned is meant for the bot's own config loader.
"""

from __future__ import annotations

import copy
import difflib
import io
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.util import load_yaml_guess_indent

from alerts.errors import ConfigError, ConfigProblem

Entry = Mapping[str, str | Sequence[str] | None]
WIDTH = 1 << 16  # never fold a long line: the original's lines are kept as they are
# Indentations (mapping, sequence, dash offset) tried after ruamel's guess, most common first:
# config.yaml's ``  - {...}`` under a key, then ``- ...`` flush with the key, then 4-space ones.
INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 0), (4, 6, 2), (4, 8, 4))


def append_feeds(text: str, entries: Sequence[Entry], source: str = "<config>") -> str:
    """``text`` with ``entries`` (url, name, tags) appended to its ``feeds:``."""
    newline = "\r\n" if "\r\n" in text else "\n"
    original = text.replace("\r\n", "\n")
    if original and not original.endswith("\n"):
        original += "\n"
    document = _load(original, source)
    if document is None:  # only comments, or nothing: they stay, the section goes after them
        return (original + _new_section(entries)).replace("\n", newline)
    yaml = _emitter(document, original)
    feeds, opened = _feeds_of(document, source)
    trailing = _trailing_comment(feeds)
    flow = not feeds or _is_flow(feeds[-1])
    for entry in entries:
        feeds.append(_node(entry, flow))
    if trailing is not None and entries:
        _put_trailing(feeds, trailing)
    result = _dumped(yaml, document)
    _only_added(original, result, opened, source)
    return result.replace("\n", newline)


def _new_section(entries: Sequence[Entry]) -> str:
    feeds = CommentedSeq(_node(entry, flow=True) for entry in entries)
    return _dumped(_yaml(INDENTS[0], explicit_start=False), CommentedMap(feeds=feeds))


def _load(text: str, source: str) -> Any:
    try:
        return _yaml(INDENTS[0], explicit_start=False).load(text)
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(source, [ConfigProblem("", line, f"not valid YAML: {e}")]) from e


def _yaml(indent: tuple[int, int, int], *, explicit_start: bool) -> YAML:
    yaml = YAML()  # round-trip mode
    yaml.preserve_quotes = True
    yaml.width = WIDTH
    yaml.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    yaml.explicit_start = explicit_start
    return yaml


def _emitter(document: Any, text: str) -> YAML:
    """The emitter settings under which ``document`` is written back as ``text`` exactly:
    ruamel's guess of the sequence indentation with each mapping indentation, then the usual
    ones; the first if none is exact (the line check then tells what would change)."""
    _, sequence, offset = load_yaml_guess_indent(text)
    guessed = [(m, sequence, offset) for m in (2, 4)] if sequence and offset is not None else []
    start = text.lstrip().startswith("---")
    candidates = [_yaml(indent, explicit_start=start) for indent in (*guessed, *INDENTS)]
    return next((y for y in candidates if _dumped(y, document) == text), candidates[0])


def _dumped(yaml: YAML, document: Any) -> str:
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _feeds_of(document: Any, source: str) -> tuple[CommentedSeq, int | None]:
    """The ``feeds:`` list to append to, created if absent, and the 0-based line of an empty
    flow list (``feeds: []``) that becomes a block list, if it was one."""
    if not isinstance(document, CommentedMap):
        raise ConfigError(source, [ConfigProblem("", 1, "the config must be a mapping")])
    feeds = document.get("feeds")
    if feeds is None:  # absent, or a key with nothing after it: its line stays as it is
        feeds = document["feeds"] = CommentedSeq()
        return feeds, None
    if not isinstance(feeds, CommentedSeq):
        line = document.lc.key("feeds")[0] + 1
        raise ConfigError(source, [ConfigProblem("feeds", line, "must be a list of feeds")])
    if feeds and not _is_flow_node(feeds):
        return feeds, None
    # ``feeds: []`` (an empty list is always written so) opens into one feed a line, not one
    # line of a thousand feeds.
    feeds.fa.set_block_style()
    return feeds, document.lc.key("feeds")[0]


def _trailing_comment(feeds: CommentedSeq) -> CommentToken | None:
    """Detach what follows the last feed (blank lines, comments about the next section), which
    ruamel keeps on the last value of a block mapping, so that it stays after the new feeds."""
    slot = _last_slot(feeds)
    token = slot[0][slot[1]] if slot is not None else None
    if not isinstance(token, CommentToken):
        return None
    cut = token.value.find("\n") + 1
    if not cut or cut == len(token.value):
        return None
    rest = copy.copy(token)
    rest.value = "\n" + token.value[cut:]  # the end of the value's line, then what followed
    token.value = token.value[:cut]
    return rest


def _put_trailing(feeds: CommentedSeq, token: CommentToken) -> None:
    slot = _last_slot(feeds, create=True)
    if slot is not None:
        slot[0][slot[1]] = token


def _last_slot(node: CommentedSeq, create: bool = False) -> tuple[list[Any], int] | None:
    """The comment list and index of what follows the deepest last value under ``node``'s
    last item: ``ca.items[i][0]`` of a list item, ``ca.items[key][2]`` of a mapping value."""
    parent: CommentedSeq | CommentedMap = node
    while len(parent):
        key: Any = len(parent) - 1 if isinstance(parent, CommentedSeq) else list(parent)[-1]
        child = parent[key]
        if (
            isinstance(child, CommentedMap | CommentedSeq)
            and len(child)
            and not _is_flow_node(child)
        ):
            parent = child
            continue
        if key not in parent.ca.items and not create:
            return None
        entry = parent.ca.items.setdefault(key, [None, None, None, None])
        return entry, 0 if isinstance(parent, CommentedSeq) else 2
    return None


def _is_flow_node(node: CommentedMap | CommentedSeq) -> bool:
    return bool(node.fa.flow_style())


def _is_flow(node: object) -> bool:
    return isinstance(node, CommentedMap) and bool(node.fa.flow_style())


def _node(entry: Entry, flow: bool) -> CommentedMap:
    node = CommentedMap()
    node["url"] = DoubleQuotedScalarString(str(entry["url"]))  # as config.yaml quotes URLs
    if entry.get("name"):
        node["name"] = str(entry["name"])
    tags = entry.get("tags")
    if tags:
        listed = CommentedSeq([str(tag) for tag in tags])
        listed.fa.set_flow_style()
        node["tags"] = listed
    if flow:
        node.fa.set_flow_style()
    return node


def _only_added(original: str, result: str, opened: int | None, source: str) -> None:
    """Refuse a result that changes a line of the original, beyond the allowed one."""
    before, after = original.splitlines(), result.splitlines()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, start, end, _, _ in matcher.get_opcodes():
        if op in ("equal", "insert") or (start, end) == (opened, (opened or 0) + 1):
            continue
        problem = ConfigProblem(
            "", start + 1, "adding feeds would change this line's layout; nothing was written "
            f"(add them by hand): {before[start].strip()[:60]!r}"
        )  # fmt: skip
        raise ConfigError(source, [problem])
