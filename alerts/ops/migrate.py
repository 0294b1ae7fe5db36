"""``bot.py state migrate``: move a whole state from one store to another, typically an
existing SQLite file into PostgreSQL (``--from alerts.db --to postgresql://...``), or back.

Nothing may write either state meanwhile: both are opened with the bot's own lock (a running
bot on either is refused: "stop it first"), and the copy (``alerts.store.transfer``) is one
transaction on the target, verified table by table before it commits. The source is left as
it was, so going back is keeping the old file. What was moved is printed, table by table.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from pathlib import Path

from alerts import config as config_mod
from alerts.store.factory import ENV, is_database_url, open_at, redact
from alerts.store.transfer import copy_state


def migrate(args: argparse.Namespace) -> int:
    """Copy the state at ``--from`` (default: the config's state) into ``--to`` (default:
    ``DATABASE_URL``); 1 with the reason on a refusal."""
    source = args.source or config_mod.load(args.config).state
    target = args.target or os.environ.get(ENV, "").strip()
    problem = _refusal(source, target)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    with ExitStack() as stack:
        opened_source = open_at(source, lock=True)
        stack.callback(opened_source.close)
        opened_target = open_at(target, lock=True)
        stack.callback(opened_target.close)
        counts = copy_state(opened_source, opened_target, force=args.force)
    print(f"{_shown(source)} -> {_shown(target)}: {sum(counts.values())} rows moved in one"
          " transaction, every table's count verified")  # fmt: skip
    width = max(map(len, counts), default=0)
    print("".join(f"  {table:<{width}}  {n}\n" for table, n in counts.items()), end="")
    return 0


def _refusal(source: str, target: str) -> str | None:
    """Why the copy cannot start, or None."""
    if not target:
        return f"where to? give --to postgresql://... or set {ENV}"
    if source == target:
        return "--from and --to name the same state"
    if not is_database_url(source) and not Path(source).is_file():
        return f"no state file at {source}"
    return None


def _shown(where: str) -> str:
    return redact(where) if is_database_url(where) else where
