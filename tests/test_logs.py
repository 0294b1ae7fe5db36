"""alerts/logs.py: logfmt events, and the token hidden everywhere, tracebacks included."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from alerts import logs

TOKEN = "123456:AAE-secret_token"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    logs.setup("DEBUG", secrets=(TOKEN,), stream=out)
    yield out
    logging.getLogger().handlers.clear()


def test_token_is_redacted_in_messages_args_and_tracebacks(stream: io.StringIO) -> None:
    log = logging.getLogger("telegram.ext.ExtBot")
    log.debug("Set Bot API URL: https://api.telegram.org/bot%s", TOKEN)
    log.info(f"url http://127.0.0.1/bot{TOKEN}/getMe")
    try:
        raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("boom")
    text = stream.getvalue()
    assert TOKEN not in text
    assert text.count("<redacted>") == 3  # message, argument, exception text


def test_httpx_request_lines_are_held_at_warning(stream: io.StringIO) -> None:
    logging.getLogger("httpx").info("HTTP Request: POST https://x/bot%s/getMe", TOKEN)
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"feed_url": "http://x/a", "items": 3}, "ev feed_url=http://x/a items=3"),
        ({"error": "HTTP 500 Internal"}, 'ev error="HTTP 500 Internal"'),
        ({"title": 'say "hi"'}, 'ev title="say \\"hi\\""'),
        ({"skip": None, "n": 0}, "ev n=0"),
    ],
)
def test_event_is_logfmt(stream: io.StringIO, fields: dict[str, object], expected: str) -> None:
    logs.event(logging.getLogger("t"), logging.INFO, "ev", **fields)
    assert stream.getvalue().rstrip("\n").endswith(expected)
