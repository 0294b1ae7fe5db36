"""What every trip of a process needs (``Context``): the config and its compiled rules, the
store, the HTTP client, the parsers, the story window, the semantic stage's embedder and the
workers' coordination; made once at start-up and again, keeping what it can, on a reload.

The semantic stage is optional: when its model cannot be used, dedup compares titles only, and
that is said once with the remedy (``semantic_off``), never per trip.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from alerts.backfill import Backfill
from alerts.config import Config, FeedConfig, rule_specs
from alerts.decide import Policy
from alerts.dedup.embed import load_embedder
from alerts.dedup.embed_memo import Memo
from alerts.dedup.window import Entry, StoryWindow
from alerts.errors import EmbedderError
from alerts.feeds.fetch import Fetcher
from alerts.feeds.parse_pool import ParsePool
from alerts.logs import event
from alerts.observe import QUIET, Observer
from alerts.rules import RuleSet
from alerts.store import StoreType

if TYPE_CHECKING:
    from alerts.workers import Cluster

# The trip's logger: these lines were always the pipeline's, and log filters name it.
log = logging.getLogger("alerts.pipeline")


def compile_rules(config: Config) -> RuleSet:
    """The rules engine for a config."""
    return RuleSet.compile(*rule_specs(config))


@dataclass(frozen=True, slots=True)
class Context:
    """What every trip needs: the config, compiled rules, the store, the HTTP client, the
    parser processes, the window of recent stories (shared by all trips of the process), the
    semantic stage's embedder, memoised (None: string-only), the worker that embeds new
    stories' titles after their commit (opened and closed by ``alerts.app``; None: none), the
    observer told of every trip's result (``alerts.observe``), and the workers' coordination
    on a shared PostgreSQL state (``alerts.workers``; None: SQLite)."""

    config: Config
    rules: RuleSet
    store: StoreType
    fetcher: Fetcher
    window: StoryWindow
    parser: ParsePool
    memo: Memo | None = None
    backfill: Backfill | None = None
    observer: Observer = QUIET
    cluster: Cluster | None = None

    @classmethod
    def open(cls, config: Config, store: StoreType, fetcher: Fetcher, parser: ParsePool,
             backfill: Backfill | None = None, observer: Observer = QUIET,
             cluster: Cluster | None = None) -> Context:  # fmt: skip
        """Compile the rules, find the embedder and load the story window from the store."""
        window = StoryWindow(config.dedup.threshold)
        since = datetime.now(UTC) - config.dedup.window
        for chat, key, alert_key, at, source, title_vec, lead_vec in store.recent_stories(since):
            window.add(chat, Entry(key, alert_key, at, source, title_vec, lead_vec))
        return cls(config, compile_rules(config), store, fetcher, window, parser,
                   open_memo(config), backfill, observer, cluster)  # fmt: skip

    def reconfigured(self, config: Config) -> Context:
        """The same store, client, parsers, window and worker under a new config (the same
        embedder unless ``dedup.semantic``, ``semantic_model`` or ``semantic_engine`` changed)."""
        self.window.threshold = config.dedup.threshold
        old, new = self.config.dedup, config.dedup
        same = (old.semantic, old.semantic_model, old.semantic_engine) == (
            new.semantic,
            new.semantic_model,
            new.semantic_engine,
        )
        return Context(config, compile_rules(config), self.store, self.fetcher, self.window,
                       self.parser, self.memo if same else open_memo(config),
                       self.backfill, self.observer, self.cluster)  # fmt: skip

    @property
    def policy(self) -> Policy:
        """What the trips' decisions depend on."""
        return Policy(self.config, self.rules, self.window, self.memo)

    def interval(self, feed: FeedConfig) -> timedelta:
        """How often this feed is polled."""
        return self.policy.interval(feed)


def open_memo(config: Config) -> Memo | None:
    """The embedder of ``dedup.semantic_model``, memoised; None (string-only) when
    ``dedup.semantic`` is off, or when it cannot be used: said once, here, with the remedy.
    Nothing is loaded yet: the model loads when a matched story first needs a vector."""
    if not config.dedup.semantic:
        return None
    try:
        return Memo(load_embedder(config.dedup.semantic_model, config.dedup.semantic_engine))
    except EmbedderError as e:
        semantic_off(e)
        return None


def semantic_off(error: EmbedderError) -> None:
    """Say that the semantic stage is off, and why (once per cause: ``Memo.unsaid_failure``)."""
    event(log, logging.WARNING, "semantic_dedup_off", error=error.reason, dedup="titles only")
