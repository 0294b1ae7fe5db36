"""HTTP under ``fetch``: the module that speaks aiohttp (its connection pool and C parser).

Why aiohttp alone: a conditional GET is most of a poll cycle at a thousand feeds, and on this
2-core machine 1,000 of them (all 304s, 32 at a time, nginx on 127.0.0.1) cost 0.36 s of CPU
through this module (0.28 s through aiohttp's bare client) and 0.83 s through httpx's client over
httpx-aiohttp's transport (httpx's URL and header models, cookie extraction and auth flow, per
request and per hop).

What this module does itself, where aiohttp would do it otherwise:

- **Redirects** are followed here, hop by hop (``max_redirects`` at most), so that every hop of
  a guarded session is checked: an IP literal before its request, a host name in the resolver
  that aiohttp connects with (:class:`PublicResolver`), so the check is on the very addresses
  the connection uses (no DNS rebinding). Only http and https are followed.
- **Credentials** (HTTP Basic, RFC 7617, UTF-8) go only to the origin they were given for, and
  to its upgrade to https: never to another host a redirect names. Userinfo in a URL is never
  sent (feeds' credentials are taken out of their URLs at load; a page link's are not ours).
- **Bodies** come as the server sent them (``auto_decompress=False``): ``fetch`` inflates them
  with a bound on every step.
- **Cookies** live for one fetch: those a redirect sets go with the hops after it (a site's
  cookie check, "set this and come back", would otherwise redirect forever), and none is kept
  after it, so one feed's server never sets what a later poll, or another feed, sends.
- **TLS** is verified with the process's one context (``alerts.tls``: certifi's bundle).
- **No environment**: proxies and ``~/.netrc`` are not read (aiohttp's ``trust_env`` looks them
  up on every request, in a thread: it doubled a 304's CPU), as httpx did not read them
  under a transport of ours either.

aiohttp's errors become ``FetchError`` here, named by the URL asked for.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.cookies import BaseCookie

import aiohttp
from aiohttp import ClientSession, TCPConnector, ThreadedResolver
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from alerts.errors import AddressRefused, FetchError
from alerts.feeds.addresses import Network, is_literal, refusal
from alerts.tls import verified_context

REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
KEEPALIVE_S = 5.0  # an idle connection is closed after this (httpx's default, kept)
DEFAULT_PORTS = {"http": 80, "https": 443}


class PublicResolver(AbstractResolver):
    """Resolves a host name, and refuses it when any of its addresses is refused."""

    def __init__(self, allowed: Sequence[Network], inner: AbstractResolver | None = None) -> None:
        self.allowed = tuple(allowed)
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of ``host``, every one of them allowed."""
        found = await self._inner.resolve(host, port, family)
        for result in found:
            reason = refusal(result["host"], self.allowed)
            if reason is not None:
                # Not an OSError: aiohttp passes it through as it is, not as a connection error.
                raise AddressRefused(host, f"{host}: {reason}")
        return found

    async def close(self) -> None:
        """Release the inner resolver."""
        await self._inner.close()


