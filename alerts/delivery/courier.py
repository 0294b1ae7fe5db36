from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from alerts.delivery.destination import Destination
from alerts.delivery.gate import ALONE, Gate
from alerts.errors import InDoubtError, InvalidTokenError, NotifyError, StoreError
from alerts.logs import event
from alerts.message.notices import refused_notices
from alerts.message.render import with_sources
from alerts.models import OutboxEntry
from alerts.observe import QUIET, Delivery, Observer
from alerts.store import NOTICE_RULE, PAUSED_KEY, StoreType
from alerts.target import bare_chat

log = logging.getLogger("alerts.delivery.courier")

BACKOFF_START = 1.0
BACKOFF_MAX = 300.0
IN_DOUBT_PAUSE = 30.0  # seconds before the one retry of a send in doubt (Telegram under load)
MAX_DOUBTS = 2  # sends in doubt an alert may have: the first and its one retry
GIVEN_UP = "no readable answer twice: it may have been posted; check the chat before /redrive"
PACE_MARGIN = 0.05  # seconds added to a pace wait: Telegram counts from its own clock
# Specs: https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
GROUP_PACE = (20, 60.0)  # messages per seconds, to one group or channel
PRIVATE_PACE = (1, 1.0)  # to one private chat


def pace_of(chat: str) -> tuple[int, float]:
    """The limit for a chat: groups and channels (@name, negative ids) or a private chat."""
    return PRIVATE_PACE if chat.isdigit() else GROUP_PACE


def pace_wait(sends: list[float], now: float, pace: tuple[int, float]) -> float:
    """Seconds until one more message keeps ``pace`` (0: at once), given the send times of
    the chat; a time after ``now`` counts as ``now``, so it never holds longer than a window."""
    count, period = pace
    recent = sorted(min(t, now) for t in sends if t > now - period)
    if len(recent) < count:
        return 0.0
    return recent[-count] + period - now + PACE_MARGIN


