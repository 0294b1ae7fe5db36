"""``bot.py backtest``: load the candidate config, replay the kept items (``alerts.backtest``)
with a progress bar on a terminal, and print what would have been sent, per chat, and the
counts; as JSON lines with ``--jsonl``. It changes nothing: the state is read-only (a SQLite
file opened ``mode=ro``, or PostgreSQL in READ ONLY transactions).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

from alerts import config as config_mod
from alerts.backtest import ALL_RULES, Replay, Report, WouldSend, only_rule
from alerts.backtest_judge import judged
from alerts.config import Config
from alerts.config.durations import format_duration
from alerts.errors import StoreError
from alerts.progress import Progress
from alerts.store.factory import location
from alerts.store.history import History


def command(args: argparse.Namespace) -> int:
    """Run the backtest the command line asks for; 0 once printed."""
    config = config_mod.load(args.config)
    if args.rule:
        config = only_rule(config, args.rule, str(args.config))
    started = datetime.now(UTC)
    try:
        report = backtest(config, args.state or location(config.state), started - args.since)
    except StoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    lines = jsonl_lines(report) if args.jsonl else text_lines(report, args, started)
    print("\n".join(lines))
    return 0


def backtest(config: Config, state: str, since: datetime) -> Report:
    """Replay the items of ``state`` seen since ``since`` under ``config``; read-only."""
    from alerts.pipeline import open_memo  # the embedder as the live path finds it

    history = History(state)
    try:
        replay = Replay(config, open_memo(config))
        count = history.count(since)
        with Progress("items", count, label="judged") as bar:
            replay.replay(judged(config, history.items(since), count), bar.advance)
        # The last pass (the sources that joined a story without matching) has its own bar.
        with Progress("items", replay.left_out, label="joins") as bar:
            replay.last_pass(bar.advance)
    finally:
        history.close()
    return replay.report()


def jsonl_lines(report: Report) -> Iterator[str]:
    """One JSON object per alert, in order, then one with the counts."""
    for sent in report.sent:
        a, at = sent.alert, datetime.fromtimestamp(sent.at, UTC).isoformat()
        yield json.dumps({"at": at, "chat": a.chat, "rule": a.rule, "title": a.title,
                          "link": a.link, "text": a.text, "also": report.also.get(a.key, ())},
                         ensure_ascii=False)  # fmt: skip
    counts = [{"chat": c.chat, "rule": c.rule or None, "matched": c.matched,
               "deduped": c.deduped, "would_send": c.sent} for c in report.counts]  # fmt: skip
    yield json.dumps({"judged": report.judged, "counts": counts}, ensure_ascii=False)


def text_lines(report: Report, args: argparse.Namespace, started: datetime) -> Iterator[str]:
    """The alerts per chat, then the counts, for a person."""
    took = (datetime.now(UTC) - started).total_seconds()
    rules = f"rule {args.rule!r} of {args.config}" if args.rule else f"the rules of {args.config}"
    yield (f"backtest of {rules} over the last {format_duration(args.since)}: "
           f"items judged: {report.judged:,} in {took:.1f} s; nothing sent or changed")  # fmt: skip
    for chat in report.chats():
        alerts = [s for s in report.sent if s.alert.chat == chat]
        yield f"\n{chat}: {len(alerts)} would be sent"
        yield from (_alert_line(s, report.also.get(s.alert.key, ())) for s in alerts)
    if not report.counts:
        yield "\nno rule matched any item"
        return
    width = max(len(c.rule or "(all)") for c in report.counts) + 2
    chat_width = max(len(c.chat) for c in report.counts) + 2
    yield f"\n{'chat':<{chat_width}}{'rule':<{width}}{'matched':>8}{'deduped':>8}{'would send':>11}"
    for c in report.counts:
        rule = "(all)" if c.rule == ALL_RULES else c.rule
        yield f"{c.chat:<{chat_width}}{rule:<{width}}{c.matched:>8}{c.deduped:>8}{c.sent:>11}"


def _alert_line(sent: WouldSend, also: tuple[str, ...]) -> str:
    a = sent.alert
    sources = f"  (also: {', '.join(also)})" if also else ""
    return f"  {_when(sent.at)}  [{a.rule}]  {a.title}  {a.link}{sources}"


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")
