"""The backtest's first pass, pure and order-free: each kept item's matches and story key
(``stories.judge``), computed in child processes while the replay goes on in this one.

What an item matches and its key depend on the item and its feed's config alone, never on the
stories before it, so they can be computed anywhere, in any order; only dedup and the window
need the replay's order. They were most of a backtest's time besides dedup: the rules read
the item's HTML as text, a matched item's key carries its lead (a summary), every key
normalises its title and link, and each match is rendered as its alert (a match that dedup then
holds back was rendered for nothing: 10% of them in ``bench/bench_backtest.py``).

Policy: ``WORKERS`` (2) children, started with ``spawn`` as the parse pool's are
(``feeds.parse_pool``: ``fork`` from a process with threads is unsafe), each compiling the
rules once; items go to them in chunks of ``CHUNK`` (2,000: a child's start-up of some 0.5 s
and its pickling are paid per chunk, not per item), at most ``AHEAD`` chunks in flight, so
memory holds some 16,000 items, not the whole period. A backtest of fewer than ``IN_PROCESS``
items (4,000: a second or so) is judged here, where starting children would cost more than
they save.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from alerts.config import Config, FeedConfig, rule_specs
from alerts.models import FeedItem
from alerts.rules import RuleSet
from alerts.store.history import SeenItem
from alerts.stories import Judged, Rendering, judge

WORKERS, CHUNK, AHEAD, IN_PROCESS = 2, 2000, 8, 4000


class Judge:
    """The config's compiled rules and its feeds, as one process judges items with them."""

    def __init__(self, config: Config) -> None:
        self.rules = RuleSet.compile(*rule_specs(config))
        self.feeds = {f.url: f for f in config.feeds}
        self.rendering = Rendering.of(config)

    def feed(self, url: str) -> FeedConfig:
        """The config's feed; a feed the config no longer lists keeps only its URL (no name or
        tags: a rule limited to feeds does not fire on it)."""
        feed = self.feeds.get(url)
        if feed is None:
            feed = self.feeds[url] = FeedConfig.model_validate({"url": url})
        return feed

    def item(self, seen: SeenItem) -> FeedItem:
        """The item as its trip judged it, named by its feed."""
        c, feed = seen.content, self.feed(seen.feed_url)
        return FeedItem(seen.feed_url, c.item_id, c.title, c.link, c.body, c.published,
                        feed.display_name)  # fmt: skip

    def chunk(self, items: list[SeenItem]) -> list[Judged]:
        """Each item's matches and key, in order."""
        return [judge(self.rules, self.item(i), self.feed(i.feed_url), self.rendering)
                for i in items]  # fmt: skip


def judged(
    config: Config, items: Iterable[SeenItem], count: int
) -> Iterator[tuple[SeenItem, Judged]]:
    """``items`` in order, each with its matches and key; over ``WORKERS`` children when
    there are at least ``IN_PROCESS`` of them."""
    if count < IN_PROCESS:
        here = Judge(config)
        for seen in items:
            yield seen, here.chunk([seen])[0]
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WORKERS, mp_context=context, initializer=_start,
                             initargs=(config,)) as pool:  # fmt: skip
        yield from _pipelined(pool, items)


def _pipelined(
    pool: ProcessPoolExecutor, items: Iterable[SeenItem]
) -> Iterator[tuple[SeenItem, Judged]]:
    """Chunks sent ahead, results taken back in order."""
    rest = iter(items)
    chunks = iter(lambda: list(itertools.islice(rest, CHUNK)), [])
    flight: deque[tuple[list[SeenItem], Future[list[Judged]]]] = deque()
    for chunk in itertools.chain(chunks, [None]):
        if chunk is not None:
            flight.append((chunk, pool.submit(_chunk, chunk)))
        while flight and (chunk is None or len(flight) >= AHEAD):
            sent, future = flight.popleft()
            yield from zip(sent, future.result(), strict=True)


_JUDGE: list[Judge] = []  # the child's own, made once by ``_start``


def _start(config: Config) -> None:
    _JUDGE.append(Judge(config))


def _chunk(items: list[SeenItem]) -> list[Judged]:
    return _JUDGE[0].chunk(items)
