"""Fake Telegram Bot API server on 127.0.0.1 that python-telegram-bot talks to over real HTTP."""

from __future__ import annotations

import argparse
import json
import math
import signal
import socket
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes import WAIT_SCALE
from tests.fakes.forums import ForumError, Forums
from tests.fakes.keyboards import (
    CallbackAnswer,
    CallbackBook,
    KeyboardError,
    Markup,
    callback_data_of,
    parse_markup,
)
from tests.fakes.telegram_html import Entity, parse_html, parse_telegram_html, utf16_length

__all__ = ["CallbackAnswer", "FakeBotAPI", "SentMessage", "parse_telegram_html", "utf16_length"]

MAX_TEXT_LENGTH = 4096
# Telegram keeps a callback query answerable for about 15 s; stretched by WAIT_SCALE so a bot
# on a loaded test machine is not refused for being slow (tests of expiry pass their own).
CALLBACK_TIMEOUT = 15.0 * WAIT_SCALE
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


# --------------------------------------------------------------------------- server state


@dataclass
class SentMessage:
    """One accepted sendMessage, editMessageText or editMessageReplyMarkup call.

    ``thread_id`` is the forum topic of the message (None: General, or no forum); an edit
    carries its message's topic. ``reply_markup`` is the keyboard the message has after the
    call (None: no keyboard)."""

    message_id: int
    chat_id: str
    text: str
    params: dict[str, str] = field(default_factory=dict)
    thread_id: int | None = None
    reply_markup: Markup | None = None


@dataclass
class _Stored:
    """The server's copy of a sent message."""

    chat: dict[str, object]
    text: str
    entities: tuple[Entity, ...]
    content: tuple[object, ...]
    date: int
    thread: int | None = None
    markup: Markup | None = None


_NO_RESULT = object()


@dataclass
class _Fault:
    """A queued fault of the transport, applied after the call was processed as usual."""

    hold: float = 0.0  # seconds before the answer goes back
    reset: bool = False  # a TCP reset instead of the answer
    result: object = _NO_RESULT  # answer {"ok": true, "result": this} instead


@dataclass
class _Failure:
    """A queued failure answer."""

    status: int
    description: str
    parameters: dict[str, object] | None
    times: int


