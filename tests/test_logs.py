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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://user:secret@127.0.0.1:8080/f.xml", "http://<redacted>@127.0.0.1:8080/f.xml"),
        ("https://token@host/feed", "https://<redacted>@host/feed"),
        ("https://h/f?token=abc&page=2", "https://h/f?token=<redacted>&page=2"),
        ("https://h/f?page=2&api_key=abc#top", "https://h/f?page=2&api_key=<redacted>#top"),
        ("https://h/f?Password=x;sig=y", "https://h/f?Password=<redacted>;sig=<redacted>"),
        ("https://h/a@b?page=2", "https://h/a@b?page=2"),  # an @ in the path is no userinfo
        ("HTTP 500 Internal", "HTTP 500 Internal"),
    ],
)
def test_redact_hides_userinfo_and_secret_query_values(text: str, expected: str) -> None:
    assert logs.redact(text) == expected


def test_every_event_field_and_traceback_is_redacted(
    stream: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("t")
    logs.event(log, logging.WARNING, "ev", feed_url="http://u:hunter2@h/f?key=k3y",
               error="Cannot connect to http://u:hunter2@h/f")  # fmt: skip
    try:
        raise ValueError("refused http://u:hunter2@h/f")
    except ValueError as e:
        logs.event(log, logging.CRITICAL, "crash", exc_info=e)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "hunter2" not in messages and "k3y" not in messages  # the fields, as logged
    assert "hunter2" not in stream.getvalue()  # the formatter: tracebacks too
    assert "Traceback" in stream.getvalue()