@dataclass(frozen=True, slots=True)
class Reply:
    """The last hop's answer: its status, headers (any case) and URL; ``chunks`` reads the
    body as sent (its errors name ``asked``, the URL the fetch was for)."""

    asked: str
    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    _response: aiohttp.ClientResponse

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive, still compressed when the server compressed them."""
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK):
                yield chunk
        except aiohttp.ClientError as e:
            raise FetchError(self.asked, f"{type(e).__name__}: {e}") from e


class Session:
    """One pool of connections, with its default headers; ``guard`` limits the addresses
    every hop may reach (article pages)."""

    def __init__(
        self,
        headers: Mapping[str, str],
        connections: int,
        max_redirects: int,
        guard: Sequence[Network] | None = None,
    ) -> None:
        self.max_redirects = max_redirects
        self.guard = None if guard is None else tuple(guard)
        self._headers = dict(headers)
        self._connections = connections
        self._session: ClientSession | None = None

    def _client(self) -> ClientSession:
        """The aiohttp session, made on first use (it needs the running loop)."""
        if self._session is None:
            resolver = PublicResolver(self.guard) if self.guard is not None else None
            connector = TCPConnector(limit=max(1, self._connections),  # 0: none
                                     keepalive_timeout=KEEPALIVE_S, ssl=verified_context(),
                                     resolver=resolver)  # fmt: skip
            self._session = ClientSession(
                connector=connector, headers=self._headers, auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),  # ``fetch`` bounds the whole fetch
            )  # fmt: skip
        return self._session

    @asynccontextmanager
    async def get(
        self, url: str, headers: Mapping[str, str], auth: tuple[str, str] | None = None
    ) -> AsyncIterator[Reply]:
        """GET ``url``, redirects followed; the last hop's reply for the time of the block."""
        first = target = requestable(url)
        jar: aiohttp.CookieJar | None = None  # this fetch's own, made by a hop that sets one
        credentials = {**headers, **basic_auth(auth)}
        for _ in range(self.max_redirects + 1):
            self._check(url, target)
            sent = credentials if same_origin(first, target) else headers
            cookies = jar.filter_cookies(target) if jar is not None else None
            response = await self._send(url, target, sent, cookies)
            location = response.headers.get("Location") if response.status in REDIRECTS else None
            if location is None:
                try:
                    yield Reply(url, str(response.url), response.status, response.reason or "",
                                response.headers, response)  # fmt: skip
                finally:
                    response.release()
                return
            if response.cookies:  # a cookie check ("set this, come back"): kept for the chain
                jar = jar or aiohttp.CookieJar(unsafe=True)
                jar.update_cookies(response.cookies, response.url)
            response.close()  # a redirect's body is not read: its connection is not kept
            target = next_hop(url, target, location)
        raise FetchError(url, "too many redirects")

    async def _send(
        self,
        url: str,
        target: URL,
        headers: Mapping[str, str],
        cookies: BaseCookie[str] | None = None,
    ) -> aiohttp.ClientResponse:
        try:
            return await self._client().get(target, headers=headers, cookies=cookies,
                                            allow_redirects=False)  # fmt: skip
        except AddressRefused as e:  # raised for the hop's host: said for the URL asked
            raise AddressRefused(url, e.reason) from e
        except aiohttp.InvalidURL as e:
            raise FetchError(url, f"cannot be requested: {type(e).__name__}: {e}") from e
        except aiohttp.ClientError as e:
            raise FetchError(url, f"{type(e).__name__}: {e}") from e

    def _check(self, url: str, target: URL) -> None:
        """A guarded hop to an IP literal is checked before its request (a name is checked in
        the resolver)."""
        host = target.host or ""
        if self.guard is not None and is_literal(host):
            reason = refusal(host, self.guard)
            if reason is not None:
                raise AddressRefused(url, reason)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        if self._session is not None:
            await self._session.close()


def requestable(url: str) -> URL:
    """``url`` as aiohttp requests it, without userinfo; FetchError when no client could."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as e:
        raise FetchError(url, f"cannot be requested: {type(e).__name__}: {e}") from e
    if parsed.scheme not in DEFAULT_PORTS or not parsed.host:
        raise FetchError(url, f"cannot be requested: not an http(s) URL: {url}")
    return parsed.with_user(None) if parsed.user or parsed.password else parsed


def next_hop(url: str, current: URL, location: str) -> URL:
    """Where a redirect leads (a relative Location is resolved against the hop's URL)."""
    try:
        joined = current.join(URL(location))
    except (ValueError, TypeError) as e:
        raise FetchError(url, f"cannot be requested: bad redirect {location!r}: {e}") from e
    return requestable(str(joined))


def basic_auth(auth: tuple[str, str] | None) -> dict[str, str]:
    """The Authorization header of HTTP Basic credentials (RFC 7617, in UTF-8), if any."""
    if auth is None:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(":".join(auth).encode()).decode()}


def same_origin(first: URL, target: URL) -> bool:
    """Whether credentials given for ``first`` may go to ``target``: the same scheme, host and
    port, or the same host's upgrade from http to https on the default ports (as httpx)."""
    if first.host != target.host:
        return False
    if (first.scheme, first.port) == (target.scheme, target.port):
        return True
    return (first.scheme, first.port, target.scheme, target.port) == ("http", 80, "https", 443)