def backoff_delay(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff for the n-th consecutive failure (1-based)."""
    ceiling: float = min(BACKOFF_MAX, BACKOFF_START * 2.0 ** max(0, min(attempt, 64) - 1))
    return max(0.1, ceiling * float(rng()))


class DeadlineReached(Exception):
    """The courier gave up for now (a deadline, or the chat is another worker's); alerts stay
    pending."""


class _Moved(Exception):
    def __init__(self, new_chat: str) -> None:
        self.new_chat = new_chat


class Courier:
    """Delivers pending alerts (and edits) from the store through one destination."""

    def __init__(self, store: StoreType, destination: Destination, admins: list[int] | None = None,
                 observer: Observer = QUIET) -> None:  # fmt: skip
        self.store = store
        self.destination = destination
        self.admins = admins or []
        self.observer = observer  # told of each send's outcome (``alerts.observe``)
        self.delivered = 0
        self._stopping = asyncio.Event()
        # One request in flight at a time, across chats: a crash can then repeat at most one
        # message. Chats still wait on their own pace and backoff independently.
        self._in_flight = asyncio.Lock()
        self._chats: dict[str, asyncio.Lock] = {}  # one drainer per chat, whoever calls
        self._started = False
        self.gate: Gate = ALONE  # who may drain which chat (workers: a lock per chat)

    async def drain(self, deadline: float | None = None) -> bool:
        """Deliver everything pending; False when the deadline (monotonic) left some behind."""
        while True:  # notices queued while draining, and alerts of a migrated chat, too
            chats = list(dict.fromkeys([*self.store.pending_chats(), *self.store.edit_chats()]))
            if not chats or self.paused() or self._stopping.is_set():
                return not chats or self.paused()
            results = await asyncio.gather(
                *(self.drain_chat(c, deadline=deadline) for c in chats), return_exceptions=True
            )
            for result in results:
                if isinstance(result, StoreError):  # e.g. a full disk: pending stays pending
                    event(log, logging.ERROR, "delivery_store_failed", error=str(result))
                elif isinstance(result, BaseException) and not isinstance(result, DeadlineReached):
                    raise result
            if any(isinstance(r, DeadlineReached | StoreError) for r in results):
                return False

    async def drain_chat(
        self, chat: str, *, deadline: float | None = None, stopping: asyncio.Event | None = None
    ) -> None:
        """Deliver one chat's pending alerts in order, then its edits; stop on ``stopping``.
        Waits while another task drains the chat; follows the chat if it migrates."""
        self._stopping = stopping or self._stopping
        self._start()
        current: str | None = chat
        while current is not None:
            async with self._chats.setdefault(current, asyncio.Lock()):
                if not self.gate.take(current):  # another worker drains it: no retry now,
                    raise DeadlineReached(current)  # the next wake asks again
                try:
                    current = await self._drain_one(taken := current, deadline)
                finally:
                    self.gate.give(taken)

    def paused(self) -> bool:
        """Posting paused by an operator (/pause): alerts wait in the outbox."""
        return self.store.get_meta(PAUSED_KEY) is not None

    def _start(self) -> None:
        """Once per courier, before its first send: what a killed bot left unanswered counts
        against the pace (it may have been posted)."""
        if not self._started:
            self._started = True
            if unanswered := self.store.log_unanswered(datetime.now(UTC)):
                event(log, logging.INFO, "unanswered_sends_counted", sends=unanswered)

    async def _drain_one(self, chat: str, deadline: float | None) -> str | None:
        """Drain ``chat`` (its lock held); the chat its alerts moved to, if they did."""
        while entries := self.store.pending(chat, limit=50):
            for entry in entries:
                if self._stopping.is_set() or self.paused():
                    return None
                try:
                    await self._deliver(entry, deadline)
                except _Moved as moved:
                    return moved.new_chat
        for entry in self.store.pending_edits(chat):
            if self._stopping.is_set():
                return None
            try:
                await self._edit(entry, deadline)
            except _Moved as moved:  # the old message stays in the old group: no edit there
                self.store.mark_edited(entry.id, counted=False)
                return moved.new_chat
        return None

    async def _deliver(self, entry: OutboxEntry, deadline: float | None) -> None:
        alert = replace(entry.alert, text=with_sources(entry.alert.text, entry.sources))
        try:
            result = await self._attempt(
                entry, deadline, lambda: self.destination.send(alert), intent=True
            )
        except NotifyError as e:
            self.store.mark_failed(entry.id, e.reason)
            self.observer.delivered(Delivery(alert.chat, "failed"))
            event(
                log,
                logging.ERROR,
                "alert_failed",
                chat_id=alert.chat,
                alert=entry.id,
                error=e.reason,
            )
            if alert.rule != NOTICE_RULE:  # a refused notice is not worth another notice
                for notice in refused_notices(self.admins, alert.chat, e.reason):
                    self.store.queue_notice(notice, datetime.now(UTC))
            return
        if result is _STOPPED:
            return
        message_id = result if isinstance(result, int) else None
        self.store.mark_sent(entry.id, message_id, datetime.now(UTC))
        self.delivered += 1
        self.observer.delivered(Delivery(alert.chat, "sent"))
        event(
            log,
            logging.INFO,
            "alert_sent",
            chat_id=alert.chat,
            alert=entry.id,
            message_id=message_id,
        )

    async def _edit(self, entry: OutboxEntry, deadline: float | None) -> None:
        text = with_sources(entry.alert.text, entry.sources)
        message_id = entry.message_id
        if message_id is None:
            self.store.mark_edited(entry.id, counted=False)
            return
        try:
            result = await self._attempt(
                entry, deadline, lambda: self.destination.edit(entry.alert, message_id, text)
            )
        except NotifyError as e:
            self.store.mark_edited(entry.id, counted=False)
            event(
                log,
                logging.WARNING,
                "edit_failed",
                chat_id=entry.alert.chat,
                alert=entry.id,
                error=e.reason,
            )
            return
        if result is not _STOPPED:
            self.store.mark_edited(entry.id)
            event(
                log,
                logging.INFO,
                "alert_edited",
                chat_id=entry.alert.chat,
                alert=entry.id,
                sources=", ".join(entry.sources),
            )

    async def _attempt(
        self,
        entry: OutboxEntry,
        deadline: float | None,
        call: Callable[[], Awaitable[object]],
        *,
        intent: bool = False,
    ) -> object:
        """Call until it succeeds; raise the NotifyError of a permanent refusal (or of a send
        in doubt once too often)."""
        failures = 0
        while True:
            if not await self._pace(bare_chat(entry.alert.chat), deadline):  # topics share it
                return _STOPPED
            try:
                async with self._in_flight:
                    if intent:
                        self.store.mark_sending(entry.id, datetime.now(UTC))
                    return await call()
            except NotifyError as e:
                if isinstance(e, InvalidTokenError) or e.permanent:
                    raise
                if e.new_chat:
                    raise self._moved(entry, e.new_chat) from e
                failures += 1
                self.observer.delivered(Delivery(entry.alert.chat, "retry", e.retry_after))
                wait = self._retry_wait(entry, e, failures, intent)
                event(log, logging.WARNING, "send_retry", chat_id=entry.alert.chat,
                      alert=entry.id, error=e.reason, wait=f"{wait:.1f}s")  # fmt: skip
                if deadline is not None and time.monotonic() + wait > deadline:
                    raise DeadlineReached(entry.alert.chat) from e
                await self._pause(wait)
                if self._stopping.is_set():
                    return _STOPPED

    def _retry_wait(self, entry: OutboxEntry, e: NotifyError, failures: int, send: bool) -> float:
        """Record a transient failure; how long to wait before the next try."""
        if not (send and isinstance(e, InDoubtError)):
            self.store.mark_attempt(entry.id, e.reason)
            return e.retry_after or backoff_delay(failures)
        doubts = self.store.mark_doubt(entry.id, e.reason, datetime.now(UTC))
        event(log, logging.WARNING, "alert_in_doubt", chat_id=entry.alert.chat, alert=entry.id,
              error=e.reason, sends_in_doubt=doubts)  # fmt: skip
        if doubts >= MAX_DOUBTS:
            raise NotifyError(entry.alert.chat, GIVEN_UP, permanent=True) from e
        return IN_DOUBT_PAUSE

    def _moved(self, entry: OutboxEntry, new_chat: str) -> _Moved:
        """A migrated group: its pending alerts follow it to the new chat id."""
        self.store.move_chat(bare_chat(entry.alert.chat), new_chat)
        event(log, logging.WARNING, "chat_migrated", chat_id=entry.alert.chat,
              new_chat_id=new_chat)  # fmt: skip
        return _Moved(new_chat)

    async def _pace(self, chat: str, deadline: float | None) -> bool:
        """Wait until one more message to ``chat`` keeps the pace; False if stopping."""
        pace = pace_of(chat)
        while not self._stopping.is_set():
            now = time.time()
            sends = self.store.recent_sends(chat, datetime.fromtimestamp(now - pace[1], UTC))
            if sends and sends[-1] > now:  # from the future: pulled back once, for good
                self.store.pull_back_sends(datetime.fromtimestamp(now, UTC))
            wait = pace_wait(sends, now, pace)
            if not wait:
                return True
            if deadline is not None and time.monotonic() + wait > deadline:
                raise DeadlineReached(chat)
            event(log, logging.DEBUG, "pacing", chat_id=chat, wait=f"{wait:.1f}s")
            await self._pause(wait)
        return False

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when the bot is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


_STOPPED = object()  # the bot stopped while waiting to retry: nothing was sent
