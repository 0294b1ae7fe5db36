"""``bot.py demo``: the whole pipeline once over bundled sample feeds, offline, fresh state.

A local HTTP server on 127.0.0.1 serves ``examples/feeds/``; ``examples/demo.yaml`` (its
``{server}`` placeholder replaced by that server's address) is the config; the state lives in
a temporary directory and the demo feeds set ``backfill``, so the sample items count as new and
every run prints the same alerts.
"""

from __future__ import annotations

import asyncio
import functools
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.delivery.stdout import StdoutDestination
from alerts.scheduler import run_once

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """The demo's output is the alerts; request lines would drown them."""


@contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve a directory on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_demo(jsonl: bool = False, examples: Path = EXAMPLES) -> int:
    """Run the demo and print its alerts; returns the exit code."""
    template = (examples / "demo.yaml").read_text(encoding="utf-8")
    with serve_directory(examples / "feeds") as base, tempfile.TemporaryDirectory() as tmp:
        text = template.replace("{server}", base)
        config = config_mod.loads(text, source="examples/demo.yaml", base_dir=Path(tmp))
        return asyncio.run(_once(config, StdoutDestination(jsonl=jsonl)))


async def _once(config: config_mod.Config, destination: StdoutDestination) -> int:
    async with open_bot(config, background_vectors=False) as ctx:
        code = await run_once(ctx, destination, timedelta(minutes=1))
    if not destination.jsonl:
        print(f"{destination.count} alert(s) from {len(config.feeds)} sample feeds.")
    return code
