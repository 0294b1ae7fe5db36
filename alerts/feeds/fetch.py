"""HTTP for feeds; the only module that imports httpx (and its aiohttp transport).

Every request is a conditional GET (RFC 9110 §13.1: ``If-None-Match`` with the stored ETag,
``If-Modified-Since`` with the stored Last-Modified), so an unchanged feed costs one small 304.
Limits protect the bot from a hostile or broken server: a total time limit per fetch (not only
per read, so one byte a second cannot hold a slot forever), a cap on the body size counted
after decompression (a gzip bomb stops at the cap), a bounded number of redirects, and a bound
on concurrent requests overall and per host.

The requests go through httpx's client (redirects, timeouts, headers) over ``httpx-aiohttp``'s
transport: aiohttp's pool and C parser cost half the CPU of httpcore's per conditional GET,
and at a thousand feeds those GETs are most of a poll cycle. The transport hands the body
over still compressed (``auto_decompress=False``), so the bounded decompression below applies.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx_aiohttp import AiohttpTransport

from alerts.errors import FeedGone, FetchError
from alerts.models import FetchedFeed

USER_AGENT = "news-alerts/0.1 (Telegram news alert bot; feed reader)"
ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"  # noqa: E501


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """How long, how much and how many."""

    timeout: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    concurrency: int = 20
    per_host: int = 4


class Fetcher:
    """Fetches feeds over one pooled HTTP client; use as an async context manager."""

    def __init__(self, limits: FetchLimits) -> None:
        self.limits = limits
        pool = httpx.Limits(max_connections=limits.concurrency)
        self._client = httpx.AsyncClient(
            transport=AiohttpTransport(limits=pool),
            follow_redirects=True,
            max_redirects=limits.max_redirects,
            timeout=httpx.Timeout(limits.timeout),
            headers={
                "User-Agent": USER_AGENT,
                "Accept": ACCEPT,
                "Accept-Encoding": "gzip, deflate",
            },
        )
        self._all = asyncio.Semaphore(limits.concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(limits.per_host)
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()

    async def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchedFeed | None:
        """The feed body, or None when the server says it has not changed (304)."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = urlsplit(url).hostname or ""
        async with self._all, self._hosts[host]:
            try:
                async with asyncio.timeout(self.limits.timeout):
                    return await self._get(url, headers)
            except TimeoutError as e:
                raise FetchError(url, f"timed out after {self.limits.timeout:g}s") from e
            except httpx.TooManyRedirects as e:
                raise FetchError(url, "too many redirects") from e
            except httpx.HTTPError as e:
                raise FetchError(url, f"{type(e).__name__}: {e}") from e

    async def _get(self, url: str, headers: dict[str, str]) -> FetchedFeed | None:
        async with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code == httpx.codes.NOT_MODIFIED:
                # A 304 has no body (RFC 9110 §15.4.5), but the connection goes back to the pool
                # only once the response was read to its end; unread, it is closed, and the next
                # fetch pays a new TCP connection.
                await self._read_capped(url, response)
                return None
            _raise_for_status(url, response)
            body = await self._read_capped(url, response)
            return FetchedFeed(
                url=url,
                final_url=str(response.url),
                body=body,
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )

    async def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        """The body, decompressed here with a bound on every step: httpx would inflate a whole
        network chunk at once, and 64 KB of a gzip bomb are 64 MB of zeros."""
        cap = self.limits.max_bytes
        inflate = _decompressor(response.headers.get("content-encoding", ""))
        chunks: list[bytes] = []
        size = 0
        async for raw in response.aiter_raw():
            pending = raw
            while pending or (inflate is not None and inflate.unconsumed_tail):
                if inflate is None:
                    piece, pending = pending, b""
                else:
                    data = inflate.unconsumed_tail + pending
                    piece, pending = inflate.decompress(data, cap + 1 - size), b""
                size += len(piece)
                if size > cap:
                    raise FetchError(url, f"body larger than {cap} bytes")
                chunks.append(piece)
                if inflate is None or not inflate.unconsumed_tail:
                    break
        if inflate is not None:
            rest = inflate.flush()
            if size + len(rest) > cap:
                raise FetchError(url, f"body larger than {cap} bytes")
            chunks.append(rest)
        return b"".join(chunks)


def _decompressor(encoding: str) -> Any:
    """A zlib decompressor for a Content-Encoding we asked for (gzip, deflate), else None."""
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    return None


def _raise_for_status(url: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    reason = f"HTTP {status} {response.reason_phrase}".strip()
    if status == httpx.codes.GONE:
        raise FeedGone(url, reason, status=status)
    retry_after = retry_after_seconds(response.headers.get("retry-after"))
    raise FetchError(url, reason, status=status, retry_after=retry_after)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (RFC 9110 §10.2.3): seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
