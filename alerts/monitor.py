"""The service's listener of ``/metrics`` and ``/healthz`` (``metrics.listen``), and its observer.

``Monitor`` is the bot's ``Observer`` when metrics are on: each event goes to the health's
``Pulse`` and to the ``Metrics`` counters. Its listener is the standard library's threading HTTP
server, in a thread of its own, so that a slow or stuck client never holds up a poll. A request
is answered by the event loop, though (``asyncio.run_coroutine_threadsafe``): the store's
connection belongs to the loop's thread, and a gauge or a health rule reads the store. The
loop's part is a few SQLite reads (and for /healthz one small write): at 1,000 feeds and 200
pending alerts a scrape holds the loop 1.4 ms and a health check 1.4 ms (median, this machine
under load); the process metrics are read from /proc in the thread. No answer from the loop
within ``LOOP_ANSWER`` seconds is itself a 503 (``alerts.health``): a loop blocked that long
polls and sends nothing either.

Paths: ``/metrics`` (Prometheus text format), ``/healthz`` (200 "ok", or 503 with the reasons,
one a line); anything else is 404.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from alerts.errors import AlertsError
from alerts.health import Pulse, check
from alerts.logs import event
from alerts.metrics import CONTENT_TYPE, Metrics
from alerts.models import PollResult
from alerts.observe import Delivery

if TYPE_CHECKING:
    from alerts.pipeline import Context

log = logging.getLogger("alerts.monitor")

LOOP_ANSWER = 10.0  # seconds the listener waits for the event loop before answering 503
Answer = tuple[int, str, bytes]  # status, content type, body
TEXT = "text/plain; charset=utf-8"


class ListenError(AlertsError):
    """The metrics address cannot be listened on (in use, or not this machine's)."""


class Monitor:
    """The observer of a bot with metrics, and the HTTP listener that shows them."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.pulse = Pulse()
        self.metrics = Metrics(self.pulse)
        self._server: ThreadingHTTPServer | None = None
        self._current: Callable[[], Context] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def polled(self, result: PollResult) -> None:
        """As an Observer."""
        self.pulse.polled(result)
        self.metrics.polled(result)

    def delivered(self, delivery: Delivery) -> None:
        """As an Observer."""
        self.pulse.delivered(delivery)
        self.metrics.delivered(delivery)

    @property
    def port(self) -> int:
        """The port listened on (the one taken, when the config said 0)."""
        assert self._server is not None
        return int(self._server.server_address[1])

    async def start(self, current: Callable[[], Context]) -> None:
        """Listen; ``current`` is the service's Context now (it changes on a config reload)."""
        self._current, self._loop = current, asyncio.get_running_loop()
        ctx = current()
        self.metrics.watch(lambda: current().config, ctx.store)
        try:
            server = _server_class(self.address[0])(self.address, _handler(self))
        except OSError as e:
            host, port = self.address
            raise ListenError(f"metrics.listen {host}:{port}: cannot listen: {e}") from e
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
        event(log, logging.INFO, "metrics_listening", address=f"{self.address[0]}:{self.port}")

    async def stop(self) -> None:
        """Stop listening (``shutdown`` waits for the serving thread's loop to end)."""
        server, self._server = self._server, None
        if server is not None:
            await asyncio.to_thread(server.shutdown)
            server.server_close()

    def answer(self, path: str) -> Answer:
        """The answer to a GET of ``path``, from the listener's thread."""
        if path not in ("/metrics", "/healthz") or self._loop is None:
            return 404, TEXT, b"not found: /metrics or /healthz\n"
        future = asyncio.run_coroutine_threadsafe(self._in_loop(path), self._loop)
        try:
            status, content_type, body = future.result(timeout=LOOP_ANSWER)
        except (TimeoutError, concurrent.futures.TimeoutError):
            future.cancel()
            reason = f"event loop blocked: no answer within {LOOP_ANSWER:g}s\n"
            return 503, TEXT, reason.encode()
        if path == "/metrics":
            body += self.metrics.process_exposition()
        return status, content_type, body

    async def _in_loop(self, path: str) -> Answer:
        """The answer, computed in the event loop (the store's thread)."""
        assert self._current is not None
        if path == "/metrics":
            return 200, CONTENT_TYPE, self.metrics.exposition()
        ctx = self._current()
        health = check(self.pulse, ctx.config, ctx.store, lambda f: ctx.interval(f).total_seconds())
        if not health.ok:
            event(log, logging.WARNING, "unhealthy", reasons="; ".join(health.reasons))
        return (200 if health.ok else 503), TEXT, health.body.encode()


def _server_class(host: str) -> type[ThreadingHTTPServer]:
    """The standard server, over IPv6 for an IPv6 host (it listens on IPv4 otherwise)."""
    if ":" not in host:
        return ThreadingHTTPServer

    class Server6(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    return Server6


def _handler(monitor: Monitor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """GET /metrics and /healthz; nothing logged per request (a scrape every 15 s)."""

        def do_GET(self) -> None:
            status, content_type, body = monitor.answer(self.path.split("?", 1)[0])
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the access log of a scraper is noise."""

    return Handler
