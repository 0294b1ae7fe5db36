"""The Prometheus metrics of one bot: the one module that imports ``prometheus_client``.

Each ``Metrics`` has its own ``CollectorRegistry`` (never the library's global one), so two
bots in one process, or a test after another, count apart. Counters are fed by the events
(``alerts.observe``: a trip's ``PollResult``, a ``Delivery``); gauges that the store or the
config know are read when scraped, in the service's event loop (``alerts.monitor``), so they
are never stale. Labels take few, fixed values (a failure's kind, never its text; chats, which
the config names), so the series stay few whatever the feeds answer.

Counters: ``news_alerts_polls_total{result}``, ``news_alerts_poll_failures_total{reason}``,
``news_alerts_items_seen_total``, ``news_alerts_items_new_total``,
``news_alerts_alerts_queued_total``, ``news_alerts_alerts_sent_total``,
``news_alerts_alerts_failed_total``, ``news_alerts_alerts_muted_total``,
``news_alerts_send_retries_total``, ``news_alerts_telegram_429_total``,
``news_alerts_dedup_verdicts_total{stage,reason}``; histogram
``news_alerts_fetch_duration_seconds``; gauges ``news_alerts_outbox_pending{chat}``,
``news_alerts_outbox_oldest_pending_age_seconds``, ``news_alerts_feeds_configured``,
``news_alerts_feeds_failing``, ``news_alerts_feeds_gone``,
``news_alerts_poll_cycle_age_seconds``; and the library's ``process_*`` (CPU seconds, resident
memory, open files, start time).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest

from alerts.config import Config
from alerts.dedup.candidates import STAGES
from alerts.health import Pulse
from alerts.models import PollResult, TripStatus
from alerts.observe import FAILURE_KINDS, Delivery
from alerts.store import StoreType
from alerts.target import bare_chat

CONTENT_TYPE = CONTENT_TYPE_LATEST
# A trip's status as the result counted: a 304 and the same body are both "unchanged".
RESULTS: dict[TripStatus, str] = {"ok": "changed", "not_modified": "unchanged",
                                  "unchanged": "unchanged", "failed": "failed", "gone": "gone",
                                  "backoff": "skipped", "error": "error"}  # fmt: skip
# Seconds; a fetch's timeout is 20 s by default (polling.timeout), a conditional GET some 50 ms.
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
PREFIX = "news_alerts"
# A feed's health after a trip; a turn skipped in backoff, or a write that failed, keeps it.
FEED_HEALTH: dict[TripStatus, str] = {"ok": "ok", "not_modified": "ok", "unchanged": "ok",
                                      "failed": "failing", "gone": "gone"}  # fmt: skip
_STAGES: dict[str, str] = {
    str(k): v for k, v in STAGES.items()
}  # a dedup reason's stage: identity, title, content, meaning


def _health(error_streak: int, gone: bool) -> str:
    return "gone" if gone else "failing" if error_streak else "ok"


def _label(reason: str) -> str:
    """A dedup reason as a label value: "same link" -> "same_link"."""
    return reason.replace(" ", "_")


class Metrics:
    """The counters an ``Observer`` feeds, and the gauges read at scrape time."""

    def __init__(self, pulse: Pulse) -> None:
        self.registry = CollectorRegistry()
        # process_*: CPU, memory, open files, start time; read from /proc by the listener's
        # thread (``process``), not the event loop: some 5 ms a scrape on a loaded machine.
        self.process = CollectorRegistry()
        ProcessCollector(registry=self.process)
        self.pulse = pulse
        self.feed_health: dict[str, str] = {}  # url: ok, failing or gone, as of its last trip
        self.polls = self._counter("polls", "Feed trips, by result", ["result"])
        self.failures = self._counter("poll_failures", "Failed trips, by reason", ["reason"])
        self.fetch = Histogram(f"{PREFIX}_fetch_duration_seconds",
                               "Seconds one feed took to fetch and parse, failures included",
                               buckets=FETCH_BUCKETS, registry=self.registry)  # fmt: skip
        self.items = self._counter("items_seen", "Items read in fetched feed bodies")
        self.new_items = self._counter("items_new", "Items never seen before in their feed")
        self.queued = self._counter("alerts_queued", "Alerts queued in the outbox")
        self.sent = self._counter("alerts_sent", "Alerts Telegram took")
        self.failed = self._counter("alerts_failed", "Alerts Telegram refused for good")
        self.muted_alerts = self._counter("alerts_muted", "Matches recorded as muted, not sent")
        self.retries = self._counter("send_retries", "Telegram calls failed for now, retried")
        self.limited = self._counter("telegram_429", "429 Too Many Requests from Telegram")
        retold = "Matched items found to retell an alerted story, by dedup stage"
        self.verdicts = self._counter("dedup_verdicts", retold, ["stage", "reason"])
        for result in sorted(set(RESULTS.values())):
            self.polls.labels(result)
        for kind in (*FAILURE_KINDS, "gone"):
            self.failures.labels(kind)
        for reason, stage in STAGES.items():
            self.verdicts.labels(stage, _label(reason))

    def _counter(self, name: str, doc: str, labels: tuple[str, ...] | list[str] = ()) -> Counter:
        return Counter(f"{PREFIX}_{name}", doc, labels, registry=self.registry)

    def polled(self, result: PollResult) -> None:
        """Count one trip."""
        self.polls.labels(RESULTS[result.status]).inc()
        if result.status in FEED_HEALTH:
            self.feed_health[result.feed_url] = FEED_HEALTH[result.status]
        if result.failure is not None:
            self.failures.labels("gone" if result.status == "gone" else result.failure).inc()
        if result.seconds is not None:
            self.fetch.observe(result.seconds)
        self.items.inc(result.items)
        self.new_items.inc(result.new_items)
        self.queued.inc(result.alerts)
        self.muted_alerts.inc(result.muted)
        for reason in result.duplicates:
            self.verdicts.labels(_STAGES.get(reason, "other"), _label(reason)).inc()

    def delivered(self, delivery: Delivery) -> None:
        """Count one outcome of the courier."""
        if delivery.outcome == "sent":
            self.sent.inc()
        elif delivery.outcome == "failed":
            self.failed.inc()
        else:
            self.retries.inc()
            if delivery.retry_after is not None:  # only Telegram's 429 carries one
                self.limited.inc()

    def watch(self, config: Callable[[], Config], store: StoreType) -> None:
        """Read the gauges from the current config and the store at each scrape; each feed's
        health starts as stored, and follows its trips (reading every feed's state at each
        scrape cost 29 ms of the loop at 1,000 feeds)."""
        for state in store.feed_states():
            self.feed_health.setdefault(state.url, _health(state.error_streak, state.gone))
        self.registry.register(_Scraped(self, config, store))

    def exposition(self) -> bytes:
        """The text format of the bot's metrics (in the event loop: it reads the store)."""
        return generate_latest(self.registry)

    def process_exposition(self) -> bytes:
        """The text format of the process's metrics (thread-safe: it reads /proc alone)."""
        return generate_latest(self.process)