class _ApiError(Exception):
    """An error answer to send back."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, object] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, object]:
        """Return the JSON error body."""
        out: dict[str, object] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            out["parameters"] = self.parameters
        return out


_METHODS = (
    "getMe",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "deleteWebhook",
    "setMyCommands",
    "deleteMyCommands",
    "getUpdates",
    "close",
    "logOut",
)
_CANONICAL = {name.lower(): name for name in _METHODS}


def _parse_multipart(content_type: str, body: bytes) -> dict[str, str]:
    """Parse a multipart/form-data body into string fields."""
    head = f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n".encode("latin-1")
    message: Message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("malformed multipart body")
    out: dict[str, str] = {}
    for part in cast(list[Message], message.get_payload()):
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        out[name] = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return out


def _parse_body(content_type: str, body: bytes) -> dict[str, str]:
    """Parse a form-encoded, multipart or JSON request body into string params."""
    if not body:
        return {}
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        return _parse_multipart(content_type, body)
    if kind == "application/json":
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _chat_for(chat_id: str) -> dict[str, object]:
    """Return the Chat object for a chat_id, or raise 400 chat not found."""
    if chat_id.startswith("@"):
        name = chat_id[1:]
        if not name or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
            raise _ApiError(400, "Bad Request: chat not found")
        fake_id = -(10**12 + zlib.crc32(name.lower().encode("ascii")))
        return {"id": fake_id, "type": "channel", "title": name, "username": name}
    try:
        numeric = int(chat_id)
    except ValueError:
        raise _ApiError(400, "Bad Request: chat not found") from None
    if numeric == 0:
        raise _ApiError(400, "Bad Request: chat not found")
    return {"id": numeric, "type": "channel", "title": f"Channel {numeric}"}


class _Server(ThreadingHTTPServer):
    """The HTTP server, holding a reference to its fake."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], fake: FakeBotAPI) -> None:
        super().__init__(address, _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    """Answers every request through FakeBotAPI._dispatch."""

    server_version = "FakeBotAPI/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def do_POST(self) -> None:
        """Handle a POST."""
        self._answer()

    def do_GET(self) -> None:
        """Handle a GET (params in the query string)."""
        self._answer()

    def _read_body(self) -> bytes:
        """Read a Content-Length or chunked body."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _answer(self) -> None:
        """Dispatch the request and write the JSON answer."""
        fake = cast(_Server, self.server).fake
        method = self.path.rsplit("/", 1)[-1].split("?", 1)[0].lower()
        with fake._lock:
            waits = fake._delays.get(method)
            wait = waits.popleft() if waits else 0.0
            faults = fake._faults.get(method)
            fault = faults.popleft() if faults else None
        if wait:  # the request hangs, then the connection drops: never processed
            time.sleep(wait)
            self.close_connection = True
            self.connection.close()
            return
        try:
            body = self._read_body()
            status, payload = fake._dispatch(self.path, self.headers.get("Content-Type", ""), body)
        except (ValueError, LookupError, TypeError, OSError) as exc:
            status = 500
            payload = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: {exc}",
            }
        if fault is not None:
            if not self._fault(fault, fake):
                return
            if fault.result is not _NO_RESULT:
                status, payload = 200, {"ok": True, "result": fault.result}
        data = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def _fault(self, fault: _Fault, fake: FakeBotAPI) -> bool:
        """Apply a fault after processing; False when no answer is to be written."""
        if fault.reset:  # SO_LINGER 0: close with a TCP reset, no answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return False
        if fault.hold:
            fake._closing.wait(fault.hold)  # a slow answer; stop() cuts it short
        return True


# --------------------------------------------------------------------------- the fake


class FakeBotAPI:
    """A fake Telegram Bot API server on 127.0.0.1, recording what the bot sends."""

    def __init__(
        self,
        token: str = "123:ABC",
        per_chat_per_minute: int | None = None,
        global_per_second: int | None = None,
        callback_timeout: float = CALLBACK_TIMEOUT,
    ) -> None:
        """Configure the fake; call start() (or use ``with``) to serve. A callback query
        not answered within ``callback_timeout`` seconds of its press can no longer be."""
        for limit in (per_chat_per_minute, global_per_second):
            if limit is not None and limit < 1:
                raise ValueError("rate limits must be >= 1 or None")
        self.token = token
        self.per_chat_per_minute = per_chat_per_minute
        self.global_per_second = global_per_second
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._messages: list[SentMessage] = []
        self._edits: list[SentMessage] = []
        self._calls: list[tuple[str, dict[str, str]]] = []
        self._count_429 = 0
        self._failures: dict[str, deque[_Failure]] = {}
        self._down = False
        self._next_id = 1
        self._stored: dict[tuple[object, int], _Stored] = {}
        self._chat_windows: dict[str, deque[float]] = {}
        self._global_window: deque[float] = deque()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._bind_port = 0
        self._listener: Callable[[str, SentMessage], None] | None = None
        self._updates: list[dict[str, object]] = []
        self._next_update = 1
        self._delays: dict[str, deque[float]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._closing = threading.Event()
        self._refusing = False
        self._forums = Forums()
        self._book = CallbackBook(callback_timeout)
        self._markup_edits: list[SentMessage] = []
        self._allowed_updates: frozenset[str] | None = None  # None: every kind

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
    def messages(self) -> list[SentMessage]:
        """Accepted sendMessage calls, in order (a copy)."""
        with self._lock:
            return list(self._messages)

    @property
    def edits(self) -> list[SentMessage]:
        """Accepted editMessageText calls, in order (a copy)."""
        with self._lock:
            return list(self._edits)

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

    def wait_for_messages(self, n: int, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until at least ``n`` messages were accepted; return all of them so far."""
        deadline = time.monotonic() + timeout * WAIT_SCALE
        with self._changed:
            while len(self._messages) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {n} messages within {timeout}s, got {len(self._messages)}"
                    )
                self._changed.wait(remaining)
            return list(self._messages)

    def topic_messages(self, chat_id: str | int, topic: int | None) -> list[SentMessage]:
        """Accepted sends to one topic of a chat (None: its General topic), in order."""
        key = _chat_for(str(chat_id))["id"]
        with self._lock:
            return [
                m
                for m in self._messages
                if m.thread_id == topic and _chat_for(m.chat_id)["id"] == key
            ]

    def wait_for_topic(
        self, chat_id: str | int, topic: int | None, n: int = 1, timeout: float = 10.0
    ) -> list[SentMessage]:
        """Wait until at least ``n`` messages went to ``topic`` of ``chat_id``; return those."""
        deadline = time.monotonic() + timeout * WAIT_SCALE
        while len(mine := self.topic_messages(chat_id, topic)) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"expected {n} messages in {chat_id}/{topic}, got {len(mine)}")
            with self._changed:
                self._changed.wait(min(remaining, 0.2))
        return mine

    @property
    def markup_edits(self) -> list[SentMessage]:
        """Accepted editMessageReplyMarkup calls, in order (a copy)."""
        with self._lock:
            return list(self._markup_edits)

    def keyboard(self, chat_id: str | int, message_id: int) -> Markup | None:
        """The reply_markup a stored message has now (None: none; KeyError: no message)."""
        with self._lock:
            return self._stored[(_chat_for(str(chat_id))["id"], message_id)].markup

    @property
    def answers(self) -> list[CallbackAnswer]:
        """Accepted answerCallbackQuery calls, in the order of their queries."""
        with self._lock:
            return self._book.answers()

    def answer_for(self, query_id: str) -> CallbackAnswer | None:
        """The answer to one callback query (None: not answered)."""
        with self._lock:
            return self._book.answer_for(query_id)

    def unanswered(self) -> list[str]:
        """Ids of the callback queries never answered, in press order."""
        with self._lock:
            return self._book.unanswered()

    def wait_for_answer(self, query_id: str, timeout: float = 10.0) -> CallbackAnswer:
        """Wait until the callback query ``query_id`` is answered; return the answer."""
        deadline = time.monotonic() + timeout * WAIT_SCALE
        with self._changed:
            while (answer := self._book.answer_for(query_id)) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"callback query {query_id} was not answered")
                self._changed.wait(remaining)
            return answer

    # ----------------------------------------------------------------- control

    def make_forum(self, chat_id: str | int, topics: list[int]) -> None:
        """Make ``chat_id`` a forum supergroup with these topic ids (more may be added)."""
        with self._lock:
            self._forums.make_forum(_chat_for(str(chat_id))["id"], topics)

    def delete_topic(self, chat_id: str | int, topic: int) -> None:
        """Delete a forum topic and its messages: sends to it, and edits of its messages,
        are refused from now on."""
        key = _chat_for(str(chat_id))["id"]
        with self._lock:
            self._forums.delete_topic(key, topic)
            for stored_key, stored in list(self._stored.items()):
                if stored_key[0] == key and stored.thread == topic:
                    del self._stored[stored_key]

    def press(
        self,
        chat_id: str | int,
        message_id: int,
        callback_data: str,
        user_id: int,
        *,
        check_button: bool = True,
    ) -> str:
        """Queue a ``callback_query`` Update: ``user_id`` pressed the button ``callback_data``
        of a stored message. Return the query id. With ``check_button``, the message must
        have that button now (LookupError otherwise), as a client only shows real buttons."""
        key = _chat_for(str(chat_id))["id"]
        with self._lock:
            stored = self._stored.get((key, message_id))
            if stored is None:
                raise LookupError(f"no message {message_id} in {chat_id}")
            if check_button and callback_data not in callback_data_of(stored.markup):
                raise LookupError(f"message {message_id} has no button {callback_data!r}")
            query_id = self._book.open(user_id, callback_data)
            self._queue_update({
                "callback_query": {
                    "id": query_id,
                    "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
                    "message": self._message_json(message_id, stored, edited=False),
                    "chat_instance": str(zlib.crc32(str(key).encode("ascii"))),
                    "data": callback_data,
                }
            })  # fmt: skip
        return query_id

    def _queue_update(self, update: dict[str, object]) -> None:
        """Append an update with the next update_id (locked)."""
        self._updates.append({"update_id": self._next_update, **update})
        self._next_update += 1
        self._changed.notify_all()

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        times: int = 1,
        parameters: dict[str, object] | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this error instead."""
        if not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error code")
        params = dict(parameters) if parameters else None
        if status == 429:
            params = params or {}
            params.setdefault("retry_after", 1)
        if params is not None and "retry_after" in params:
            retry_after = params["retry_after"]
            if not isinstance(retry_after, int) or retry_after <= 0:
                raise ValueError("retry_after must be an int > 0")
        with self._lock:
            queue = self._failures.setdefault(method.lower(), deque())
            queue.append(_Failure(status, description, params, times))

    def set_down(self, down: bool) -> None:
        """While down, every call answers 500 Internal Server Error."""
        with self._lock:
            self._down = down

    def on_message(self, callback: Callable[[str, SentMessage], None] | None) -> None:
        """Call ``callback(method, message)`` after each accepted send or edit, before the
        answer goes back (a test can kill the bot at exactly that moment)."""
        with self._lock:
            self._listener = callback

    def delay(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Let the next ``times`` calls of ``method`` hang for ``seconds``, then drop them
        unprocessed (a client with a shorter timeout sees a timeout)."""
        with self._lock:
            self._delays.setdefault(method.lower(), deque()).extend([seconds] * times)

    def set_refusing(self, refusing: bool) -> None:
        """While refusing, nothing listens on the port: connections are refused before any
        request is sent (the server then starts again on the same port)."""
        if refusing and not self._refusing and self._server is not None:
            self.stop()
            self._refusing = True
        elif not refusing and self._refusing:
            self._refusing = False
            self.start()

    def slow_answer(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Process the next ``times`` calls of ``method`` as usual (a send is accepted), then
        hold each answer for ``seconds`` (a client with a shorter timeout gives up)."""
        self._queue_faults(method, _Fault(hold=seconds), times)

    def reset_after_accepting(self, method: str, *, times: int = 1) -> None:
        """Process the next ``times`` calls of ``method`` as usual, then reset the connection
        instead of answering."""
        self._queue_faults(method, _Fault(reset=True), times)

    def answer_with(self, method: str, result: object, *, times: int = 1) -> None:
        """Process the next ``times`` calls of ``method`` as usual, then answer
        ``{"ok": true, "result": result}`` (valid JSON, unexpected shape)."""
        self._queue_faults(method, _Fault(result=result), times)

    def _queue_faults(self, method: str, fault: _Fault, times: int) -> None:
        with self._lock:
            self._faults.setdefault(method.lower(), deque()).extend([fault] * times)

    def push_command(self, text: str, user_id: int, chat_id: int | None = None) -> None:
        """Queue a message from a user (a bot command) for the bot's getUpdates."""
        with self._lock:
            update_id = self._next_update
            self._next_update += 1
            chat = chat_id if chat_id is not None else user_id
            entities = (
                [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
                if text.startswith("/")
                else []
            )
            self._updates.append({
                "update_id": update_id,
                "message": {
                    "message_id": 10_000 + update_id,
                    "date": int(time.time()),
                    "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
                    "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
                    "text": text,
                    "entities": entities,
                },
            })  # fmt: skip
            self._changed.notify_all()

    def wait_for_chat(self, chat_id: str, n: int = 1, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until at least ``n`` messages went to ``chat_id``; return those."""
        deadline = time.monotonic() + timeout * WAIT_SCALE
        with self._changed:
            while True:
                mine = [m for m in self._messages if m.chat_id == chat_id]
                if len(mine) >= n:
                    return mine
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {n} messages to {chat_id}, got {len(mine)}")
                self._changed.wait(remaining)

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

    def _get_updates(self, params: dict[str, str]) -> list[object]:
        """Answer getUpdates: queued updates from ``offset`` on, else nothing after a wait."""
        try:
            timeout = float(params.get("timeout", "0"))
            offset = int(params.get("offset", "0") or 0)
        except ValueError:
            timeout, offset = 0.0, 0
        with self._changed:
            self._set_allowed(params.get("allowed_updates"))
            self._updates = [u for u in self._updates if self._wanted(u, offset)]
            if not self._updates and timeout > 0:
                self._changed.wait(min(timeout, 0.2))
                self._updates = [u for u in self._updates if self._wanted(u, offset)]
            return list(self._updates)

    def _set_allowed(self, raw: str | None) -> None:
        """Keep the bot's ``allowed_updates`` (locked): like Telegram, a list given once holds
        for later calls without one; an empty list means every kind again."""
        if raw is None or raw == "":
            return
        try:
            kinds = json.loads(raw)
        except ValueError:
            raise _ApiError(400, "Bad Request: can't parse allowed updates") from None
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise _ApiError(400, "Bad Request: can't parse allowed updates")
        self._allowed_updates = frozenset(kinds) or None

    def _wanted(self, update: dict[str, object], offset: int) -> bool:
        """Whether a queued update is still to be handed out (locked): not confirmed by
        ``offset``, and of a kind the bot allows (the others are dropped, as Telegram does)."""
        if int(str(update["update_id"])) < offset:
            return False
        allowed = self._allowed_updates
        return allowed is None or any(kind in allowed for kind in update if kind != "update_id")

    @staticmethod
    def _render(params: dict[str, str]) -> tuple[str, tuple[Entity, ...]]:
        """Validate ``text`` under ``parse_mode``; return plain text and entities."""
        text = params.get("text", "")
        mode = params.get("parse_mode", "").lower()
        if mode == "html":
            try:
                plain, entities = parse_html(text)
            except ValueError as exc:
                raise _ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        elif mode in ("", "markdown", "markdownv2"):
            plain, entities = text, ()
        else:
            raise _ApiError(400, "Bad Request: unsupported parse_mode")
        if not plain.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if utf16_length(plain) > MAX_TEXT_LENGTH:
            raise _ApiError(400, "Bad Request: message is too long")
        return plain, entities

    def _check_rate(self, chat_id: str, now: float) -> None:
        """Raise 429 if accepting one more message for ``chat_id`` breaks a limit (locked)."""
        waits: list[float] = []
        if self.per_chat_per_minute is not None:
            window = self._chat_windows.setdefault(chat_id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= self.per_chat_per_minute:
                waits.append(window[0] + 60.0 - now)
        if self.global_per_second is not None:
            window = self._global_window
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= self.global_per_second:
                waits.append(window[0] + 1.0 - now)
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise _ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )

    def _note_accepted(self, chat_id: str, now: float) -> None:
        """Count an accepted message in the rate windows (locked)."""
        if self.per_chat_per_minute is not None:
            self._chat_windows.setdefault(chat_id, deque()).append(now)
        if self.global_per_second is not None:
            self._global_window.append(now)

    @staticmethod
    def _message_json(message_id: int, stored: _Stored, edited: bool) -> dict[str, object]:
        """Build a Message object."""
        out: dict[str, object] = {
            "message_id": message_id,
            "date": stored.date,
            "chat": dict(stored.chat),
            "text": stored.text,
        }
        if stored.thread is not None:
            out["message_thread_id"] = stored.thread
            out["is_topic_message"] = True
        if stored.entities:
            out["entities"] = [e.to_json() for e in stored.entities]
        if stored.markup is not None and "inline_keyboard" in stored.markup:
            out["reply_markup"] = stored.markup
        if edited:
            out["edit_date"] = int(time.time())
        return out

    def _chat(self, chat_id: str) -> dict[str, object]:
        """The Chat object of ``chat_id``: a forum is a supergroup (locked)."""
        chat = _chat_for(chat_id)
        if self._forums.is_forum(chat["id"]):
            chat.update(type="supergroup", is_forum=True)
        return chat

    @staticmethod
    def _markup(params: dict[str, str]) -> Markup | None:
        """The validated reply_markup of a call, or raise 400."""
        try:
            return parse_markup(params.get("reply_markup"))
        except KeyboardError as exc:
            raise _ApiError(400, str(exc)) from None

    def _send_message(self, params: dict[str, str]) -> dict[str, object]:
        """Answer sendMessage."""
        chat_id = params.get("chat_id", "")
        if not chat_id:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        _chat_for(chat_id)
        plain, entities = self._render(params)
        markup = self._markup(params)
        with self._lock:
            chat = self._chat(chat_id)
            try:
                thread = self._forums.thread_of(chat["id"], params.get("message_thread_id"))
            except ForumError as exc:
                raise _ApiError(400, str(exc)) from None
            now = time.monotonic()
            self._check_rate(chat_id, now)  # by chat: topics share their chat's pace
            self._note_accepted(chat_id, now)
            message_id = self._next_id
            self._next_id += 1
            content = (plain, entities, markup)
            stored = _Stored(chat, plain, entities, content, int(time.time()), thread, markup)
            self._stored[(chat["id"], message_id)] = stored
            sent = SentMessage(
                message_id, chat_id, params.get("text", ""), dict(params), thread, markup
            )
            self._messages.append(sent)
            self._changed.notify_all()
            listener = self._listener
        if listener is not None:
            listener("sendMessage", sent)
        return self._message_json(message_id, stored, edited=False)

    @staticmethod
    def _target(params: dict[str, str]) -> tuple[str, object, int]:
        """The chat_id, chat key and message_id an edit addresses, or raise 400."""
        if params.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: message to edit not found")
        chat_id = params.get("chat_id", "")
        if not chat_id:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if not params.get("message_id"):
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        key = _chat_for(chat_id)["id"]
        try:
            return chat_id, key, int(params["message_id"])
        except ValueError:
            raise _ApiError(400, "Bad Request: message to edit not found") from None

    def _edit_message_text(self, params: dict[str, str]) -> dict[str, object]:
        """Answer editMessageText. Telegram's rule: an edit without ``reply_markup`` removes
        the message's inline keyboard, so a bot that keeps buttons sends them on every edit."""
        target = self._target(params)
        plain, entities = self._render(params)
        content = (plain, entities, self._markup(params))
        return self._apply_edit("editMessageText", params, target, content)

    def _edit_reply_markup(self, params: dict[str, str]) -> dict[str, object]:
        """Answer editMessageReplyMarkup: the buttons alone change (none: removed)."""
        target = self._target(params)
        markup = self._markup(params)
        with self._lock:
            stored = self._stored.get((target[1], target[2]))
            if stored is None:
                raise _ApiError(400, "Bad Request: message to edit not found")
            content = (stored.content[0], stored.content[1], markup)
        return self._apply_edit("editMessageReplyMarkup", params, target, content)

    def _apply_edit(
        self,
        method: str,
        params: dict[str, str],
        target: tuple[str, object, int],
        content: tuple[object, ...],
    ) -> dict[str, object]:
        """Replace a stored message's content, or refuse: gone, not modified, or paced."""
        chat_id, key, message_id = target
        plain, entities, markup = content
        with self._lock:
            stored = self._stored.get((key, message_id))
            if stored is None:
                raise _ApiError(400, "Bad Request: message to edit not found")
            if stored.content == content:
                raise _ApiError(400, NOT_MODIFIED)
            now = time.monotonic()
            self._check_rate(chat_id, now)
            self._note_accepted(chat_id, now)
            stored.text, stored.entities = cast(str, plain), cast(tuple[Entity, ...], entities)
            stored.content, stored.markup = content, cast(Markup | None, markup)
            edit = SentMessage(
                message_id, chat_id, params.get("text", ""), dict(params), stored.thread,
                stored.markup,
            )  # fmt: skip
            (self._edits if method == "editMessageText" else self._markup_edits).append(edit)
            self._changed.notify_all()
            listener = self._listener
        if listener is not None:
            listener(method, edit)
        return self._message_json(message_id, stored, edited=True)

    def _answer_callback(self, params: dict[str, str]) -> bool:
        """Answer answerCallbackQuery: once per query, before it times out."""
        with self._lock:
            try:
                self._book.answer(params)
            except KeyboardError as exc:
                raise _ApiError(400, str(exc)) from None
            self._changed.notify_all()
        return True


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
