"""alerts/feeds/fetch.py against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime

import pytest

from alerts.errors import FeedGone, FetchError
from alerts.feeds.fetch import Fetcher, FetchLimits, retry_after_seconds
from alerts.models import FetchedFeed
from tests.fakes.feeds import FeedServer, rss

BODY = rss([{"title": "One", "link": "https://x.example/1"}])


def fetch(url: str, limits: FetchLimits | None = None, **kwargs: str) -> FetchedFeed | None:
    async def go() -> FetchedFeed | None:
        async with Fetcher(limits or FetchLimits(timeout=5)) as fetcher:
            return await fetcher.fetch(url, **kwargs)

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
