"""What a bot process started by a test imported: a ``sitecustomize`` on PYTHONPATH (the
``recorded`` fixture in conftest.py installs it) writes each process's modules at exit, to a file
named by its pid and its parent's pid, so the bot's own list is the one whose parent is the test
process and its parse children's are those whose parent is the bot."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOOK = '''\
"""Written by tests/imports.py (the recorded fixture): this process's modules, to a file at exit."""
import atexit
import os
import sys


def _write_modules():
    name = f"{os.getpid()}.{os.getppid()}.modules"
    with open(os.path.join(os.environ["ALERTS_IMPORTS_DIR"], name), "w") as f:
        f.write("\\n".join(sorted(sys.modules)))


atexit.register(_write_modules)
'''


@dataclass(frozen=True)
class Imports:
    """The modules of the bot's own process, and of each process it started."""

    bot: frozenset[str]
    children: tuple[frozenset[str], ...]

    def anywhere(self, name: str) -> bool:
        """Whether the bot or one of its children imported ``name``."""
        return name in self.bot or any(name in child for child in self.children)


def imports_of(recorded: Path) -> Imports:
    """What the bot process this test started, and its children, had imported."""
    lists: dict[tuple[int, int], frozenset[str]] = {}
    for path in recorded.glob("*.modules"):
        pid, ppid = (int(part) for part in path.name.split(".")[:2])
        lists[pid, ppid] = frozenset(path.read_text().split())
    bots = [pid for pid, ppid in lists if ppid == os.getpid()]
    assert len(bots) == 1, f"expected one bot process to write its modules, got {sorted(lists)}"
    children = tuple(modules for (_, ppid), modules in lists.items() if ppid == bots[0])
    return Imports(lists[bots[0], os.getpid()], children)
