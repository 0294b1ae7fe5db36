"""The command line: every command and option of ``bot.py`` (its ``--help``), parsed and
dispatched to ``commands``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from alerts import commands, logs
from alerts import config as config_mod
from alerts.config import parse_duration
from alerts.errors import AlertsError, ConfigError

log = logging.getLogger("alerts.cli")

DESCRIPTION = """\
Watches RSS/Atom feeds and posts each new story that matches a watch rule to Telegram, once,
as a short message: title, clean summary, why it matched, source and link.

The bot token is read from the environment variable TELEGRAM_BOT_TOKEN (or from the file named
by TELEGRAM_BOT_TOKEN_FILE), never from the config file. Without a token, alerts are printed
on standard output and recorded as delivered.
"""
EPILOG = """\
exit codes: 0 ok; 1 bad config or fatal error; 2 bad command line;
            75 (run --once) Telegram kept failing until the deadline, alerts left pending.
environment: TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_TOKEN_FILE, LOGLEVEL (DEBUG, INFO, WARNING),
             DATABASE_URL (a postgresql:// state; wins over the config's state).
"""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, documented for ``--help``."""
    parser = argparse.ArgumentParser(
        prog="bot.py",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--log-level",
        default=os.environ.get("LOGLEVEL"),
        help="DEBUG, INFO, WARNING or ERROR, on standard error "
        "(default: $LOGLEVEL, else INFO; WARNING for demo)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_run_command, _demo_command, _explain_command, _similar_command,
                _backtest_command, _operator_commands, _feeds_command, _check_command):  # fmt: skip
        add(sub, common)
    return parser


if TYPE_CHECKING:  # subscriptable for type checkers only
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _run_command(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    run = sub.add_parser(
        "run",
        parents=[common],
        help="poll feeds and deliver alerts (the service)",
        description="Poll the feeds on their schedule and deliver alerts.",
    )
    _config_arg(run)
    run.add_argument(
        "--once",
        action="store_true",
        help="poll every feed once, deliver what is pending, then exit (for cron)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="print what one run would post; change nothing in the state file (implies --once)",
    )
    run.add_argument(
        "--jsonl",
        action="store_true",
        help="print alerts as JSON lines (chat, rule, title, link, text) "
        "instead of the human form, when printing",
    )
    run.add_argument(
        "--deadline",
        type=_duration,
        default=timedelta(minutes=10),
        help="with --once: give up delivering after this long, leave the rest "
        "pending and exit 75 (default 10m)",
    )


def _demo_command(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="run the pipeline once over bundled sample feeds",
        description="Serve examples/ on 127.0.0.1, run the whole pipeline "
        "once with a fresh state, and print the alerts.",
    )
    demo.add_argument("--jsonl", action="store_true", help="print alerts as JSON lines")


def _explain_command(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    explain = sub.add_parser(
        "explain",
        parents=[common],
        help="show which rules fire on a story, and why",
        description="Print which rules fire on a story and on which words. The config may "
        "hold only entities and rules.",
    )
    _config_arg(explain)
    explain.add_argument("--title", default="", help="the story's title")
    explain.add_argument("--feed", default=None, help="the feed name, for rules with feeds:")
    explain.add_argument(
        "--jsonl",
        metavar="FILE",
        help="batch mode: each line of FILE ('-' for standard input) is "
        '{"title", "content", "feed"}; print one {"rules", "terms"} JSON line for each',
    )
    explain.add_argument("text", nargs="?", default="", help="the story's content; - reads stdin")


def _similar_command(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    similar = sub.add_parser(
        "similar",
        parents=[common],
        help="would dedup take two stories for one? (for tuning dedup.threshold and "
        "dedup.semantic_threshold)",
        description="Judge a pair of stories as the bot's dedup would, with the config's "
        "dedup settings (defaults without --config): which stage decided (identity, title, "
        "content, meaning), the title score, the cosine, and the guard that refused.",
    )
    similar.add_argument("--config", type=Path, default=None, help="config file (optional)")
    similar.add_argument(
        "--jsonl",
        metavar="FILE",
        help='batch mode: each line of FILE (\'-\' for standard input) is {"a": {"title", '
        '"summary", "link", "feed"}, "b": {...}}; print {"same", "score", "stage", "cosine", '
        '"refusal"} for each',
    )
    similar.add_argument(
        "--summaries",
        nargs=2,
        metavar=("SUMMARY_A", "SUMMARY_B"),
        help="the stories' summaries (they decide between stories of one recurring title)",
    )
    similar.add_argument("titles", nargs="*", metavar="TITLE", help="two titles to compare")


def _backtest_command(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    backtest = sub.add_parser(
        "backtest",
        parents=[common],
        help="what the rules would have sent over the stories the bot saw (changes nothing)",
        description="Run the rules of a config as they stand (a candidate config, or one rule "
        "of it) over the stories the bot saw in a period, in the order it saw them, with "
        "dedup, and print what would have been sent per chat and the counts (items judged; "
        "matched, deduped and would send per chat and rule). The state file is opened "
        "read-only: nothing is sent or changed, also while the bot runs.",
    )
    backtest.add_argument(
        "--config",
        default="config.yaml",
        type=Path,
        help="the config whose rules are judged, e.g. a candidate copy of config.yaml "
        "(default: config.yaml); its state file is read",
    )
    backtest.add_argument("--rule", metavar="NAME", help="judge only this rule of the config")
    backtest.add_argument(
        "--since",
        type=_duration,
        default=timedelta(days=7),
        help="how far back, e.g. 24h, 7d (default 7d; items are kept for items.retention)",
    )
    backtest.add_argument(
        "--state",
        default=None,
        help="the state to read, a file or a postgresql:// URL (default: the config's)",
    )
    backtest.add_argument(
        "--jsonl",
        action="store_true",
        help='print each alert as a JSON line {"at", "chat", "rule", "title", "link", '
        '"text", "also"}, then one {"judged", "counts"}',
    )


def _operator_commands(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    status = sub.add_parser(
        "status",
        parents=[common],
        help="feeds ok and failing, alerts pending and failed (as /status)",
        description="Report from the state file; works while the bot runs.",
    )
    _config_arg(status)
    redrive = sub.add_parser(
        "redrive",
        parents=[common],
        help="make failed alerts pending again (as /redrive)",
        description="Failed alerts (Telegram refused them) are tried again by the bot.",
    )
    _config_arg(redrive)
    state = sub.add_parser(
        "state",
        help="the state: state backup FILE, state migrate --to URL",
        description="Work on the state: a backup copy (while the bot runs), or a move to "
        "another store (with the bot stopped).",
    )
    actions = state.add_subparsers(dest="action", required=True, metavar="ACTION")
    backup = actions.add_parser(
        "backup",
        parents=[common],
        help="a consistent copy of the state file, also while the bot runs",
        description="Copy the state with SQLite's online backup into FILE, one self-contained "
        "file. Copying the state file itself while the bot runs misses what is still in its "
        "-wal file.",
    )
    _config_arg(backup)
    backup.add_argument("file", metavar="FILE", type=Path, help="where the copy is written")
    _migrate_command(actions, common)


def _migrate_command(actions: Subparsers, common: argparse.ArgumentParser) -> None:
    migrate = actions.add_parser(
        "migrate",
        parents=[common],
        help="move the whole state into PostgreSQL (or back), the bot stopped",
        description="Copy every table of a state into an empty store, in one transaction on "
        "the target, and verify each table's count before it commits; the source is left as "
        "it was. Stop the bot first: a state in use is refused.",
    )
    _config_arg(migrate)
    migrate.add_argument(
        "--from", dest="source", metavar="STATE",
        help="a SQLite file or postgresql:// URL (default: the config's state)",
    )  # fmt: skip
    migrate.add_argument(
        "--to", dest="target", metavar="STATE",
        help="postgresql://user@host/db, or a SQLite file (default: $DATABASE_URL, the "
        "place for a password)",
    )  # fmt: skip
    migrate.add_argument(
        "--force", action="store_true", help="replace a state the target already holds"
    )


def _feeds_command(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    feeds = sub.add_parser(
        "feeds",
        help="feeds from a reader and back: feeds import FILE.opml, feeds export",
        description="Move feed lists between config.yaml and a feed reader (OPML).",
    )
    actions = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")
    into = actions.add_parser(
        "import",
        parents=[common],
        help="add the feeds of an OPML file to the config, keeping its comments",
        description="Append the feeds of an OPML file (a reader's export) to the config's "
        "feeds:, keeping every comment and line of the file. Folders and categories become "
        "tags; feeds already in the config are skipped, with a line for each. The result is "
        "validated before it replaces the config; a bad OPML file changes nothing.",
    )
    _config_arg(into)
    into.add_argument("file", metavar="FILE.opml", type=Path, help="the OPML file to import")
    into.add_argument(
        "--tag", action="append", type=_tag, metavar="TAG",
        help="also give every imported feed this tag (repeatable)",
    )  # fmt: skip
    into.add_argument(
        "--dry-run", action="store_true", help="print what would be added; write nothing"
    )
    out = actions.add_parser(
        "export",
        parents=[common],
        help="write the config's feeds as OPML 2.0 (for Miniflux, FreshRSS, Feedly, Inoreader)",
        description="Write the config's feeds as OPML 2.0: names, tags as categories, each "
        "feed in a folder named by its first tag. Credentials are never written.",
    )
    _config_arg(out)
    out.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)"
    )


def _tag(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("a tag cannot be empty")
    return text.strip()


def _check_command(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    check = sub.add_parser(
        "check",
        parents=[common],
        help="validate a config file",
        description="Print every problem with its key path and line; exit 1 if there is any.",
    )
    _config_arg(check)
    check.add_argument(
        "--schema", action="store_true", help="print every accepted key with its default, and exit"
    )


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", default="config.yaml", type=Path, help="config file (default: config.yaml)"
    )


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``bot.py``; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        token = config_mod.read_token()
    except OSError as e:
        print(f"error: cannot read TELEGRAM_BOT_TOKEN_FILE: {e.strerror}", file=sys.stderr)
        return 1
    level = args.log_level or ("WARNING" if args.command == "demo" else "INFO")
    logs.setup(level, secrets=(token,) if token else ())
    try:
        if args.command == "check":
            return commands.check(args)
        if args.command == "explain":
            return commands.explain(args)
        if args.command == "similar":
            return commands.similar(args)
        if args.command in ("status", "redrive"):
            return commands.operate(args)
        if args.command == "state" and args.action == "migrate":
            from alerts.ops.migrate import migrate

            return migrate(args)
        if args.command == "state":
            return commands.backup(args)
        if args.command == "feeds":
            from alerts.opml.command import feeds

            return feeds(args)
        if args.command == "backtest":
            from alerts.backtest_command import command

            return command(args)
        if args.command == "demo":
            from alerts.demo import run_demo

            code: int = run_demo(jsonl=args.jsonl)
            return code
        return commands.run(args, token)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except AlertsError as e:
        log.critical("fatal error=%s", e)
        return 1
