"""Feeds made in memory and a parser that crashes its process: what parse-pool tests hand over.

The parse children are spawned, so what they run must be importable there by module path; this
module imports only what a child already has (the parser and the models), not a test module.
"""

from __future__ import annotations

import os

from alerts.feeds.parse import parse_feed
from alerts.models import FeedItem, FetchedFeed
from tests.fakes.feeds import rss


def feed(items: int, url: str = "https://feed.example/rss") -> FetchedFeed:
    """A fetched RSS feed of ``items`` stories, as the fetcher would hand it to a parser."""
    body = rss(
        [
            {"title": f"Story {n}", "link": f"https://x.example/{n}", "guid": f"g{n}"}
            for n in range(items)
        ]
    )
    return FetchedFeed(url, url, body.encode(), "application/rss+xml")


def poisoned(fetched: FetchedFeed, feed_name: str) -> list[FeedItem]:
    """What a feed that crashes the parser does to its child (run in the child)."""
    if "poison" in fetched.url:
        os._exit(70)
    return parse_feed(fetched, feed_name)


def by_pid(fetched: FetchedFeed, feed_name: str) -> list[FeedItem]:
    """Each item's title says which child parsed it; a little slow, so that parses queue."""
    import dataclasses
    import time

    time.sleep(0.02)
    return [dataclasses.replace(i, title=str(os.getpid())) for i in parse_feed(fetched, feed_name)]
