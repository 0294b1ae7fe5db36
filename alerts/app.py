"""The one composition root: opens what a run needs, in order, and closes it in reverse.

``run``, ``run --once``, ``run --dry-run``, ``demo`` and the tests all assemble the bot here:
the store (locked against a second bot on the same state where asked), the parse processes
(booted at once, so their imports overlap the first fetches), the HTTP client with the
``polling.*`` limits, the worker that embeds new stories' titles after their commit
(``alerts.backfill``; closed first, so its last batches are written before the store closes),
the workers' coordination when the state is PostgreSQL (``alerts.workers``), then the trip
Context (rules compiled, the story window loaded).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from alerts.backfill import Backfill
from alerts.config import Config
from alerts.feeds.fetch import Fetcher, FetchLimits
from alerts.feeds.parse_pool import ParsePool
from alerts.observe import QUIET, Observer
from alerts.pipeline import Context, semantic_off
from alerts.store import StoreType, open_store
from alerts.workers import open_cluster


def fetch_limits(config: Config) -> FetchLimits:
    """The HTTP client's limits from ``polling.*``."""
    polling = config.polling
    return FetchLimits(
        timeout=polling.timeout.total_seconds(),
        max_bytes=polling.max_bytes,
        max_redirects=polling.max_redirects,
        concurrency=polling.concurrency,
        private_networks=tuple(polling.article_private_networks),
    )


@asynccontextmanager
async def open_bot(
    config: Config,
    *,
    lock: bool = False,
    store: StoreType | None = None,
    parser: ParsePool | None = None,
    background_vectors: bool = True,
    observer: Observer = QUIET,
) -> AsyncIterator[Context]:
    """The Context of one run, with everything it holds opened; closed on exit.

    A ``store`` or ``parser`` given by the caller is used and left open (tests keep one
    store across trips and one parse pool across tests); otherwise each is opened here.
    ``background_vectors`` off (``run --once``, the demo): no worker embeds new stories after
    their commit; a story's vector is computed when a comparison first needs it (at most 4 a
    story), so a cycle that ends at once never loads the model, or waits for it, in vain.
    ``observer`` is told of every trip and send (``alerts.observe``: the metrics)."""
    async with AsyncExitStack() as stack:
        if store is None:
            store = open_store(config.state, lock=lock)
            stack.callback(store.close)
        cluster = open_cluster(store)  # workers on PostgreSQL; None on SQLite
        if cluster is not None:
            stack.callback(cluster.close)
        if parser is None:
            parser = ParsePool()
            stack.callback(parser.close)
            parser.start()
        fetcher = await stack.enter_async_context(Fetcher(fetch_limits(config)))
        backfill = Backfill(store.save_vectors, semantic_off) if background_vectors else None
        if backfill is not None:
            stack.push_async_callback(backfill.close)
        yield Context.open(config, store, fetcher, parser, backfill, observer, cluster)
