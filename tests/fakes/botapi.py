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

__all__ = ["FakeBotAPI", "SentMessage", "parse_telegram_html", "utf16_length"]

MAX_TEXT_LENGTH = 4096
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)

_SPACES = " \t\r\n\f"
_NAME_STOP = _SPACES + "<>/=\"'&"
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-spoiler",
        "span",
        "tg-emoji",
    }
)
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}


# --------------------------------------------------------------------------- HTML parse mode


def utf16_length(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class _Entity:
    """A MessageEntity produced by parsing HTML."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None

    def to_json(self) -> dict[str, object]:
        """Return the entity as a Bot API JSON object."""
        out: dict[str, object] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.url is not None:
            out["url"] = self.url
        if self.language is not None:
            out["language"] = self.language
        if self.custom_emoji_id is not None:
            out["custom_emoji_id"] = self.custom_emoji_id
        return out


@dataclass
class _OpenTag:
    """A start tag waiting for its end tag."""

    name: str
    start: int
    attrs: dict[str, str]
    language: str | None = None


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode the character reference starting at ``text[i] == '&'``; None if there is none."""
    n = len(text)
    j = i + 1
    if j < n and text[j] == "#":
        j += 1
        base, digits = 10, "0123456789"
        if j < n and text[j] in "xX":
            j += 1
            base, digits = 16, "0123456789abcdefABCDEF"
        start = j
        while j < n and text[j] in digits and j - start <= 8:
            j += 1
        if j == start or j - start > 8:
            return None
        code = int(text[start:j], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = j
        while j < n and text[j].isascii() and text[j].isalpha():
            j += 1
        found = _NAMED_ENTITIES.get(text[start:j])
        if found is None:
            return None
        char = found
    if j < n and text[j] == ";":
        j += 1
    return char, j


class _HTMLParser:
    """Telegram's HTML parse mode: a strict subset of HTML producing text and entities."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.out: list[str] = []
        self.pos16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[_Entity] = []

    def byte_offset(self, index: int) -> int:
        """Return the UTF-8 byte offset of a character index (Telegram reports bytes)."""
        return len(self.text[:index].encode("utf-8", "surrogatepass"))

    def emit(self, piece: str) -> None:
        """Append plain text."""
        self.out.append(piece)
        self.pos16 += utf16_length(piece)

    def parse(self) -> tuple[str, tuple[_Entity, ...]]:
        """Parse the whole text."""
        text, n = self.text, len(self.text)
        while self.pos < n:
            char = text[self.pos]
            if char == "&":
                piece, self.pos = self.entity(self.pos)
                self.emit(piece)
            elif char != "<":
                self.emit(char)
                self.pos += 1
            elif text.startswith("</", self.pos):
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise ValueError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        entities = sorted(self.entities, key=lambda e: (e.offset, -e.length))
        return "".join(self.out), tuple(entities)

    def entity(self, i: int) -> tuple[str, int]:
        """Decode a character reference or fail like Telegram would for this fake."""
        decoded = _decode_entity(self.text, i)
        if decoded is not None:
            return decoded
        j = i + 1
        while j < len(self.text) and self.text[j].isascii() and self.text[j].isalnum():
            j += 1
        if j < len(self.text) and self.text[j] == ";":
            j += 1
        name = self.text[i + 1 : j]
        if name:
            raise ValueError(f'Unsupported entity "&{name}" at byte offset {self.byte_offset(i)}')
        raise ValueError(f'Character "&" at byte offset {self.byte_offset(i)} must be escaped')

    def read_name(self) -> str:
        """Read a tag or attribute name at the current position."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _NAME_STOP:
            self.pos += 1
        return self.text[start : self.pos].lower()

    def skip_spaces(self) -> None:
        """Skip whitespace inside a tag."""
        while self.pos < len(self.text) and self.text[self.pos] in _SPACES:
            self.pos += 1

    def start_tag(self) -> None:
        """Parse ``<name attr="value" ...>`` at the current position."""
        begin = self.pos
        self.pos += 1
        name = self.read_name()
        if name not in _ALLOWED_TAGS:
            raise ValueError(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        attrs: dict[str, str] = {}
        while True:
            self.skip_spaces()
            if self.pos >= len(self.text):
                raise ValueError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if self.text[self.pos] == ">":
                self.pos += 1
                break
            attr_at = self.pos
            attr = self.read_name()
            if not attr:
                raise ValueError(
                    f'Unexpected character "{self.text[self.pos]}" in the tag "{name}" '
                    f"at byte offset {self.byte_offset(attr_at)}"
                )
            self.skip_spaces()
            value = ""
            if self.pos < len(self.text) and self.text[self.pos] == "=":
                self.pos += 1
                self.skip_spaces()
                value = self.attribute_value(begin)
            attrs.setdefault(attr, value)
        self.check_attributes(name, attrs)
        self.stack.append(_OpenTag(name, self.pos16, attrs))

    def attribute_value(self, begin: int) -> str:
        """Read a quoted or unquoted attribute value and decode its entities."""
        text = self.text
        if self.pos >= len(text):
            raise ValueError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        quote = text[self.pos]
        if quote in "\"'":
            end = text.find(quote, self.pos + 1)
            if end < 0:
                raise ValueError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            start, self.pos = self.pos + 1, end + 1
        else:
            start = self.pos
            while self.pos < len(text) and text[self.pos] not in _SPACES + ">":
                self.pos += 1
            end = self.pos
            if end == start:
                raise ValueError(f"Empty attribute value at byte offset {self.byte_offset(start)}")
        parts: list[str] = []
        k = start
        while k < end:
            if text[k] == "&":
                piece, k = self.entity(k)
                parts.append(piece)
            else:
                parts.append(text[k])
                k += 1
        return "".join(parts)

    @staticmethod
    def check_attributes(name: str, attrs: dict[str, str]) -> None:
        """Enforce the attributes some tags need."""
        if name == "a" and not attrs.get("href", "").strip():
            raise ValueError('Tag "a" must have a non-empty attribute "href"')
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise ValueError('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").strip():
            raise ValueError('Tag "tg-emoji" must have attribute "emoji-id"')

    def end_tag(self) -> None:
        """Parse ``</name>`` at the current position and close the matching start tag."""
        begin = self.pos
        self.pos += 2
        name = self.read_name()
        self.skip_spaces()
        if self.pos >= len(self.text) or self.text[self.pos] != ">":
            raise ValueError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        self.pos += 1
        if not self.stack:
            raise ValueError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        open_tag = self.stack[-1]
        if open_tag.name != name:
            raise ValueError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{open_tag.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.close(open_tag)

    def close(self, tag: _OpenTag) -> None:
        """Turn a closed tag into an entity."""
        length = self.pos16 - tag.start
        kind = _ENTITY_TYPES[tag.name]
        css = tag.attrs.get("class", "")
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            # <pre><code class="language-x"> is one pre entity with a language
            if css.startswith("language-") and len(css) > len("language-"):
                parent.language = css[len("language-") :]
            return
        if length <= 0:
            return
        url = tag.attrs["href"] if tag.name == "a" else None
        emoji = tag.attrs["emoji-id"] if tag.name == "tg-emoji" else None
        if tag.name == "blockquote" and "expandable" in tag.attrs:
            kind = "expandable_blockquote"
        self.entities.append(
            _Entity(kind, tag.start, length, url, tag.language, custom_emoji_id=emoji)
        )


def _parse_html(text: str) -> tuple[str, tuple[_Entity, ...]]:
    """Parse Telegram HTML into plain text and entities, or raise ValueError(reason)."""
    return _HTMLParser(text).parse()


def parse_telegram_html(text: str) -> str:
    """Return the plain text of Telegram-HTML ``text`` or raise ``ValueError(reason)``."""
    return _parse_html(text)[0]


# --------------------------------------------------------------------------- server state


@dataclass
class SentMessage:
    """One accepted sendMessage or editMessageText call."""

    message_id: int
    chat_id: str
    text: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class _Stored:
    """The server's copy of a sent message."""

    chat: dict[str, object]
    text: str
    entities: tuple[_Entity, ...]
    content: tuple[object, ...]
    date: int


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
    ) -> None:
        """Configure the fake; call start() (or use ``with``) to serve."""
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

    # ----------------------------------------------------------------- control

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
            self._updates = [u for u in self._updates if int(str(u["update_id"])) >= offset]
            if not self._updates and timeout > 0:
                self._changed.wait(min(timeout, 0.2))
            return list(self._updates)

    @staticmethod
    def _render(params: dict[str, str]) -> tuple[str, tuple[_Entity, ...]]:
        """Validate ``text`` under ``parse_mode``; return plain text and entities."""
        text = params.get("text", "")
        mode = params.get("parse_mode", "").lower()
        if mode == "html":
            try:
                plain, entities = _parse_html(text)
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
        if stored.entities:
            out["entities"] = [e.to_json() for e in stored.entities]
        if edited:
            out["edit_date"] = int(time.time())
        return out

    def _send_message(self, params: dict[str, str]) -> dict[str, object]:
        """Answer sendMessage."""
        chat_id = params.get("chat_id", "")
        if not chat_id:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        chat = _chat_for(chat_id)
        plain, entities = self._render(params)
        content = (plain, entities, params.get("reply_markup", ""))
        with self._lock:
            now = time.monotonic()
            self._check_rate(chat_id, now)
            self._note_accepted(chat_id, now)
            message_id = self._next_id
            self._next_id += 1
            stored = _Stored(chat, plain, entities, content, int(time.time()))
            self._stored[(chat["id"], message_id)] = stored
            sent = SentMessage(message_id, chat_id, params.get("text", ""), dict(params))
            self._messages.append(sent)
            self._changed.notify_all()
            listener = self._listener
        if listener is not None:
            listener("sendMessage", sent)
        return self._message_json(message_id, stored, edited=False)

    def _edit_message_text(self, params: dict[str, str]) -> dict[str, object]:
        """Answer editMessageText."""
        if params.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: message to edit not found")
        chat_id = params.get("chat_id", "")
        if not chat_id:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if not params.get("message_id"):
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        chat = _chat_for(chat_id)
        try:
            message_id = int(params["message_id"])
        except ValueError:
            raise _ApiError(400, "Bad Request: message to edit not found") from None
        plain, entities = self._render(params)
        content = (plain, entities, params.get("reply_markup", ""))
        with self._lock:
            stored = self._stored.get((chat["id"], message_id))
            if stored is None:
                raise _ApiError(400, "Bad Request: message to edit not found")
            if stored.content == content:
                raise _ApiError(400, NOT_MODIFIED)
            now = time.monotonic()
            self._check_rate(chat_id, now)
            self._note_accepted(chat_id, now)
            stored.text, stored.entities, stored.content = plain, entities, content
            edit = SentMessage(message_id, chat_id, params.get("text", ""), dict(params))
            self._edits.append(edit)
            self._changed.notify_all()
            listener = self._listener
        if listener is not None:
            listener("editMessageText", edit)
        return self._message_json(message_id, stored, edited=True)


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