class _Scraped:
    """The gauges read at scrape time (a prometheus_client custom collector)."""

    def __init__(self, metrics: Metrics, config: Callable[[], Config], store: StoreType) -> None:
        self.metrics, self.config, self.store = metrics, config, store

    def describe(self) -> list[Metric]:
        """The families, without reading anything (so registering reads nothing)."""
        return list(_families())

    def collect(self) -> Iterator[Metric]:
        """Every gauge, read now."""
        pending, oldest, feeds, failing, gone, age = _families()
        config = self.config()
        depth = self.store.outbox_depth()
        # The outbox counts by chat (a forum topic shares its group's queue and pace).
        chats = {bare_chat(c) for c in (config.chat_of(r) for r in config.rules) if c} | set(depth)
        for chat in sorted(chats):  # a configured chat with nothing waiting shows 0
            pending.add_metric([chat], depth.get(chat, (0, None))[0])
        first = min((at.timestamp() for _, at in depth.values()), default=None)
        oldest.add_metric([], 0.0 if first is None else max(0.0, time.time() - first))
        urls = {f.url for f in config.feeds}
        health = [self.metrics.feed_health.get(url, "ok") for url in urls]
        feeds.add_metric([], len(urls))
        failing.add_metric([], health.count("failing"))
        gone.add_metric([], health.count("gone"))
        age.add_metric([], self.metrics.pulse.cycle_age(config))
        yield from (pending, oldest, feeds, failing, gone, age)


def _families() -> tuple[GaugeMetricFamily, ...]:
    def gauge(name: str, doc: str, labels: list[str] | None = None) -> GaugeMetricFamily:
        return GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=labels)

    return (
        gauge("outbox_pending", "Alerts and notices waiting in the outbox, per chat", ["chat"]),
        gauge("outbox_oldest_pending_age_seconds", "Age of the oldest pending alert (0: none)"),
        gauge("feeds_configured", "Feeds in the config"),
        gauge("feeds_failing", "Configured feeds whose last trip failed (gone ones apart)"),
        gauge("feeds_gone", "Configured feeds that answered 410 Gone: no longer polled"),
        gauge(
            "poll_cycle_age_seconds",
            "Seconds since the least recently polled feed's "
            "last trip: the age of the last complete poll cycle",
        ),
    )
