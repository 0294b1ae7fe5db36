"""alerts/feeds/fetch.py against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime

import pytest

from alerts.errors import AddressRefused, FeedGone, FetchError
from alerts.feeds.fetch import Fetcher, FetchLimits, HostSlots, origin, retry_after_seconds
from alerts.feeds.transport import PublicResolver
from alerts.models import FetchedFeed
from tests.fakes.feeds import FeedServer, rss

BODY = rss([{"title": "One", "link": "https://x.example/1"}])


def fetch(url: str, limits: FetchLimits | None = None, **kwargs: str) -> FetchedFeed | None:
    async def go() -> FetchedFeed | None:
        async with Fetcher(limits or FetchLimits(timeout=5)) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(go())


def fetch_page(url: str, limits: FetchLimits | None = None) -> FetchedFeed | None:
    async def go() -> FetchedFeed | None:
        async with Fetcher(limits or FetchLimits(timeout=5)) as fetcher:
            return await fetcher.fetch_page(url)

    return asyncio.run(go())


def test_200_returns_body_and_validators(feeds: FeedServer) -> None:
    url = feeds.set("/feed", BODY)
    got = fetch(url)
    assert got is not None
    assert got.body == BODY.encode()
    assert got.etag and got.etag.startswith('"')
    assert got.content_type and got.content_type.startswith("application/rss+xml")


def test_conditional_get_gives_none_on_304(feeds: FeedServer) -> None:
    url = feeds.set("/feed", BODY)
    first = fetch(url)
    assert first is not None
    assert fetch(url, etag=first.etag or "") is None
    assert feeds.not_modified["/feed"] == 1


def test_body_over_the_cap_is_refused(feeds: FeedServer) -> None:
    url = feeds.set("/big", b"x" * 50_000)
    with pytest.raises(FetchError, match="larger than 10000 bytes"):
        fetch(url, FetchLimits(timeout=5, max_bytes=10_000))


@pytest.mark.parametrize(
    ("status", "headers", "kind", "retry_after"),
    [
        (404, {}, FetchError, None),
        (500, {}, FetchError, None),
        (410, {}, FeedGone, None),
        (503, {"Retry-After": "120"}, FetchError, 120.0),
        (429, {"Retry-After": "7"}, FetchError, 7.0),
    ],
)
def test_http_errors(
    feeds: FeedServer,
    status: int,
    headers: dict[str, str],
    kind: type[FetchError],
    retry_after: float | None,
) -> None:
    url = feeds.set("/err", "nope", status=status, headers=headers, conditional=False)
    with pytest.raises(kind) as caught:
        fetch(url)
    assert caught.value.status == status
    assert caught.value.retry_after == retry_after
    assert caught.value.url == url


def test_redirect_loop_stops(feeds: FeedServer) -> None:
    url = feeds.url("/loop")
    feeds.set("/loop", "", status=302, headers={"Location": url}, conditional=False)
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(url, FetchLimits(timeout=5, max_redirects=3))
    assert feeds.requests["/loop"] == 4


def test_redirect_is_followed(feeds: FeedServer) -> None:
    target = feeds.set("/new", BODY)
    url = feeds.set("/old", "", status=301, headers={"Location": target}, conditional=False)
    got = fetch(url)
    assert got is not None
    assert got.final_url == target
    assert got.url == url


def test_slow_server_hits_the_total_time_limit(feeds: FeedServer) -> None:
    url = feeds.set("/slow", BODY, delay=3.0)
    with pytest.raises(FetchError, match="timed out"):
        fetch(url, FetchLimits(timeout=0.5))


def test_refused_connection_is_a_fetch_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError):
        fetch(f"http://127.0.0.1:{port}/feed")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("30", 30.0),
        ("Sat, 28 Nov 2026 12:01:00 GMT", 60.0),
        ("Sat, 28 Nov 2026 11:00:00 GMT", 0.0),
        ("soon", None),
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(value, now) == expected


def test_304_answers_keep_their_connection() -> None:
    """A 304 read to its end returns its connection to the pool: ten conditional GETs, one
    TCP connection (an HTTP/1.1 server on 127.0.0.1 that counts them)."""
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                writer.write(answer(head))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        finally:
            writer.close()

    def answer(head: bytes) -> bytes:
        if b'if-none-match: "v1"' in head.lower():
            return b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n'
        body = BODY.encode()
        return (
            b'HTTP/1.1 200 OK\r\nETag: "v1"\r\nContent-Type: application/rss+xml\r\n'
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )

    async def go() -> list[FetchedFeed | None]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/feed"
        async with server:
            async with Fetcher(FetchLimits(timeout=5)) as fetcher:
                first = await fetcher.fetch(url)
                rest = [await fetcher.fetch(url, etag='"v1"') for _ in range(10)]
            await asyncio.sleep(0.05)  # the handler sees the close and ends
        return [first, *rest]

    got = asyncio.run(go())
    assert got[0] is not None and got[1:] == [None] * 10
    assert connections == 1


# ---------------------------------------------------------------- per-host slots (issue 13, 8)


def test_a_host_that_never_answers_holds_only_its_own_slots(feeds: FeedServer) -> None:
    """100 feeds on a host that accepts connections and never answers, asked first, and 10 on
    a healthy host: every healthy feed is in while the black hole's first requests are still
    waiting for their time limit. Both servers are on 127.0.0.1: hosts are host:port."""
    healthy = [feeds.set(f"/h{n}.xml", BODY) for n in range(10)]
    limits = FetchLimits(timeout=30, concurrency=20, per_host=4)

    async def go() -> tuple[list[FetchedFeed | None], int]:
        connected = 0
        holding = asyncio.Event()

        async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connected
            connected += 1
            if connected == limits.per_host:
                holding.set()
            await reader.read()  # until the client hangs up
            writer.close()

        server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
        hole = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        async with server, Fetcher(limits) as fetcher:
            stuck = [asyncio.create_task(fetcher.fetch(f"{hole}/{n}.xml")) for n in range(100)]
            await holding.wait()  # the black hole holds its slots
            fetched = asyncio.ensure_future(asyncio.gather(*map(fetcher.fetch, healthy)))
            await asyncio.wait([fetched, *stuck], return_when=asyncio.FIRST_COMPLETED)
            stuck_done = sum(t.done() for t in stuck)
            for task in [fetched, *stuck]:
                task.cancel()
            results = await asyncio.gather(fetched, *stuck, return_exceptions=True)
        got = results[0]
        assert isinstance(got, list), f"healthy feeds not fetched: {got!r}"
        return got, stuck_done

    got, stuck_done = asyncio.run(go())
    assert stuck_done == 0  # no black-hole request had timed out yet
    assert all(g is not None and g.body == BODY.encode() for g in got)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://127.0.0.1:8080/a", "127.0.0.1:8080"),
        ("http://127.0.0.1/a", "127.0.0.1:80"),
        ("https://User:pw@News.Example/a", "news.example:443"),
        ("http://[::1]:81/", "::1:81"),
    ],
)
def test_a_host_is_its_name_and_port(url: str, key: str) -> None:
    assert origin(url) == key


def test_host_slots_are_forgotten_when_unused() -> None:
    async def go() -> tuple[int, int]:
        slots = HostSlots(2)
        async with slots.hold("a:80"), slots.hold("b:80"):
            during = len(slots)
        return during, len(slots)

    assert asyncio.run(go()) == (2, 0)


# ---------------------------------------------------------------- article pages (issue 13, 5)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_an_article_page_on_loopback_is_refused(feeds: FeedServer, host: str) -> None:
    url = feeds.set("/secret", "internal").replace("127.0.0.1", host)
    with pytest.raises(AddressRefused, match="loopback") as refused:
        fetch_page(url)
    assert refused.value.url == url
    assert "/secret" not in feeds.requests
    assert fetch(feeds.url("/secret")) is not None  # a feed (the operator's choice) may be local


def test_a_redirect_from_an_allowed_host_to_loopback_is_refused(feeds: FeedServer) -> None:
    secret = feeds.set("/secret", "internal")
    limits = FetchLimits(timeout=5, private_networks=("127.0.0.2/32",))
    with FeedServer("127.0.0.2") as allowed:
        page = allowed.set("/page", "<html><p>fine</p></html>", content_type="text/html")
        hop = allowed.set("/go", "", status=302, headers={"Location": secret}, conditional=False)
        got = fetch_page(page, limits)
        assert got is not None and got.body.startswith(b"<html>")  # the allowed network
        with pytest.raises(AddressRefused, match=r"127\.0\.0\.1 is a loopback address"):
            fetch_page(hop, limits)
        assert allowed.requests["/go"] == 1
    assert "/secret" not in feeds.requests


def test_an_allowed_network_is_fetched(feeds: FeedServer) -> None:
    url = feeds.set("/page", "<html><p>self-hosted</p></html>", content_type="text/html")
    got = fetch_page(url, FetchLimits(timeout=5, private_networks=("127.0.0.0/8", "::1")))
    assert got is not None and b"self-hosted" in got.body


class Answers:
    """An aiohttp resolver that answers fixed addresses (a name with several)."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[dict[str, object]]:
        return [{"hostname": host, "host": a, "port": port, "family": 0, "proto": 0, "flags": 0}
                for a in self.addresses]  # fmt: skip

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("addresses", "refused"),
    [
        (("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"), None),
        (("93.184.215.14", "10.0.0.7"), "10.0.0.7 is a private address"),  # every one checked
        (("fe80::1%2",), "fe80::1%2 is a link-local address"),
    ],
)
def test_the_resolver_refuses_a_name_with_any_refused_address(
    addresses: tuple[str, ...], refused: str | None
) -> None:
    resolver = PublicResolver((), inner=Answers(*addresses))  # type: ignore[arg-type]
    if refused is None:
        found = asyncio.run(resolver.resolve("news.example", 443))
        assert [r["host"] for r in found] == list(addresses)
        return
    with pytest.raises(AddressRefused, match=refused):
        asyncio.run(resolver.resolve("news.example", 443))


