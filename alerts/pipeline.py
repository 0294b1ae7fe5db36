"""One trip for one feed: fetch, parse, rules, dedup, render, outbox; each feed's failures isolated.

    fetch ──> parse ──> first sight / max_age ──> rules ──> dedup ──> render ──> store (one tx)

A conditional GET that answers 304, or a body whose hash is the one stored, ends the trip
before parsing. The first poll of a feed records its items without alerting (``backfill: N``
alerts the newest N), so adding a feed never floods the channel; an item published more than
``items.max_age`` ago is never alerted. Everything after the fetch and the parse runs without
an ``await``, so the dedup window and the store stay consistent while other feeds are polled
concurrently. A failing feed is retried with capped exponential backoff (or the server's
Retry-After, when longer); a 410 stops its polling. Nothing here raises for one feed's fault.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from alerts.config import Config, FeedConfig
from alerts.config_specs import rule_specs
from alerts.dedup.similarity import story_key
from alerts.dedup.window import Entry, StoryWindow
from alerts.errors import AlertsError, FeedGone, FetchError, ParseError
from alerts.feeds.article import MAX_ARTICLES_PER_POLL, fetch_article, is_stub
from alerts.feeds.fetch import Fetcher
from alerts.feeds.parse_pool import ParsePool, shared_pool
from alerts.logs import event
from alerts.message.render import MessageStyle, render
from alerts.message.summary import summarize
from alerts.models import (
    Alert,
    ClusterJoin,
    FeedItem,
    FeedState,
    FetchedFeed,
    Match,
    PollResult,
    StoryKey,
)
from alerts.notices import feed_health
from alerts.rules import RuleSet
from alerts.store import PollRecord, Store

log = logging.getLogger("alerts.pipeline")


@dataclass(frozen=True, slots=True)
class Context:
    """What every trip needs: the config, compiled rules, the store, the HTTP client, the
    parser processes, and the window of recent stories (shared by all trips of the process)."""

    config: Config
    rules: RuleSet
    store: Store
    fetcher: Fetcher
    window: StoryWindow
    parser: ParsePool

    @classmethod
    def open(
        cls, config: Config, store: Store, fetcher: Fetcher, parser: ParsePool | None = None
    ) -> Context:
        """Compile the rules and load the story window from the store."""
        window = StoryWindow(config.dedup.threshold)
        since = datetime.now(UTC) - config.dedup.window
        for chat, key, alert_key, at, source in store.recent_stories(since):
            window.add(chat, Entry(key, alert_key, at, source))
        rules = RuleSet.compile(*rule_specs(config))
        return cls(config, rules, store, fetcher, window, parser or shared_pool())

    def reconfigured(self, config: Config) -> Context:
        """The same store, client, parsers and window under a new config."""
        self.window.threshold = config.dedup.threshold
        rules = RuleSet.compile(*rule_specs(config))
        return Context(config, rules, self.store, self.fetcher, self.window, self.parser)

    @property
    def style(self) -> MessageStyle:
        """Message settings from the config."""
        return MessageStyle(self.config.message.timezone, self.config.telegram.link_preview)

    def interval(self, feed: FeedConfig) -> timedelta:
        """How often this feed is polled."""
        return feed.interval or self.config.polling.interval


def backoff(ctx: Context, feed: FeedConfig, streak: int, retry_after: float | None) -> timedelta:
    """Wait after the n-th consecutive failure: interval doubling, capped; never given up."""
    wait: timedelta = min(
        ctx.interval(feed) * 2 ** max(0, streak - 1), ctx.config.polling.backoff_max
    )
    if retry_after:
        wait = max(wait, timedelta(seconds=min(retry_after, 86400)))
    return wait


@dataclass(frozen=True, slots=True)
class Fetched:
    """A trip after fetch and parse, before anything is decided or written."""

    feed: FeedConfig
    state: FeedState
    fetched: FetchedFeed
    digest: str
    items: list[FeedItem]


async def poll_feed(ctx: Context, feed: FeedConfig, now: datetime | None = None) -> PollResult:
    """Poll one feed and queue its alerts; every expected failure becomes a PollResult."""
    step = await fetch_and_parse(ctx, feed, now)
    result = record(ctx, step, now) if isinstance(step, Fetched) else step
    return after_poll(ctx, feed, result, now)


def after_poll(
    ctx: Context, feed: FeedConfig, result: PollResult, now: datetime | None = None
) -> PollResult:
    """Feed health: the admins hear once when a feed stays broken, and once when it is back."""
    now = now or datetime.now(UTC)
    try:
        feed_health(ctx.store, ctx.config.telegram.admins, feed, result, now,
                    ctx.config.polling.broken_after.total_seconds())  # fmt: skip
    except AlertsError as e:
        event(log, logging.ERROR, "health_failed", feed_url=feed.url, error=str(e))
    return result


async def fetch_and_parse(
    ctx: Context, feed: FeedConfig, now: datetime | None = None
) -> Fetched | PollResult:
    """The I/O half of a trip: a Fetched to record, or the PollResult that ends the trip."""
    now = now or datetime.now(UTC)
    return await _guarded(ctx, feed, now, _fetch_and_parse(ctx, feed, now))


def record(ctx: Context, step: Fetched, now: datetime | None = None) -> PollResult:
    """The deciding half of a trip: rules, dedup, render and one store transaction."""
    now = now or datetime.now(UTC)
    try:
        return _record(ctx, step.feed, step.state, step.fetched, step.digest, step.items, now)
    except AlertsError as e:
        event(log, logging.ERROR, "poll_failed", feed_url=step.feed.url, error=str(e))
        return PollResult(step.feed.url, "error", error=str(e))
    except Exception as e:  # a bug must not stop the other feeds; say it loudly
        log.critical("poll_crashed feed_url=%s", step.feed.url, exc_info=True)
        return PollResult(step.feed.url, "error", error=repr(e))


async def _guarded(
    ctx: Context, feed: FeedConfig, now: datetime, work: Awaitable[Fetched | PollResult]
) -> Fetched | PollResult:
    try:
        return await work
    except (FetchError, ParseError) as e:
        return _failed(ctx, feed, e, now)
    except AlertsError as e:
        event(log, logging.ERROR, "poll_failed", feed_url=feed.url, error=str(e))
        return PollResult(feed.url, "error", error=str(e))
    except Exception as e:  # a bug must not stop the other feeds; say it loudly
        log.critical("poll_crashed feed_url=%s", feed.url, exc_info=True)
        return PollResult(feed.url, "error", error=repr(e))


async def _fetch_and_parse(ctx: Context, feed: FeedConfig, now: datetime) -> Fetched | PollResult:
    state = ctx.store.feed_state(feed.url)
    if state.gone:
        return PollResult(feed.url, "gone")
    fetched = await ctx.fetcher.fetch(feed.url, state.etag, state.last_modified)
    if fetched is None:
        ctx.store.record_unchanged(feed.url, now)
        event(log, logging.DEBUG, "feed_not_modified", feed_url=feed.url)
        return PollResult(feed.url, "not_modified")
    digest = hashlib.sha256(fetched.body).hexdigest()
    if digest == state.content_hash:
        ctx.store.record_unchanged(feed.url, now, fetched.etag, fetched.last_modified)
        return PollResult(feed.url, "unchanged")
    items = await ctx.parser.parse(fetched, feed.display_name)
    if feed.fetch_article:
        items = await _with_articles(ctx, feed, state, items, now)
    return Fetched(feed, state, fetched, digest, items)


async def _with_articles(
    ctx: Context, feed: FeedConfig, state: FeedState, items: list[FeedItem], now: datetime
) -> list[FeedItem]:
    """New stub items get their article's text (``alerts.feeds.article``), fetched concurrently."""
    seen = ctx.store.seen(feed.url, (i.item_id for i in items))
    fresh = select_new(
        items, seen, state.polled_before, feed.backfill, ctx.config.items.max_age, now
    )
    stubs = [i for i in fresh if is_stub(i)][-MAX_ARTICLES_PER_POLL:]
    if not stubs:
        return items
    full = await asyncio.gather(*(fetch_article(ctx.fetcher, i) for i in stubs))
    better = {i.item_id: f for i, f in zip(stubs, full, strict=True)}
    return [better.get(i.item_id, i) for i in items]


