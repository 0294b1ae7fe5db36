"""One trip of one feed: read once, fetch and parse, decide, write once; failures isolated.

    read (feed state and seen ids) ──> fetch ──> parse ──> article text for new stubs
        ──> decide (pure: rules, dedup, render, backoff, health, notices) ──> one intent
        ──> one store transaction ──> the window takes the committed stories

A conditional GET that answers 304, or a body whose hash is the one stored, skips the parse.
Whatever the outcome (changed, unchanged, failing, recovered), a trip costs one read and one
write transaction, so a crash leaves all of a trip or none of it (an item is never marked seen
without its alert queued). Deciding, writing and adding to the window run without an
``await`` in between: concurrent trips in this process take turns there, so each decides
against every story committed before it. Nothing here raises for one feed's fault; the
policies are stated in ``alerts.decide``. What every trip needs is ``alerts.context.Context``
(importable from here too).

Any exception while fetching, parsing, getting articles or deciding for one feed is that
feed's failure: counted and backed off like an HTTP 500 (``decide`` policy), and logged
CRITICAL with its traceback once, when it first appears in a failure streak, not on every
poll. Only a trip that cannot write its outcome (``StoreError``) stays an "error".
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from alerts.config import FeedConfig
from alerts.context import Context as Context
from alerts.context import compile_rules as compile_rules
from alerts.context import open_memo as open_memo
from alerts.context import semantic_off as semantic_off
from alerts.decide import Decision, Trip, decide, waiting
from alerts.dedup.window import Entry
from alerts.errors import AlertsError, FetchError, ParseError, TripError
from alerts.feeds.article import MAX_ARTICLES_PER_POLL, fetch_article, is_stub
from alerts.logs import event
from alerts.models import FeedForUpdate, FeedItem, FeedState, PollResult
from alerts.observe import failure_kind
from alerts.select import select

log = logging.getLogger("alerts.pipeline")


async def poll_feed(
    ctx: Context, feed: FeedConfig, now: datetime | None = None, *, backoff: bool = False
) -> PollResult:
    """Poll one feed and queue its alerts; every expected failure becomes a PollResult. With
    ``backoff``, a feed whose ``next_poll`` (after failures) is still ahead skips its turn."""
    trip = await fetch_and_parse(ctx, feed, now, backoff=backoff)
    return record(ctx, trip) if isinstance(trip, Trip) else trip


async def fetch_and_parse(
    ctx: Context, feed: FeedConfig, now: datetime | None = None, *, backoff: bool = False
) -> Trip | PollResult:
    """The reading half of a trip: its one read, then fetch and parse; a Trip to record, or
    the PollResult of a trip with nothing to write (gone, in backoff, or our own fault)."""
    now = now or datetime.now(UTC)
    started = time.monotonic()
    step = await _guarded(feed, _fetch_and_parse(ctx, feed, now, backoff))
    if isinstance(step, Trip):
        return replace(step, seconds=time.monotonic() - started)
    ctx.observer.polled(step)
    return step


def record(ctx: Context, trip: Trip) -> PollResult:
    """The deciding half of a trip: decide, write once, then let the window see the stories."""
    result = _guarded_sync(trip.feed, lambda: _record(ctx, trip))
    ctx.observer.polled(result)
    return result


async def _fetch_and_parse(
    ctx: Context, feed: FeedConfig, now: datetime, backoff: bool
) -> Trip | PollResult:
    read = ctx.store.feed_for_update(feed.url)
    if read.state.gone:
        return PollResult(feed.url, "gone")
    if backoff and waiting(read.state, now, ctx.config.polling.backoff_max):
        return PollResult(feed.url, "backoff")
    try:
        return await _fetched(ctx, feed, read, now)
    except (FetchError, ParseError) as e:
        return Trip(feed, read, now, error=e)
    except Exception as e:  # a bug: this feed fails alone, counted, and backs off
        return Trip(feed, read, now, error=_unexpected(feed, read.state, e))


async def _fetched(ctx: Context, feed: FeedConfig, read: FeedForUpdate, now: datetime) -> Trip:
    auth = feed.auth.basic if feed.auth is not None else None
    fetched = await ctx.fetcher.fetch(feed.url, read.state.etag, read.state.last_modified, auth)
    if fetched is None:
        return Trip(feed, read, now)
    digest = hashlib.sha256(fetched.body).hexdigest()
    if digest == read.state.content_hash:
        return Trip(feed, read, now, fetched, digest)
    items = await ctx.parser.parse(fetched, feed.display_name)
    chosen = select(items, read, feed.backfill, ctx.config.items.max_age, now)
    fresh = list(chosen.fresh)
    if feed.fetch_article:
        items, fresh = await _with_articles(ctx, items, fresh)
    return Trip(feed, read, now, fetched, digest, tuple(items), tuple(fresh),
                skipped=chosen.skipped)  # fmt: skip


def _unexpected(feed: FeedConfig, before: FeedState, error: Exception) -> TripError:
    """An unexpected exception as the feed's failure; its traceback is logged when it is new
    to the streak (the feed's last error was another), so a lasting bug logs it once."""
    failure = TripError(feed.url, f"unexpected {type(error).__name__}: {error}")
    if not (before.last_error or "").startswith(f"unexpected {type(error).__name__}:"):
        event(log, logging.CRITICAL, "poll_crashed", feed_url=feed.url, error=failure.reason,
              exc_info=error)  # fmt: skip
    return failure


async def _with_articles(
    ctx: Context, items: list[FeedItem], fresh: list[FeedItem]
) -> tuple[list[FeedItem], list[FeedItem]]:
    """New stub items get their article's text (``alerts.feeds.article``), fetched concurrently."""
    stubs = [i for i in fresh if is_stub(i)][-MAX_ARTICLES_PER_POLL:]
    if not stubs:
        return items, fresh
    full = await asyncio.gather(*(fetch_article(ctx.fetcher, i) for i in stubs))
    better = {i.item_id: f for i, f in zip(stubs, full, strict=True)}
    return [better.get(i.item_id, i) for i in items], [better.get(i.item_id, i) for i in fresh]


def _record(ctx: Context, trip: Trip) -> PollResult:
    """Decide, write and remember; no await here, so concurrent trips cannot interleave (nor,
    with workers, trips of other workers alerting to the same chat: ``Cluster.record``)."""
    if ctx.cluster is None:
        decision = _decided(ctx, trip)
        queued = ctx.store.update_feed(decision.intent, trip.now)
    else:
        decision, queued = ctx.cluster.record(ctx.window, lambda: _decided(ctx, trip), trip.now)
    intent = decision.intent
    _remember(ctx, decision, queued)
    unsaid = ctx.memo.unsaid_failure() if ctx.memo is not None else None
    if unsaid is not None:
        semantic_off(unsaid)  # the model failed on first use: said once
    _log(trip, decision, len(queued))
    error = intent.error if intent.status in ("failed", "gone") else None  # not a note
    return PollResult(trip.feed.url, intent.status, items=decision.items,
                      new_items=decision.new_items, alerts=len(queued), error=error,
                      health=decision.health, seconds=trip.seconds,
                      failure=None if trip.error is None else failure_kind(trip.error),
                      duplicates=tuple(s.reason for s in decision.suppressed),
                      muted=len(intent.held))  # fmt: skip


def _decided(ctx: Context, trip: Trip) -> Decision:
    try:
        return decide(ctx.policy, trip)
    except Exception as e:  # a bug deciding this feed: its failure, written and backed off
        failure = _unexpected(trip.feed, trip.read.state, e)
        return decide(ctx.policy, replace(trip, error=failure))


def _remember(ctx: Context, decision: Decision, queued: frozenset[str]) -> None:
    """After the commit: the window takes the new stories, and the vectors computed for its
    stories that had none; the new stories without a title vector go to the worker."""
    added = [(e.chat, Entry(e.key, e.alert_key, e.at, e.source, e.title_vec, e.lead_vec))
             for e in decision.intent.window if e.alert_key in queued]  # fmt: skip
    for chat, entry in added:
        ctx.window.add(chat, entry)
    if ctx.backfill is not None and ctx.memo is not None and added:
        ctx.backfill.submit(ctx.memo, (entry for _, entry in added))
    for entry, vectors in decision.vectored:
        entry.title_vec = entry.title_vec or vectors.title_vec
        entry.lead_vec = entry.lead_vec or vectors.lead_vec


def _log(trip: Trip, decision: Decision, queued: int) -> None:
    url, intent = trip.feed.url, decision.intent
    for s in decision.suppressed:
        event(log, logging.INFO, "duplicate_suppressed", feed_url=url, item_id=s.item_id,
              chat_id=s.chat, reason=s.reason, score=f"{s.score:.0f}",
              cosine=None if s.cosine is None else f"{s.cosine:.3f}",
              original=s.original)  # fmt: skip
    if intent.status == "ok":
        skipped = trip.skipped  # unseen items that may not alert, by reason (``alerts.select``)
        event(log, logging.INFO, "feed_polled", feed_url=url, items=decision.items,
              new_items=decision.new_items, alerts=queued, joined=len(intent.joins) or None,
              muted=len(intent.held) or None,
              skipped_too_old=skipped.too_old or None,
              skipped_first_sight=skipped.first_sight or None)  # fmt: skip
    elif intent.status in ("not_modified", "unchanged"):
        event(log, logging.DEBUG, "feed_not_modified", feed_url=url, status=intent.status)
    else:
        gone = intent.status == "gone"
        wait = None if intent.next_poll is None else intent.next_poll - trip.now
        event(log, logging.ERROR if gone else logging.WARNING,
              "feed_gone" if gone else "feed_failed", feed_url=url, error=intent.error,
              error_streak=intent.error_streak, retry_in=None if gone else str(wait))  # fmt: skip


async def _guarded(feed: FeedConfig, work: Awaitable[Trip | PollResult]) -> Trip | PollResult:
    try:
        return await work
    except Exception as e:
        return _crashed(feed, e)


def _guarded_sync(feed: FeedConfig, work: Callable[[], PollResult]) -> PollResult:
    try:
        return work()
    except Exception as e:
        return _crashed(feed, e)


def _crashed(feed: FeedConfig, error: Exception) -> PollResult:
    """Our own fault (the store, or a bug writing) in one trip: logged, and the other feeds go
    on; nothing was written, so it is not counted."""
    if isinstance(error, AlertsError):
        event(log, logging.ERROR, "poll_failed", feed_url=feed.url, error=str(error))
        return PollResult(feed.url, "error", error=str(error))
    # A bug outside the feed's own work (writing its outcome): say it loudly.
    event(log, logging.CRITICAL, "poll_crashed", feed_url=feed.url, error=repr(error),
          exc_info=error)  # fmt: skip
    return PollResult(feed.url, "error", error=repr(error))
