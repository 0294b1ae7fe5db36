"""YAML text to one node graph (libyaml), refused when its aliases would blow it up.

An alias stands for its anchor's whole value, so nine lines of anchors, each used ten times by
the next, stand for 10**9 values (the YAML "billion laughs"): the composed graph stays small,
but everything that then walks it as a tree (the line of every key, validation, the values
built from it) would run for minutes and take gigabytes. An alias inside its own anchor
(``a: &a [*a]``) makes the graph a cycle, which a recursive walk ends in a RecursionError.

So, before anything walks the graph, one walk that visits each node once counts the values
each node stands for (a shared node counts at every use) and refuses, as a ConfigProblem at
the key where it happens, a node standing for more than ALIAS_VALUES values beyond the ones
written in the file, an alias inside its own anchor, and values nested deeper than MAX_DEPTH
(libyaml stops at 1,000; the recursive walks after this one need far less). Anchors and
aliases used with sense, as shared defaults for many feeds, stay far below the bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml

from alerts.errors import ConfigProblem

ALIAS_VALUES = 100_000  # values aliases may add to the file; a config needs a few hundred
MAX_DEPTH = 100  # a config nests 4 deep; Python's recursion limit is 1,000 frames

# libyaml's safe loader when PyYAML was built with it (the wheels are): the same safe subset and
# the same marks for line numbers, parsed in C; a config of 1,000 feeds loads in milliseconds.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KeyPath = tuple[str | int, ...]
_Child = tuple[yaml.Node, KeyPath, int]  # a node, its key path, the line to report it at


class UnsafeYaml(Exception):
    """A document refused before its values are built; ``problem`` says where and why."""

    def __init__(self, problem: ConfigProblem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def compose_yaml(text: str) -> yaml.Node | None:
    """The document's node graph (None for an empty one), or UnsafeYaml, or a YAMLError."""
    node = yaml.compose(text, Loader=LOADER)
    if node is not None:
        check_expansion(node)
    return node


def construct_yaml(node: yaml.Node) -> object:
    """The values of a checked graph. The constructor rewrites merge keys (``<<``) in the
    graph, so a caller that wants the graph as written reads it before."""
    loader = LOADER("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


@dataclass
class _Walk:
    """One visit of every node: the values each one stands for, and the nodes being visited."""

    written: int
    stands_for: dict[int, int] = field(default_factory=dict)
    visiting: set[int] = field(default_factory=set)


def check_expansion(root: yaml.Node) -> None:
    """Raise UnsafeYaml for a recursive alias, an expansion past the bound, or deep nesting."""
    walk = _Walk(written=_count_written(root))
    # An explicit stack of (node, path, line, children left): the walk itself never recurses.
    top = root.start_mark.line + 1
    stack: list[tuple[yaml.Node, KeyPath, int, Iterator[_Child]]] = [
        (root, (), top, _children(root, (), top))
    ]
    walk.visiting.add(id(root))
    while stack:
        node, path, line, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            _close(walk, node, path, line)
            continue
        node_of, path_of, line_of = child
        if id(node_of) in walk.visiting:
            raise UnsafeYaml(
                ConfigProblem(dotted(path_of), line_of, "an alias inside its own anchor")
            )
        if id(node_of) in walk.stands_for:
            continue  # an alias of a value already counted
        if len(path_of) > MAX_DEPTH:
            raise UnsafeYaml(
                ConfigProblem(dotted(path_of), line_of, f"nested deeper than {MAX_DEPTH} levels")
            )
        walk.visiting.add(id(node_of))
        stack.append((node_of, path_of, line_of, _children(node_of, path_of, line_of)))


def _close(walk: _Walk, node: yaml.Node, path: KeyPath, line: int) -> None:
    """A node whose children are all counted: the values it stands for, within the bound."""
    walk.visiting.discard(id(node))
    total = 1 + sum(walk.stands_for[id(child)] for child, _, _ in _children(node, path, line))
    walk.stands_for[id(node)] = total
    if total > walk.written + ALIAS_VALUES:
        raise UnsafeYaml(
            ConfigProblem(
                dotted(path),
                line,
                f"aliases here add more than {ALIAS_VALUES:,} values to the file "
                "(a YAML alias bomb?)",
            )
        )


def _children(node: yaml.Node, path: KeyPath, line: int) -> Iterator[_Child]:
    """A node's children with their key paths and lines (a mapping's keys count as values)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*path, str(key.value))
            yield key, here, key.start_mark.line + 1
            yield value, here, key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            # An alias has no mark of its own: an item shared with an anchor gets its list's line.
            yield item, (*path, i), max(line, item.start_mark.line + 1)


def _count_written(root: yaml.Node) -> int:
    """The number of distinct nodes: the values written in the file, aliases not counted."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) not in seen:
            seen.add(id(node))
            todo += [child for child, _, _ in _children(node, (), 0)]
    return len(seen)


def dotted(loc: KeyPath) -> str:
    """A key path as written in problems: ``feeds[2].url``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
