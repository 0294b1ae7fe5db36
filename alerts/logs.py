"""Logging: one line per event with stable snake_case fields, and never the bot token.

The token is part of every Bot API URL; httpx logs request URLs at INFO and
python-telegram-bot logs the API URL at DEBUG (shared/telegram-notes.md). So the handler's
formatter replaces the token in every formatted line, tracebacks included, and httpx/httpcore
are held at WARNING.
"""

from __future__ import annotations

import logging
import sys
from typing import IO

_REDACTED = "<redacted>"


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes every secret from the whole line."""

    def __init__(self, fmt: str, secrets: tuple[str, ...]) -> None:
        super().__init__(fmt)
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        """The line, with secrets replaced."""
        line = super().format(record)
        for secret in self.secrets:
            line = line.replace(secret, _REDACTED)
        return line


def setup(
    level: str = "INFO", secrets: tuple[str, ...] = (), stream: IO[str] | None = None
) -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", secrets)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The courier retries 429s itself; PTB's limiter would log each one as an exception.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)


def _value(value: object) -> str:
    text = str(value)
    if not text or any(c.isspace() or c in '"=' for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def event(logger: logging.Logger, level: int, name: str, **fields: object) -> None:
    """Log ``name key=value ...`` (logfmt), fields in the order given."""
    if logger.isEnabledFor(level):
        pairs = " ".join(f"{k}={_value(v)}" for k, v in fields.items() if v is not None)
        logger.log(level, "%s %s", name, pairs)
