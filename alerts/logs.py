"""Logging: one line per event with stable snake_case fields, and never a secret.

The token is part of every Bot API URL; httpx logs request URLs at INFO and
python-telegram-bot logs the API URL at DEBUG (shared/telegram-notes.md). So the handler's
formatter replaces the token in every formatted line, tracebacks included, and httpx/httpcore
are held at WARNING. URLs can carry secrets too: a ``user:password@`` (RFC 3986 §3.2.1 calls
it deprecated, and feeds still use it) and query values named like ``token``, ``key``,
``password`` or ``secret``. :func:`redact` hides both; it is applied to every field of
:func:`event`, to every formatted line, and to the notices the admins are sent.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import IO

_REDACTED = "<redacted>"
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#@]*@")
_SECRET_PARAM = re.compile(
    r"(?i)([?&;][^\s=&#;]*(?:token|key|pass|secret|sig|auth|session|credential)[^\s=&#;]*=)"
    r"[^\s&#;]*"
)


def redact(text: str) -> str:
    """``text`` with the userinfo of every URL and the values of secret-named query
    parameters replaced: ``https://<redacted>@host/feed?token=<redacted>``."""
    if "://" not in text and "=" not in text:
        return text  # the common case costs one scan
    text = _USERINFO.sub(rf"\1{_REDACTED}@", text)
    return _SECRET_PARAM.sub(rf"\1{_REDACTED}", text)


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
        return redact(line)


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


def event(
    logger: logging.Logger,
    level: int,
    name: str,
    *,
    exc_info: BaseException | None = None,
    **fields: object,
) -> None:
    """Log ``name key=value ...`` (logfmt), fields in the order given and redacted; with
    ``exc_info``, its traceback follows."""
    if logger.isEnabledFor(level):
        pairs = " ".join(f"{k}={_value(redact(str(v)))}" for k, v in fields.items()
                         if v is not None)  # fmt: skip
        logger.log(level, "%s %s", name, pairs, exc_info=exc_info)
