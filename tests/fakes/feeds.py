"""A feed server on 127.0.0.1 for tests: set what each path answers; it honours conditional GET."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Route:
    """What one path answers."""

    body: bytes
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    conditional: bool = True
    repeat: int = 1  # the body is streamed this many times (a huge answer from a small body)
    trickle: float = 0.0  # seconds between single bytes (a server that drips)
    auth: str | None = None  # the Authorization header required, else 401 (RFC 7235)


class FeedServer:
    """Serves feeds from memory in a daemon thread; ``requests`` counts GETs per path, ``times``
    logs them."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        self.requests: dict[str, int] = {}
        self.times: dict[str, list[float]] = {}  # when each GET of a path came (time.time())
        self.not_modified: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return f"http://{self.host}:{self._server.server_address[1]}{path}"

    def set(self, path: str, body: bytes | str, **kwargs: object) -> str:
        """Make ``path`` answer ``body``; returns its URL."""
        data = body.encode() if isinstance(body, str) else body
        with self._lock:
            self.routes[path] = Route(data, **kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with server._lock:
                    route = server.routes.get(self.path)
                    server.requests[self.path] = server.requests.get(self.path, 0) + 1
                    server.times.setdefault(self.path, []).append(time.time())
                if route is None:
                    self.send_error(404)
                    return
                if route.auth is not None and self.headers.get("Authorization") != route.auth:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="feed"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.delay:
                    time.sleep(route.delay)
                etag = '"' + hashlib.sha1(route.body).hexdigest() + '"'
                fresh = self.headers.get("If-None-Match") == etag
                if route.conditional and route.status == 200 and fresh:
                    with server._lock:
                        server.not_modified[self.path] = server.not_modified.get(self.path, 0) + 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body) * route.repeat))
                if route.conditional:
                    self.send_header("ETag", etag)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self._write(route)
                except OSError:  # the client hung up: expected when it caps or times out
                    self.close_connection = True

            def _write(self, route: Route) -> None:
                if route.trickle:
                    for byte in route.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(route.trickle)
                    return
                for _ in range(route.repeat):
                    self.wfile.write(route.body)

        return Handler


def rss(items: list[dict[str, str]], title: str = "Test feed") -> str:
    """An RSS 2.0 document; each item may give title, link, guid, description, date (ISO)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<rss version="2.0"><channel><title>{escape(title)}</title>',
        "<link>https://feed.example/</link><description>test</description>",
    ]
    for item in items:
        parts.append("<item>")
        for key in ("title", "link", "guid", "description"):
            if key in item:
                parts.append(f"<{key}>{escape(item[key])}</{key}>")
        when = datetime.fromisoformat(item["date"]) if "date" in item else datetime.now(UTC)
        parts.append(f"<pubDate>{format_datetime(when.astimezone(UTC), usegmt=True)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)