# ---------------------------------------------------------------- redirects, hop by hop

AUTH = ("ann", "s3cret")
BASIC = "Basic YW5uOnMzY3JldA=="  # ann:s3cret


def test_credentials_follow_a_redirect_on_their_origin_only(feeds: FeedServer) -> None:
    """RFC 7617's credentials go to the origin they were given for: a redirect within it keeps
    them, one to another host (``localhost`` is another name for the same server) drops them."""
    here = feeds.set("/here", BODY, auth=BASIC)
    feeds.set("/elsewhere", BODY, auth=BASIC)
    inside = feeds.set("/in", "", status=302, headers={"Location": "/here"}, conditional=False)
    outside = feeds.url("/elsewhere").replace("127.0.0.1", "localhost")
    away = feeds.set("/out", "", status=302, headers={"Location": outside}, conditional=False)
    got = asyncio.run(_fetch_with_auth(inside))
    assert got is not None and got.final_url == here
    with pytest.raises(FetchError, match="HTTP 401") as caught:
        asyncio.run(_fetch_with_auth(away))
    assert caught.value.url == away


async def _fetch_with_auth(url: str) -> FetchedFeed | None:
    async with Fetcher(FetchLimits(timeout=5)) as fetcher:
        return await fetcher.fetch(url, auth=AUTH)


