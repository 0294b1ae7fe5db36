"""What a feed gives: its answer to a request, its items as parse normalised them, what the store
remembers of it between polls, and what the store keeps of an item for ``backtest``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A 200 answer to a feed request (a 304 is not a FetchedFeed)."""

    url: str
    final_url: str
    body: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry as parse normalised it: plain values, nothing from feedparser."""

    feed_url: str
    item_id: str
    title: str
    link: str
    content_html: str
    published: datetime | None
    feed_name: str = ""


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store remembers about a feed between polls."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    error_streak: int = 0
    last_error: str | None = None
    last_success: datetime | None = None
    next_poll: datetime | None = None
    gone: bool = False
    polled_before: bool = False
    failing_since: datetime | None = None
    reported_broken: bool = False


@dataclass(frozen=True, slots=True)
class ItemContent:
    """What the store keeps of an item that could alert, for ``backtest``: what the rules and
    dedup read of it (``body``: its HTML's skeleton, ``text.skeleton``)."""

    item_id: str
    title: str
    link: str
    published: datetime | None
    body: str
