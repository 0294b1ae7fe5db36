"""HTTP for feeds and article pages (the connections, redirects and TLS are
``alerts.feeds.transport``'s, over aiohttp).

Every feed request is a conditional GET (RFC 9110 §13.1: ``If-None-Match`` with the stored ETag,
``If-Modified-Since`` with the stored Last-Modified), so an unchanged feed costs one small 304.
Limits protect the bot from a hostile or broken server: a total time limit per fetch (not only
per read, so one byte a second cannot hold a slot forever), a cap on the body size counted
after decompression (a gzip bomb stops at the cap), a bounded number of redirects, and a bound
on concurrent requests per host (``host:port``) and overall. The per-host slot is taken first:
a host that accepts connections and never answers then holds only its own slots, never the
global ones that the feeds of other hosts are waiting for.

Feeds are the operator's choice and are fetched wherever they are, with HTTP Basic auth when
the config gives credentials (RFC 7617; never sent on a redirect to another origin). Article
pages come from the items of a feed, so they go through a second session that refuses loopback,
private and reserved addresses on every hop (``alerts.feeds.addresses``), save the networks
``polling.article_private_networks`` allows. Bodies arrive as sent, and are inflated here.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from alerts.errors import FeedGone, FetchError
from alerts.feeds.addresses import Network, networks
from alerts.feeds.transport import DEFAULT_PORTS, Reply, Session
from alerts.models import FetchedFeed

USER_AGENT = "news-alerts/0.1 (Telegram news alert bot; feed reader)"
ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"  # noqa: E501
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
NOT_MODIFIED, GONE = 304, 410


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """How long, how much and how many; and the private networks article pages may come from."""

    timeout: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    concurrency: int = 20
    per_host: int = 4
    private_networks: tuple[str, ...] = ()


class Fetcher:
    """Fetches feeds and article pages over pooled HTTP clients; an async context manager."""

    def __init__(self, limits: FetchLimits) -> None:
        self.limits = limits
        self._feeds = self._session(ACCEPT)
        self._pages = self._session(PAGE_ACCEPT, networks(limits.private_networks))
        self._all = asyncio.Semaphore(limits.concurrency)
        self._hosts = HostSlots(limits.per_host)

    def _session(self, accept: str, guard: tuple[Network, ...] | None = None) -> Session:
        headers = {"User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": "gzip, deflate"}
        return Session(headers, self.limits.concurrency, self.limits.max_redirects, guard)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._feeds.aclose()
        await self._pages.aclose()

    async def fetch(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        auth: tuple[str, str] | None = None,
    ) -> FetchedFeed | None:
        """The feed body, or None when the server says it has not changed (304)."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._fetch(self._feeds, url, headers, auth)

    async def fetch_page(self, url: str) -> FetchedFeed | None:
        """An article page, from a public address (or an allowed network) only; raises
        AddressRefused when it, or a redirect on the way, leads elsewhere."""
        return await self._fetch(self._pages, url, {}, None)

    async def _fetch(
        self,
        session: Session,
        url: str,
        headers: dict[str, str],
        auth: tuple[str, str] | None,
    ) -> FetchedFeed | None:
        async with self._hosts.hold(origin(url)), self._all:
            try:
                async with asyncio.timeout(self.limits.timeout):
                    return await self._get(session, url, headers, auth)
            except TimeoutError as e:
                raise FetchError(url, f"timed out after {self.limits.timeout:g}s") from e

    async def _get(
        self,
        session: Session,
        url: str,
        headers: dict[str, str],
        auth: tuple[str, str] | None,
    ) -> FetchedFeed | None:
        async with session.get(url, headers, auth) as response:
            if response.status == NOT_MODIFIED:
                # A 304 has no body (RFC 9110 §15.4.5), but the connection goes back to the pool
                # only once the response was read to its end; unread, it is closed, and the next
                # fetch pays a new TCP connection.
                await self._read_capped(url, response)
                return None
            _raise_for_status(url, response)
            body = await self._read_capped(url, response)
            return FetchedFeed(
                url=url,
                final_url=response.url,
                body=body,
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )

    async def _read_capped(self, url: str, response: Reply) -> bytes:
        """The body, decompressed here with a bound on every step: a whole network chunk
        inflated at once could be 64 MB of zeros from 64 KB of a gzip bomb."""
        cap = self.limits.max_bytes
        inflate = _decompressor(response.headers.get("content-encoding", ""))
        chunks: list[bytes] = []
        size = 0
        async for raw in response.chunks():
            pending = raw
            while pending or (inflate is not None and inflate.unconsumed_tail):
                if inflate is None:
                    piece, pending = pending, b""
                else:
                    data = inflate.unconsumed_tail + pending
                    piece = _inflated(url, inflate.decompress, data, cap + 1 - size)
                    pending = b""
                size += len(piece)
                if size > cap:
                    raise FetchError(url, f"body larger than {cap} bytes")
                chunks.append(piece)
                if inflate is None or not inflate.unconsumed_tail:
                    break
        if inflate is not None:
            rest = _inflated(url, inflate.flush)
            if size + len(rest) > cap:
                raise FetchError(url, f"body larger than {cap} bytes")
            chunks.append(rest)
        return b"".join(chunks)


class HostSlots:
    """A semaphore of ``per_host`` slots per ``host:port``, forgotten when no fetch holds or
    awaits it (article links come from many hosts; the map must not grow with them)."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self._slots: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """One slot of ``key``'s host, for the time of the block."""
        slot, users = self._slots.get(key, (None, 0))
        slot = slot or asyncio.Semaphore(self.per_host)
        self._slots[key] = (slot, users + 1)
        try:
            async with slot:
                yield
        finally:
            slot, users = self._slots[key]
            if users == 1:
                del self._slots[key]
            else:
                self._slots[key] = (slot, users - 1)

    def __len__(self) -> int:
        return len(self._slots)


def origin(url: str) -> str:
    """``host:port`` of a URL (the default port of its scheme when none is given): two servers
    on one address are two hosts, as they are two connection pools."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a port that is not a number: the request fails on its own
        return parts.netloc.rpartition("@")[2].lower()
    return f"{(parts.hostname or '').lower()}:{port}"


def _inflated(url: str, step: Any, *args: Any) -> bytes:
    """One step of decompression; a corrupt body is the server's fault, not a crash."""
    try:
        return bytes(step(*args))
    except zlib.error as e:
        raise FetchError(url, f"corrupt compressed body: {e}") from e


def _decompressor(encoding: str) -> Any:
    """A zlib decompressor for a Content-Encoding we asked for (gzip, deflate), else None."""
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    return None


def _raise_for_status(url: str, response: Reply) -> None:
    status = response.status
    if status < 400:
        return
    reason = f"HTTP {status} {response.reason}".strip()
    if status == GONE:
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
