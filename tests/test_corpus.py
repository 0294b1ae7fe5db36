"""feedparser's own test feeds, each served over HTTP with its headers, through fetch and parse.

Every file must come through without an unhandled exception (a ParseError for a body that is
not a feed is a handled outcome), and the items must be what feedparser itself makes of the
same bytes and headers: so the HTTP path keeps the bytes and the charset intact.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import feedparser
import pytest

from alerts.errors import AlertsError
from alerts.feeds.fetch import Fetcher, FetchLimits
from alerts.feeds.parse import parse_feed
from alerts.models import FeedItem
from tests.fakes.feeds import FeedServer
from tests.helpers import shared_path

HEADER = re.compile(rb"^Header:\s*([\w-]+):\s*(.*?)\s*$", re.MULTILINE)


def corpus() -> list[Path]:
    root = shared_path("data/feedparser-corpus")
    return sorted(p for p in root.rglob("*") if p.suffix in (".xml", ".json"))


def headers_of(body: bytes) -> dict[str, str]:
    head = body[:2000]
    return {m.group(1).decode(): m.group(2).decode("latin-1") for m in HEADER.finditer(head)}


async def fetch_all(server: FeedServer, files: list[Path]) -> dict[Path, object]:
    results: dict[Path, object] = {}
    async with Fetcher(FetchLimits(timeout=10, concurrency=16, per_host=16)) as fetcher:

        async def one(path: Path) -> None:
            url = server.url("/" + str(path.relative_to(path.parents[1])))
            try:
                fetched = await fetcher.fetch(url)
                assert fetched is not None
                results[path] = await asyncio.to_thread(parse_feed, fetched, "corpus")
            except AlertsError as e:
                results[path] = e

        await asyncio.gather(*(one(p) for p in files))
    return results


def test_every_corpus_file_fetches_and_parses(feeds: FeedServer) -> None:
    files = corpus()
    assert len(files) > 2000
    for path in files:
        body = path.read_bytes()
        headers = headers_of(body)
        content_type = headers.pop("Content-type", "application/xml")
        headers.pop("ETag", None)
        feeds.set(
            "/" + str(path.relative_to(path.parents[1])),
            body,
            content_type=content_type,
            headers=headers,
            conditional=False,
        )
    results = asyncio.run(fetch_all(feeds, files))
    crashed = {p: r for p, r in results.items() if not isinstance(r, list | AlertsError)}
    assert not crashed
    mismatched = []
    for path, result in results.items():
        if not isinstance(result, list):
            continue
        body = path.read_bytes()
        headers = {k.lower(): v for k, v in headers_of(body).items()}
        headers.setdefault("content-type", "application/xml")
        expected = feedparser.parse(body, response_headers=headers)
        if not _same(result, expected):
            mismatched.append(path.name)
    assert mismatched == []
    handled = sum(isinstance(r, AlertsError) for r in results.values())
    print(f"\n{len(files)} corpus files: {len(files) - handled} parsed, {handled} refused cleanly")


def _same(items: list[FeedItem], expected: feedparser.FeedParserDict) -> bool:
    entries = expected.get("entries", [])
    if len(items) != len(entries):
        return False
    for item, entry in zip(items, entries, strict=True):
        detail = entry.get("title_detail") or {}
        if "html" in str(detail.get("type", "")):
            continue
        if item.title != " ".join(str(entry.get("title", "")).split())[:1000]:
            return False
    return True


@pytest.mark.parametrize("name", ["encoding"])
def test_the_encoding_cases_decode_non_ascii_titles(feeds: FeedServer, name: str) -> None:
    files = [p for p in corpus() if p.parent.name == name]
    for path in files:
        body = path.read_bytes()
        headers = headers_of(body)
        feeds.set(
            "/" + str(path.relative_to(path.parents[1])),
            body,
            content_type=headers.pop("Content-type", "application/xml"),
            headers=headers,
            conditional=False,
        )
    results = asyncio.run(fetch_all(feeds, files))
    titles = [i.title for r in results.values() if isinstance(r, list) for i in r]
    assert titles
    assert not any("\ufffd" in t for t in titles)  # no replacement characters
