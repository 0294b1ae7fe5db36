"""The one TLS context of a process: every HTTPS connection (feeds, article pages, the Bot API)
verifies with it, against certifi's CA bundle (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` instead when
set, as httpx reads them).

Why one: loading the bundle costs some 50 ms of CPU a context, and aiohttp's session and each of
python-telegram-bot's two httpx clients built their own: 0.2 s of every ``run --once``.
"""

from __future__ import annotations

import os
import ssl
from functools import cache

import certifi


@cache
def verified_context() -> ssl.SSLContext:
    """The process's context, built on first use (certificates verified, host names checked)."""
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile is None and capath is None:
        cafile = certifi.where()
    return ssl.create_default_context(cafile=cafile, capath=capath)