def _record(
    ctx: Context,
    feed: FeedConfig,
    state: FeedState,
    fetched: FetchedFeed,
    digest: str,
    items: list[FeedItem],
    now: datetime,
) -> PollResult:
    """Decide and write; no await here, so concurrent trips cannot interleave."""
    seen = ctx.store.seen(feed.url, (i.item_id for i in items))
    fresh = select_new(
        items, seen, state.polled_before, feed.backfill, ctx.config.items.max_age, now
    )
    decision = decide(ctx, feed, fresh, now)
    record = PollRecord(feed.url, fetched.etag, fetched.last_modified, digest,
                        [i.item_id for i in items], decision.alerts, decision.joins,
                        ctx.config.dedup.max_edits)  # fmt: skip
    try:
        queued = ctx.store.record_poll(record, now)
    except BaseException:
        for chat, handle in decision.handles:  # nothing was written: forget them again
            ctx.window.discard(chat, handle)
        raise
    event(
        log,
        logging.INFO,
        "feed_polled",
        feed_url=feed.url,
        items=len(items),
        new_items=len(fresh),
        alerts=queued,
        joined=len(decision.joins) or None,
    )
    return PollResult(feed.url, "ok", items=len(items), new_items=len(fresh), alerts=queued)


def select_new(
    items: Sequence[FeedItem],
    seen: set[str],
    polled_before: bool,
    backfill: int,
    max_age: timedelta,
    now: datetime,
) -> list[FeedItem]:
    """Items that may alert, oldest first: unseen, young enough, and not a first sight."""
    unique = {i.item_id: i for i in reversed(items) if i.item_id not in seen}
    fresh = list(unique.values())  # feeds list newest first: reversed is oldest first
    fresh.sort(key=lambda i: i.published or datetime.min.replace(tzinfo=UTC))
    if not polled_before:
        fresh = fresh[len(fresh) - backfill :] if backfill else []
    if max_age > timedelta(0):
        fresh = [i for i in fresh if i.published is None or now - i.published <= max_age]
    return fresh


