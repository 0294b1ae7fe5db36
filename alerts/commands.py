"""What each command of ``bot.py`` does, once ``cli`` has parsed its arguments.

Each command imports the stages it drives when it runs: ``run --once`` from cron then does not
load the command listener, the explainer or the status report, and the parse processes, which
import this module's package as their parent's, load none of them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from alerts import config as config_mod
from alerts.config import Config, ConfigWatcher
from alerts.errors import ConfigError
from alerts.logs import event

if TYPE_CHECKING:
    from alerts.dedup.embed_memo import Memo
    from alerts.dedup.verdict import SemanticPolicy
    from alerts.delivery.destination import Destination
    from alerts.monitor import Monitor
    from alerts.scheduler import Service

log = logging.getLogger("alerts.commands")


def check(args: argparse.Namespace) -> int:
    if args.schema:
        print("\n".join(config_mod.schema_lines()))
        return 0
    try:
        config = config_mod.load(args.config)
        text = args.config.read_text("utf-8")
        config_mod.check_runnable(config, str(args.config), text)
    except ConfigError as e:
        print(str(e))
        return 1
    warnings = config_mod.config_warnings(config, str(args.config), text)
    counts = f"{len(config.feeds)} feeds, {len(config.rules)} rules"
    print(f"{args.config}: ok ({counts}){f', {len(warnings)} warning(s)' if warnings else ''}")
    print("".join(f"  warning: {w}\n" for w in warnings), end="")
    return 0


def operate(args: argparse.Namespace) -> int:
    from alerts.ops.status import status_text
    from alerts.store import in_use, open_store

    config = config_mod.load(args.config)
    if not _has_state(config):
        return 1
    store = open_store(config.state)
    try:
        if args.command == "status":
            print(status_text(store, config, running=in_use(store)))
        else:
            print(f"{store.redrive()} failed alert(s) are pending again")
    finally:
        store.close()
    return 0


def backup(args: argparse.Namespace) -> int:
    """``state backup FILE``: SQLite's online backup, a consistent copy while the bot runs.
    Copying the state file alone is not one: the last writes live in its ``-wal`` file until
    SQLite moves them over (Specs: https://www.sqlite.org/wal.html). A PostgreSQL state is
    copied into FILE too, a SQLite file, from one snapshot."""
    from alerts.store import shown
    from alerts.store.transfer import copy_to_file

    config = config_mod.load(args.config)
    if not _has_state(config):
        return 1
    target = Path(args.file)
    if _same_file(target, Path(shown(config.state))):
        print(f"error: {target} is the state file itself", file=sys.stderr)
        return 1
    copy_to_file(config.state, target)
    print(f"{shown(config.state)}: copied to {target}")
    return 0


def _has_state(config: Config) -> bool:
    from alerts.store import is_database_url, shown

    if is_database_url(shown(config.state)) or Path(shown(config.state)).exists():
        return True
    print(f"no state file yet at {config.state}: the bot has not run with this config")
    return False


def _same_file(target: Path, state: Path) -> bool:
    """Whether ``target`` is the state file or one of SQLite's files beside it."""
    siblings = [Path(f"{state}{suffix}") for suffix in ("", "-wal", "-shm", ".lock")]
    return any(target.exists() and s.exists() and target.samefile(s) for s in siblings)


def similar(args: argparse.Namespace) -> int:
    from alerts.dedup.pair import judge_pair

    config = config_mod.load(args.config) if args.config else Config()
    policy, memo = _similar_stage(config)
    if args.jsonl:
        with _open_input(args.jsonl) as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    print(json.dumps(_similar_record(line, number, policy, memo)))
        return 0
    if len(args.titles) != 2:
        print("error: give two titles, or --jsonl FILE", file=sys.stderr)
        return 2
    summaries = args.summaries or ("", "")
    a, b = ({"title": t, "summary": s} for t, s in zip(args.titles, summaries, strict=True))
    verdict = judge_pair(a, b, policy, memo)
    print(f"SAME STORY, by {verdict.stage}" if verdict.same else "DIFFERENT STORIES")
    print("\n".join(f"  - {r}" for r in verdict.reasons))
    return 0


def _similar_stage(config: Config) -> tuple[SemanticPolicy, Memo | None]:
    """The dedup policy of ``config`` and its embedder (None when off or unusable: said)."""
    from alerts.dedup.embed import load_embedder
    from alerts.dedup.embed_memo import Memo
    from alerts.errors import EmbedderError
    from alerts.stories import semantic_policy

    policy = semantic_policy(config.dedup)
    if not policy.semantic:
        return policy, None
    try:
        return policy, Memo(
            load_embedder(config.dedup.semantic_model, config.dedup.semantic_engine)
        )
    except EmbedderError as e:
        print(f"note: titles only, no meaning compared: {e.reason}", file=sys.stderr)
        return policy, None


def _similar_record(
    line: str, number: int, policy: SemanticPolicy, memo: Memo | None
) -> dict[str, object]:
    from alerts.dedup.pair import judge_pair

    try:
        pair = json.loads(line)
        a, b = pair["a"], pair["b"]
        if not (isinstance(a, dict) and isinstance(b, dict)):
            raise TypeError("a and b must be objects")
    except (ValueError, KeyError, TypeError) as e:
        return {"same": False, "score": 0, "error": f"line {number}: {e}"}
    verdict = judge_pair(a, b, policy, memo)
    cosine = None if verdict.cosine is None else round(verdict.cosine, 3)
    return {"same": verdict.same, "score": round(verdict.score, 1), "stage": verdict.stage,
            "cosine": cosine, "refusal": verdict.refusal}  # fmt: skip


def explain(args: argparse.Namespace) -> int:
    from alerts.config import rule_specs
    from alerts.ops.explain import explain_lines, explain_text, labels_for
    from alerts.rules import RuleSet

    config = config_mod.load(args.config)
    rules = RuleSet.compile(*rule_specs(config))
    if args.jsonl:
        with _open_input(args.jsonl) as lines:
            for answer in explain_lines(rules, config, lines):
                print(answer, flush=False)
        return 0
    text = sys.stdin.read() if args.text == "-" else args.text
    labels = labels_for(config, args.feed)
    print(explain_text(rules, args.title, text, labels))
    return 0


def _open_input(name: str) -> TextIO:
    if name == "-":
        return contextlib.nullcontext(sys.stdin)  # type: ignore[return-value]
    return Path(name).open(encoding="utf-8")


def run(args: argparse.Namespace, token: str | None) -> int:
    from alerts.delivery.stdout import StdoutDestination
    from alerts.delivery.telegram import TelegramDestination

    config = config_mod.load(args.config)
    text = args.config.read_text("utf-8")
    config_mod.check_runnable(config, str(args.config), text)
    for warning in config_mod.config_warnings(config, str(args.config), text):
        event(log, logging.WARNING, "config_warning", path=str(args.config), problem=str(warning))
    printing = args.dry_run or not token
    destination: Destination = (
        StdoutDestination(jsonl=args.jsonl)
        if printing
        else TelegramDestination(token or "", config.telegram.api_url)
    )
    if args.dry_run:
        return _dry_run(config, destination, args.deadline)
    watcher = ConfigWatcher(args.config, args.config.read_text("utf-8"))
    return _on_event_loop(
        _serve(config, destination, once=args.once, deadline=args.deadline, watcher=watcher)
    )


def _dry_run(config: Config, destination: Destination, deadline: timedelta) -> int:
    """Run once against a copy of the state (a SQLite file), so the real one is left as it
    was. DATABASE_URL goes: it would win over the copy (this process does nothing else)."""
    from alerts.store import is_database_url, shown
    from alerts.store.transfer import copy_to_file

    with tempfile.TemporaryDirectory(prefix="alerts-dry-run-") as tmp:
        copy = Path(tmp) / "state.db"
        where = shown(config.state)
        if is_database_url(where) or Path(where).exists():
            copy_to_file(config.state, copy)
        os.environ.pop("DATABASE_URL", None)
        preview = config.model_copy(update={"state": str(copy)})
        return _on_event_loop(_serve(preview, destination, once=True, deadline=deadline))


def _on_event_loop(main: Coroutine[Any, Any, int]) -> int:
    """``asyncio.run`` on uvloop's event loop (libuv), where the platform has it: the same
    asyncio API, with a third less CPU per feed fetch than the default loop's."""
    try:
        import uvloop
    except ImportError:  # not built for this platform (Windows): the default loop
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def _serve(
    config: Config,
    destination: Destination,
    *,
    once: bool,
    deadline: timedelta,
    watcher: ConfigWatcher | None = None,
) -> int:
    from alerts.app import open_bot
    from alerts.observe import QUIET
    from alerts.scheduler import Service, run_once

    monitor = None if once else _monitor(config)
    async with open_bot(config, lock=True, background_vectors=not once,
                        observer=monitor or QUIET) as ctx:  # fmt: skip
        if once:
            try:
                return await run_once(ctx, destination, deadline)
            finally:
                await destination.close()
        service = Service(ctx, destination, watcher)
        _listen(service, destination)
        if monitor is None:
            return await service.run()
        await monitor.start(lambda: service.ctx)
        try:
            return await service.run()
        finally:
            await monitor.stop()


def _monitor(config: Config) -> Monitor | None:
    """The listener of /metrics and /healthz when ``metrics.listen`` is set (prometheus_client
    is then imported; ``run --once`` never listens: a cron cycle is over before a scrape)."""
    if config.metrics.address is None:
        return None
    from alerts.monitor import Monitor

    return Monitor(config.metrics.address)


def _listen(service: Service, destination: Destination) -> None:
    """The admins' commands, when the bot posts to Telegram: the service starts listening
    while the current config names admins, and the listener asks it who they are."""
    from alerts.delivery.telegram import TelegramDestination

    if isinstance(destination, TelegramDestination):
        from alerts.delivery.telegram import CommandListener
        from alerts.ops.commands import IMMEDIATE, AdminCommands

        commands = AdminCommands(lambda: service.ctx, service.wake.set)
        # Buttons under alerts only where presses are answered: by this long-running bot.
        destination.keyboards = commands.muting.keyboard

        def admins() -> list[int]:
            return service.ctx.config.telegram.admins

        listener = CommandListener(
            destination, admins, commands.table(), commands.muting.press, IMMEDIATE
        )
        cluster = service.ctx.cluster  # workers: one getUpdates consumer per token, elected
        service.listener = cluster.elected(listener) if cluster is not None else listener