def test_a_redirect_to_another_scheme_is_refused(feeds: FeedServer) -> None:
    url = feeds.set("/ftp", "", status=301, headers={"Location": "ftp://x.example/f"},
                    conditional=False)  # fmt: skip
    with pytest.raises(FetchError, match="cannot be requested"):
        fetch(url)


def test_a_link_that_is_no_http_url_is_a_fetch_error() -> None:
    with pytest.raises(FetchError, match="cannot be requested"):
        fetch_page("mailto:desk@news.example")


BROKEN = {
    "garbage": (b"NOT HTTP AT ALL\r\n\r\n", "Bad status line"),
    "short": (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "not completed"),
    "chunk": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
    "header": (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", "8190 bytes"),
    "location": (b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\n\r\n", "bad redirect"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_http_answer_is_a_fetch_error_of_its_url(case: str) -> None:
    """Answers no HTTP client could use (a server writing whatever it likes on 127.0.0.1)."""
    answer, reason = BROKEN[case]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    async def go() -> str:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/{case}"
        async with server, Fetcher(FetchLimits(timeout=5)) as fetcher:
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(url)
        assert caught.value.url == url
        return caught.value.reason

    assert reason in asyncio.run(go())


def test_a_cookie_check_redirect_is_passed_and_its_cookie_not_kept() -> None:
    """A site that sets a cookie on a redirect and wants it back ("set this, come back") is
    fetched; the cookie lives for that fetch only: the next poll starts without it."""
    seen: list[bytes] = []

    def answer(head: bytes) -> bytes:
        path = head.split(b" ")[1]
        seen.append(head)
        if path == b"/check":
            return (b"HTTP/1.1 302 Found\r\nSet-Cookie: consent=yes; Path=/\r\n"
                    b"Location: /feed\r\nContent-Length: 0\r\n\r\n")  # fmt: skip
        if b"cookie: consent=yes" not in head.lower():
            return b"HTTP/1.1 302 Found\r\nLocation: /check\r\nContent-Length: 0\r\n\r\n"
        body = BODY.encode()
        return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                writer.write(answer(head))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def go() -> list[FetchedFeed | None]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/feed"
        async with server, Fetcher(FetchLimits(timeout=5)) as fetcher:
            return [await fetcher.fetch(url), await fetcher.fetch(url)]

    got = asyncio.run(go())
    assert all(g is not None and g.body == BODY.encode() for g in got)
    firsts = [h for h in seen if h.startswith(b"GET /feed")]
    assert len(firsts) == 4  # each poll: without the cookie, then with it
    assert [b"consent=yes" in h for h in firsts] == [False, True, False, True]