@dataclass(slots=True)
class Decision:
    """What one poll's new items earn: alerts, cluster joins, and window entries to undo."""

    alerts: list[tuple[Alert, StoryKey]] = field(default_factory=list)
    joins: list[ClusterJoin] = field(default_factory=list)
    handles: list[tuple[str, int]] = field(default_factory=list)


def decide(ctx: Context, feed: FeedConfig, items: Sequence[FeedItem], now: datetime) -> Decision:
    """Rules, then dedup per destination, then render (policies: ``rules``, ``window``)."""
    labels = frozenset([feed.display_name, *feed.tags])
    decision = Decision()
    for item in items:
        key = story_key(item.title, item.link, feed.url, item.item_id)

        matched: set[str] = set()
        for match in ctx.rules.match(item, labels):
            matched.add(match.chat)
            if not _retold(ctx, feed, item, key, match.chat, decision, alerted=True):
                alert = _alert(ctx, feed, match)
                decision.alerts.append((alert, key))
                entry = Entry(key, alert.key, now.timestamp(), feed.display_name)
                decision.handles.append((match.chat, ctx.window.add(match.chat, entry)))
        # A retelling that reaches no rule still joins the cluster of an alerted story.
        for chat in set(ctx.window.chats()) - matched:
            _retold(ctx, feed, item, key, chat, decision, alerted=False)
    return decision


def _retold(
    ctx: Context,
    feed: FeedConfig,
    item: FeedItem,
    key: StoryKey,
    chat: str,
    decision: Decision,
    *,
    alerted: bool,
) -> bool:
    """Whether ``item`` retells a story already alerted to ``chat``; if so it joins it."""
    found = ctx.window.find(chat, key)
    if found is None:
        return False
    entry, verdict = found
    if alerted:
        event(
            log,
            logging.INFO,
            "duplicate_suppressed",
            feed_url=feed.url,
            item_id=item.item_id,
            chat_id=chat,
            reason=verdict.reason,
            score=f"{verdict.score:.0f}",
            original=entry.key.title,
        )
    if entry.source != feed.display_name:
        decision.joins.append(
            ClusterJoin(entry.alert_key, feed.display_name, feed.url, item.item_id)
        )
    return True


def _alert(ctx: Context, feed: FeedConfig, match: Match) -> Alert:
    terms = tuple(h.matched for r in match.rules for h in r.hits if not h.matched.startswith("/"))
    item = match.item
    summary = summarize(item.title, item.content_html, ctx.config.message.summary_chars, terms)
    return render(match, summary, feed.display_name, ctx.style)


def _failed(
    ctx: Context, feed: FeedConfig, error: FetchError | ParseError, now: datetime
) -> PollResult:
    gone = isinstance(error, FeedGone)
    retry_after = error.retry_after if isinstance(error, FetchError) else None
    streak = ctx.store.feed_state(feed.url).error_streak + 1
    wait = backoff(ctx, feed, streak, retry_after)
    ctx.store.record_failure(
        feed.url, error.reason, None if gone else now + wait, gone=gone, now=now
    )
    name = "feed_gone" if gone else "feed_failed"
    event(
        log,
        logging.ERROR if gone else logging.WARNING,
        name,
        feed_url=feed.url,
        error=error.reason,
        error_streak=streak,
        retry_in=None if gone else str(wait),
    )
    return PollResult(feed.url, "gone" if gone else "failed", error=error.reason)
