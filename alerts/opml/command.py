"""``bot.py feeds import`` and ``feeds export``: the files read and written, the lines printed.

An import changes ``config.yaml`` only as a whole and only once it is known good: the new text
(``alerts.config.edit``: the feeds appended, every other line kept) is written to a temporary
file beside the config, read back by the bot's own config loader, and only then moved over the
config with ``os.replace``, atomic on POSIX: a running bot's config watcher, or a crash, sees the
old file or the new one, never half of one. A bad OPML file, a config that would not load, or a
layout the round trip would change stops it before anything is written.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from alerts import config as config_mod
from alerts.config.edit import Entry, append_feeds
from alerts.errors import ConfigError, ConfigProblem
from alerts.opml.merge import Decision, plan_import
from alerts.opml.read import OpmlError, read_opml
from alerts.opml.write import opml_document
from alerts.progress import Progress


def feeds(args: argparse.Namespace) -> int:
    """``feeds import`` or ``feeds export``; 1 with the reason on standard error if it fails."""
    try:
        if args.action == "import":
            return import_feeds(args.file, args.config, args.tag or (), dry_run=args.dry_run)
        return export_feeds(args.config, args.output)
    except OpmlError as e:
        print(f"error: {e}; nothing was written", file=sys.stderr)
        return 1


def import_feeds(
    opml: Path, config_path: Path, tags: Sequence[str], *, dry_run: bool = False,
    out: TextIO | None = None,
) -> int:  # fmt: skip
    """Add the feeds of ``opml`` to the config file; print a line for each one skipped."""
    say = out if out is not None else sys.stdout
    found = read_opml(opml)
    config = config_mod.load(config_path)
    with Progress("feeds", len(found.feeds)) as bar:
        decisions = [_counted(d, bar) for d in plan_import(found.feeds, config, tags)]
    for decision in decisions:
        if decision.note:
            print(f"{decision.note}: {decision.url}", file=say)
    for url in found.not_feeds:
        print(f"skipped: not a feed (a subscription list or a web page): {url}", file=say)
    entries: list[Entry] = [
        {"url": d.feed.url, "name": d.feed.name, "tags": d.feed.tags} for d in decisions if d.feed
    ]
    skipped = len(decisions) - len(entries) + len(found.not_feeds)
    if entries:
        text = config_path.read_bytes().decode("utf-8")  # CRLF kept: the edit keeps it too
        edited = append_feeds(text, entries, str(config_path))
        if not dry_run:
            replace_validated(config_path, edited)
    verb = "would be added (--dry-run: nothing written)" if dry_run else "added"
    print(f"{config_path}: {len(entries)} feed(s) {verb}, {skipped} skipped", file=say)
    return 0


def _counted(decision: Decision, bar: Progress) -> Decision:
    bar.advance()
    return decision


def replace_validated(config_path: Path, text: str) -> None:
    """Write ``text`` beside the config, load it as the bot would, then move it over the config
    (the target of a symlinked config). ConfigError, with nothing changed, if it does not load."""
    target = config_path.resolve()
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        shutil.copymode(target, temporary)  # mkstemp's 0600 would not be the config's mode
        try:
            config_mod.load(temporary)
        except ConfigError as e:
            why = ConfigProblem("", None, "with the new feeds it would not load; nothing written")
            raise ConfigError(str(config_path), [why, *e.problems]) from e
        temporary.replace(target)  # os.replace: atomic
    finally:
        temporary.unlink(missing_ok=True)


def export_feeds(config_path: Path, output: Path | None, now: datetime | None = None) -> int:
    """The config's feeds as OPML 2.0, into ``output`` or on standard output."""
    config = config_mod.load(config_path)
    document = opml_document(config, now or datetime.now(UTC))
    if output is None:
        sys.stdout.buffer.write(document)
        sys.stdout.flush()
        return 0
    output.write_bytes(document)
    print(f"{output}: {len(config.feeds)} feed(s) exported from {config_path}")
    return 0
