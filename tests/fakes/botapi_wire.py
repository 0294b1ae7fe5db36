"""The fake Bot API's transport: the HTTP server and handler (bodies form-encoded, multipart or
JSON, chunked or not), and the transport faults a test queues (``_Faults``): errors, a server
that is down, hanging or slow answers, resets, answers of an unexpected shape."""

from __future__ import annotations

import json
import socket
import struct
import time
from collections import deque
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl

from tests.fakes.botapi_state import _NO_RESULT, _Failure, _FakeState, _Fault

if TYPE_CHECKING:
    from tests.fakes.botapi import FakeBotAPI

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


class _Faults(_FakeState):
    """What a test queues against the next calls of a method."""

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

    def delay(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Let the next ``times`` calls of ``method`` hang for ``seconds``, then drop them
        unprocessed (a client with a shorter timeout sees a timeout)."""
        with self._lock:
            self._delays.setdefault(method.lower(), deque()).extend([seconds] * times)

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
