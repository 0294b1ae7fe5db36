"""The connections under httpx: aiohttp's pool (httpx-aiohttp), and for article pages a guard.

``fetch`` speaks httpx; this module is where aiohttp is imported. A transport serves one httpx
client and sees every request it sends, each redirect hop included, so each hop is checked
here. A guarded transport (article pages) refuses addresses by ``alerts.feeds.addresses``:
an IP literal before the request, and a host name in the resolver that aiohttp connects with.
The check is on the very addresses the connection then uses, so a name cannot resolve to a
public address for the check and to a private one for the connection (DNS rebinding).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

import httpx
from aiohttp import ClientSession, TCPConnector, ThreadedResolver
from aiohttp.abc import AbstractResolver, ResolveResult
from httpx_aiohttp import AiohttpTransport

from alerts.errors import AddressRefused
from alerts.feeds.addresses import Network, is_literal, refusal


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


class Transport(AiohttpTransport):
    """httpx-aiohttp's transport, with userinfo kept from aiohttp and, when ``guard`` is
    given, only the addresses it allows."""

    def __init__(self, limits: httpx.Limits, guard: Sequence[Network] | None = None) -> None:
        super().__init__(limits=limits)
        self.guard = None if guard is None else tuple(guard)

    def get_client(self) -> ClientSession:
        """One aiohttp session; a guarded one resolves through :class:`PublicResolver`."""
        if self.guard is None:
            return super().get_client()
        connector = TCPConnector(
            limit=self.limits.max_connections or 100,
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
            resolver=PublicResolver(self.guard),
        )
        return ClientSession(connector=connector)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """One hop: checked, then sent."""
        # httpx has already made an Authorization header of a URL's user:password, and aiohttp
        # refuses a URL with both (ValueError): the URL goes on without them.
        request.url = request.url.copy_with(username=None, password=None)
        host = request.url.host
        if self.guard is not None and is_literal(host):
            reason = refusal(host, self.guard)
            if reason is not None:
                raise AddressRefused(str(request.url), reason)
        return await super().handle_async_request(request)
