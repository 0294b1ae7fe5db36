"""``/healthz``: whether the service is doing its work, and if not, why.

200 ("ok") unless one of these rules holds; then 503, with one line per rule that holds:

- **Polls stalled.** A feed has had no trip (any outcome the bot wrote: new items, none,
  a failure, a turn skipped in backoff, gone) for ``POLL_CYCLES`` (3) of its poll cycles since
  its last trip, or since the service started. A cycle is the feed's interval plus
  ``polling.jitter`` plus ``polling.timeout`` (a trip may take a whole fetch timeout): one late
  or slow cycle (a coalesced APScheduler run, a server at its timeout) is not a stall; three
  in a row are. A failing feed is not a stall: it is polled, and fails (a metric counts it).
- **Deliveries stalled.** Alerts are pending and the courier has ended none (sent, or refused
  for good) for ``DELIVERY_STALL`` (15 minutes), counted from the latest of: the last one it
  ended, the time the oldest pending alert was queued, the service's start, and the end of
  Telegram's last 429 wait. 15 minutes is three times the courier's longest backoff between
  retries (``courier.BACKOFF_MAX``, 300 s): three retries at the longest wait, none through.
  While posting is paused (``/pause``) nothing is expected to be sent.
- **Store not writable.** Each check writes a kept value (``HEALTH_KEY``) in one transaction;
  a ``StoreError`` (a full disk, a locked database, a read-only file) is the reason.
- **Event loop blocked.** The check runs in the service's event loop (``alerts.monitor``); no
  answer within ``monitor.LOOP_ANSWER`` seconds means nothing is being polled or sent either.

The rules are a pure function of ``Facts`` (``judge``); ``Pulse`` keeps what the events told
(``alerts.observe``) and ``facts`` reads the rest from the store and the config.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from alerts.config import Config, FeedConfig
from alerts.errors import StoreError
from alerts.models import PollResult
from alerts.observe import Delivery
from alerts.store import PAUSED_KEY, StoreType

POLL_CYCLES = 3
DELIVERY_STALL = 900.0  # seconds: 3 x courier.BACKOFF_MAX
HEALTH_KEY = "health_probe"  # the kept value each check writes: the store takes writes


@dataclass(frozen=True, slots=True)
class FeedPolls:
    """One feed: when its last trip ended (None: none since the start), and the seconds
    allowed between trips before its polls count as stalled."""

    url: str
    last: float | None
    allowed: float


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules judge, at ``now`` (UNIX seconds, as every time here)."""

    now: float
    started: float
    feeds: tuple[FeedPolls, ...] = ()
    pending_since: float | None = None  # the oldest pending alert's queueing; None: none
    last_delivery: float | None = None
    calm_after: float = 0.0  # the end of Telegram's last 429 wait
    paused: bool = False
    store_error: str | None = None


@dataclass(frozen=True, slots=True)
class Health:
    """The verdict: healthy when no reason holds."""

    reasons: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether /healthz answers 200."""
        return not self.reasons

    @property
    def body(self) -> str:
        """The answer's text: "ok", or one reason a line."""
        return "ok\n" if self.ok else "".join(f"{r}\n" for r in self.reasons)


def judge(facts: Facts) -> Health:
    """The health rules (the module's docstring) applied to ``facts``."""
    reasons = [r for r in (_polls(facts), _deliveries(facts)) if r]
    if facts.store_error is not None:
        reasons.append(f"store not writable: {facts.store_error}")
    return Health(tuple(reasons))


def _polls(facts: Facts) -> str | None:
    late = [f for f in facts.feeds if facts.now - (f.last or facts.started) > f.allowed]
    if not late:
        return None
    oldest = max(late, key=lambda f: facts.now - (f.last or facts.started))
    age = facts.now - (oldest.last or facts.started)
    return (f"polls stalled: {len(late)} of {len(facts.feeds)} feed(s) without a trip for "
            f"{POLL_CYCLES} cycles; {oldest.url} for {age:.0f}s")  # fmt: skip


def _deliveries(facts: Facts) -> str | None:
    if facts.pending_since is None or facts.paused:
        return None
    since = max(facts.last_delivery or 0.0, facts.pending_since, facts.started, facts.calm_after)
    idle = facts.now - since
    if idle <= DELIVERY_STALL:
        return None
    return (f"deliveries stalled: alerts pending and none sent or refused for {idle:.0f}s "
            "while Telegram is not rate-limiting")  # fmt: skip


class Pulse:
    """What the events told: each feed's last trip, the courier's last ended delivery, the end
    of the last 429 wait (an ``Observer``)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.started = clock()
        self.last_trip: dict[str, float] = {}
        self.last_delivery: float | None = None
        self.calm_after = 0.0

    def polled(self, result: PollResult) -> None:
        """A trip that wrote its outcome (not one whose write failed: "error") counts."""
        if result.status != "error":
            self.last_trip[result.feed_url] = self.clock()

    def delivered(self, delivery: Delivery) -> None:
        """A send that ended, or Telegram's wait."""
        now = self.clock()
        if delivery.outcome != "retry":
            self.last_delivery = now
        elif delivery.retry_after:
            self.calm_after = max(self.calm_after, now + delivery.retry_after)

    def muted(self, chat: str, count: int = 1) -> None:
        """Not a health matter."""

    def cycle_age(self, config: Config) -> float:
        """Seconds since the least recently polled feed's last trip (or the start): every
        feed has been polled within it, the age of the last complete poll cycle."""
        lasts = [self.last_trip.get(f.url, self.started) for f in config.feeds]
        return self.clock() - min(lasts, default=self.clock())


Interval = Callable[[FeedConfig], float]  # a feed's poll interval, in seconds


def facts(pulse: Pulse, config: Config, store: StoreType, interval: Interval) -> Facts:
    """The facts now; writes the store's probe value (the store rule)."""
    slack = (config.polling.jitter + config.polling.timeout).total_seconds()
    feeds = tuple(FeedPolls(f.url, pulse.last_trip.get(f.url), POLL_CYCLES * (interval(f) + slack))
                  for f in config.feeds)  # fmt: skip
    now = pulse.clock()
    try:
        store.set_meta(HEALTH_KEY, str(now))
        oldest = min((at for _, at in store.outbox_depth().values()), default=None)
        paused = store.get_meta(PAUSED_KEY) is not None
    except StoreError as e:
        return Facts(now, pulse.started, feeds, store_error=e.reason)
    return Facts(now, pulse.started, feeds, None if oldest is None else oldest.timestamp(),
                 pulse.last_delivery, pulse.calm_after, paused)  # fmt: skip


def check(pulse: Pulse, config: Config, store: StoreType, interval: Interval) -> Health:
    """The health of the service now."""
    return judge(facts(pulse, config, store, interval))
