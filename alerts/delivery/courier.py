"""Drains the outbox: every pending alert reaches its chat once, in order of discovery.

Policy (error table in ``shared/telegram-notes.md``):

- Each chat is drained by its own task, oldest alert first; a chat waits on its own failures
  and never blocks another chat. After its alerts, a chat's pending edits are made: a sent
  alert whose story was later carried by other sources gets its message edited to list them
  ("Also: Reuters, Yonhap"), at most ``dedup.max_edits`` times per message.
- 429: wait ``retry_after`` and retry. Timeouts, 5xx and network errors: retry with exponential
  backoff and full jitter (1 s doubling to 5 min), without limit; the alert stays pending.
- A migrated group: its alerts move to the new chat id and are resent.
- Permanent refusals (403, 400): the alert is marked failed with the reason and kept for a
  re-drive; the chat's next alert is tried. A refused edit is dropped (the alert stays sent).
- Pace: at most 20 messages a minute to a group or channel and one a second to a private
  chat, counted over a sliding window of the send times stored in the database (sends and
  edits), so a restarted bot keeps the pace; PTB's ``AIORateLimiter`` (30 a second overall)
  stays as the in-process guard. Waiting out the pace is not a failure, but ``run --once``
  stops waiting at its deadline.
- Idempotency: an alert's key (story, destination) is unique in the outbox, so it is queued
  once. Its send intent is written just before the call and its result the moment the call
  returns; an alert is marked sent only after Telegram returned its message id. A crash between
  Telegram's answer and that commit is the one window that can duplicate a message (the Bot
  API has no idempotency key); on restart such alerts are logged as ``alert_in_doubt`` and sent
  again. Requests are made one at a time (across chats too), so a crash repeats at most one
  message; at Telegram's pace of 20 a minute per channel this costs nothing in practice.
"""

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
from alerts.errors import InvalidTokenError, NotifyError, StoreError
from alerts.logs import event
from alerts.message.notices import refused_notices
from alerts.message.render import with_sources
from alerts.models import OutboxEntry
from alerts.store import NOTICE_RULE, PAUSED_KEY, Store

log = logging.getLogger("alerts.delivery.courier")

BACKOFF_START = 1.0
BACKOFF_MAX = 300.0
# Specs: https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
GROUP_PACE = (20, 60.0)  # messages per seconds, to one group or channel
PRIVATE_PACE = (1, 1.0)  # to one private chat


def pace_of(chat: str) -> tuple[int, float]:
    """The limit for a chat: groups and channels (@name, negative ids) or a private chat."""
    return PRIVATE_PACE if chat.isdigit() else GROUP_PACE


def backoff_delay(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff for the n-th consecutive failure (1-based)."""
    ceiling: float = min(BACKOFF_MAX, BACKOFF_START * 2.0 ** max(0, attempt - 1))
    return max(0.1, ceiling * float(rng()))


class DeadlineReached(Exception):
    """The courier gave up for now; alerts stay pending."""


class _Moved(Exception):
    def __init__(self, new_chat: str) -> None:
        self.new_chat = new_chat


class Courier:
    """Delivers pending alerts (and edits) from the store through one destination."""

    def __init__(
        self, store: Store, destination: Destination, admins: list[int] | None = None
    ) -> None:
        self.store = store
        self.destination = destination
        self.admins = admins or []
        self.delivered = 0
        self._stopping = asyncio.Event()
        # One request in flight at a time, across chats: a crash can then repeat at most one
        # message. Chats still wait on their own pace and backoff independently.
        self._in_flight = asyncio.Lock()

    async def drain(self, deadline: float | None = None) -> bool:
        """Deliver everything pending; False when the deadline (monotonic) left some behind."""
        drained: set[str] = set()
        while True:  # notices queued while draining (to admins) are drained too
            chats = [
                c
                for c in dict.fromkeys([*self.store.pending_chats(), *self.store.edit_chats()])
                if c not in drained
            ]
            if not chats or self.paused():
                return True
            drained.update(chats)
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
        """Deliver one chat's pending alerts in order, then its edits; stop on ``stopping``."""
        self._stopping = stopping or self._stopping
        while entries := self.store.pending(chat, limit=50):
            for entry in entries:
                if self._stopping.is_set() or self.paused():
                    return
                try:
                    await self._deliver(entry, deadline)
                except _Moved as moved:
                    await self.drain_chat(moved.new_chat, deadline=deadline)
                    return
        for entry in self.store.pending_edits(chat):
            if self._stopping.is_set():
                return
            await self._edit(entry, deadline)

    def paused(self) -> bool:
        """Posting paused by an operator (/pause): alerts wait in the outbox."""
        return self.store.get_meta(PAUSED_KEY) is not None

    async def _deliver(self, entry: OutboxEntry, deadline: float | None) -> None:
        alert = replace(entry.alert, text=with_sources(entry.alert.text, entry.sources))
        try:
            result = await self._attempt(
                entry, deadline, lambda: self.destination.send(alert), intent=True
            )
        except NotifyError as e:
            self.store.mark_failed(entry.id, e.reason)
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
        """Call until it succeeds; raise the NotifyError of a permanent refusal."""
        failures = 0
        while True:
            if not await self._pace(entry.alert.chat, deadline):
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
                    self.store.move_chat(entry.alert.chat, e.new_chat)
                    event(
                        log,
                        logging.WARNING,
                        "chat_migrated",
                        chat_id=entry.alert.chat,
                        new_chat_id=e.new_chat,
                    )
                    raise _Moved(e.new_chat) from e
                failures += 1
                self.store.mark_attempt(entry.id, e.reason)
                wait = e.retry_after if e.retry_after else backoff_delay(failures)
                event(
                    log,
                    logging.WARNING,
                    "send_retry",
                    chat_id=entry.alert.chat,
                    alert=entry.id,
                    error=e.reason,
                    wait=f"{wait:.1f}s",
                )
                if deadline is not None and time.monotonic() + wait > deadline:
                    raise DeadlineReached(entry.alert.chat) from e
                await self._pause(wait)
                if self._stopping.is_set():
                    return _STOPPED

    async def _pace(self, chat: str, deadline: float | None) -> bool:
        """Wait until one more message to ``chat`` keeps the pace; False if stopping."""
        count, period = pace_of(chat)
        while not self._stopping.is_set():
            now = time.time()
            recent = self.store.recent_sends(chat, datetime.fromtimestamp(now - period, UTC))
            if len(recent) < count:
                return True
            wait = recent[-count] + period - now + 0.05
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
