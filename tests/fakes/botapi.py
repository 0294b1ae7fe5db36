"""Fake Telegram Bot API server on 127.0.0.1 that python-telegram-bot talks to over real HTTP.

The fake is in parts: ``botapi_state`` (what it keeps), ``botapi_wire`` (the HTTP server and the
transport faults), ``botapi_chats`` (forums and pacing), ``botapi_messages`` (sends and edits) and
``botapi_updates`` (presses, commands, getUpdates); ``FakeBotAPI`` here puts them together and
routes each call. Run as ``python -m tests.fakes.botapi`` it serves until stopped.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Self
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.botapi_messages import _Messages
from tests.fakes.botapi_state import CALLBACK_TIMEOUT as CALLBACK_TIMEOUT
from tests.fakes.botapi_state import MAX_TEXT_LENGTH as MAX_TEXT_LENGTH
from tests.fakes.botapi_state import NOT_MODIFIED as NOT_MODIFIED
from tests.fakes.botapi_state import SentMessage, _ApiError
from tests.fakes.botapi_updates import _Updates
from tests.fakes.botapi_wire import _CANONICAL, _Faults, _parse_body, _Server
from tests.fakes.keyboards import CallbackAnswer
from tests.fakes.telegram_html import parse_telegram_html, utf16_length

__all__ = ["CallbackAnswer", "FakeBotAPI", "SentMessage", "parse_telegram_html", "utf16_length"]


class FakeBotAPI(_Faults, _Updates, _Messages):
    """A fake Telegram Bot API server on 127.0.0.1, recording what the bot sends."""

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Bind 127.0.0.1 (port 0 = any free port) and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeBotAPI already started")
        server = _Server(("127.0.0.1", self._bind_port), self)
        self._bind_port = int(server.server_address[1])  # a restart binds the same port
        self._closing.clear()
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeBotAPI",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket (idempotent)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        self._closing.set()
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        """Start the server."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (kept while refusing connections)."""
        if self._server is None and not self._refusing:
            raise RuntimeError("FakeBotAPI is not started")
        return self._bind_port

    @property
    def base_url(self) -> str:
        """The ``base_url`` for python-telegram-bot (it appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ----------------------------------------------------------------- inspection

    @property
    def calls(self) -> list[tuple[str, dict[str, str]]]:
        """Every request as (method, params), including rejected ones (a copy)."""
        with self._lock:
            return [(method, dict(params)) for method, params in self._calls]

    @property
    def count_429(self) -> int:
        """How many 429 answers were given."""
        with self._lock:
            return self._count_429

    # ----------------------------------------------------------------- control

    def on_message(self, callback: Callable[[str, SentMessage], None] | None) -> None:
        """Call ``callback(method, message)`` after each accepted send or edit, before the
        answer goes back (a test can kill the bot at exactly that moment)."""
        with self._lock:
            self._listener = callback

    def set_refusing(self, refusing: bool) -> None:
        """While refusing, nothing listens on the port: connections are refused before any
        request is sent (the server then starts again on the same port)."""
        if refusing and not self._refusing and self._server is not None:
            self.stop()
            self._refusing = True
        elif not refusing and self._refusing:
            self._refusing = False
            self.start()

    # ----------------------------------------------------------------- request handling

    def _dispatch(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, object]]:
        """Answer one HTTP request: (status, JSON body)."""
        split = urlsplit(path)
        route = unquote(split.path)
        token, method = "", ""
        if route.startswith("/bot") and "/" in route[4:]:
            token, method = route[4:].split("/", 1)
        method = _CANONICAL.get(method.lower(), method)
        params: dict[str, str] = dict(parse_qsl(split.query, keep_blank_values=True))
        body_error: str | None = None
        try:
            params.update(_parse_body(content_type, body))
        except (ValueError, UnicodeDecodeError) as exc:
            body_error = f"Bad Request: can't parse request body: {exc}"
        with self._lock:
            self._calls.append((method, dict(params)))
        try:
            if body_error is not None:
                raise _ApiError(400, body_error)
            result = self._call(token, method, params)
        except _ApiError as err:
            if err.status == 429:
                with self._lock:
                    self._count_429 += 1
            return err.status, err.body()
        return 200, {"ok": True, "result": result}

    def _call(self, token: str, method: str, params: dict[str, str]) -> object:
        """Route a call after the global checks."""
        with self._lock:
            if self._down:
                raise _ApiError(500, "Internal Server Error")
            if not method:
                raise _ApiError(404, "Not Found")
            if token != self.token:
                raise _ApiError(401, "Unauthorized")
            key = method.lower()
            if key not in _CANONICAL:
                raise _ApiError(404, "Not Found")
            queue = self._failures.get(key)
            if queue:
                failure = queue[0]
                failure.times -= 1
                if failure.times <= 0:
                    queue.popleft()
                raise _ApiError(failure.status, failure.description, failure.parameters)
        if key == "getme":
            return self._get_me()
        if key == "sendmessage":
            return self._send_message(params)
        if key == "editmessagetext":
            return self._edit_message_text(params)
        if key == "getupdates":
            return self._get_updates(params)
        if key == "editmessagereplymarkup":
            return self._edit_reply_markup(params)
        if key == "answercallbackquery":
            return self._answer_callback(params)
        return True

    def _get_me(self) -> dict[str, object]:
        """Answer getMe."""
        head = self.token.split(":", 1)[0]
        bot_id = int(head) if head.isdigit() else 123
        return {"id": bot_id, "is_bot": True, "first_name": "Fake", "username": "fake_bot"}


# --------------------------------------------------------------------------- standalone


def _main(argv: list[str] | None = None) -> int:
    """Run the fake until SIGINT/SIGTERM, printing base_url then one JSON line per message."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.botapi", description=__doc__)
    parser.add_argument("--port", type=int, default=8081, help="port on 127.0.0.1 (0 = any)")
    parser.add_argument("--token", default="123:ABC", help="the only token accepted")
    parser.add_argument("--per-chat-per-minute", type=int, default=None)
    parser.add_argument("--global-per-second", type=int, default=None)
    args = parser.parse_args(argv)
    fake = FakeBotAPI(args.token, args.per_chat_per_minute, args.global_per_second)
    fake._bind_port = args.port
    print_lock = threading.Lock()

    def show(method: str, message: SentMessage) -> None:
        line = {
            "method": method,
            "message_id": message.message_id,
            "chat_id": message.chat_id,
            "text": message.text,
            "params": message.params,
        }
        with print_lock:
            print(json.dumps(line, ensure_ascii=False), flush=True)

    fake._listener = show
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with fake:
        with print_lock:
            print(fake.base_url, flush=True)
        while not stopping.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
