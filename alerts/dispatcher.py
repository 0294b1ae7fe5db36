"""Who drains which chat in the service: one sender task per chat, always.

Policy:

- When woken (an alert queued, a retelling that edits a sent alert, a re-drive or ``/resume``,
  and every ``scheduler.WAKE_EVERY`` seconds), every chat with pending alerts or pending edits
  ("Also: Reuters") gets a sender task, unless a task is already draining it. While posting is
  paused, none starts (``/resume`` wakes the dispatcher).
- A migrated group's new chat id belongs to the task that was draining the old id, for as long
  as that task runs (``Following`` tells the dispatcher of each migration the courier meets):
  whether the courier follows the move or hands the new chat back, it never has two drainers.
- A sender that ends wakes the dispatcher when anything is still waiting (the new chat of a
  migration, a notice to the admins queued meanwhile).
- A rejected token, or anything the courier does not expect, stops the service (``fail``); a
  store fault (a full disk, a locked database) leaves the alerts pending for the next wake.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from alerts.delivery.courier import Courier, DeadlineReached
from alerts.delivery.destination import Destination
from alerts.errors import InvalidTokenError, NotifyError, StoreError
from alerts.logs import event
from alerts.models import Alert
from alerts.observe import QUIET, Observer
from alerts.store import StoreType

log = logging.getLogger("alerts.dispatcher")


class Dispatcher:
    """Starts a sender per waiting chat when woken; ``fail`` is told what must stop the bot."""

    def __init__(
        self,
        store: StoreType,
        destination: Destination,
        admins: list[int],
        stopping: asyncio.Event,
        fail: Callable[[BaseException], None],
        observer: Observer = QUIET,
    ) -> None:
        self.courier = Courier(store, Following(destination, self.moved), admins, observer)
        self.stopping = stopping
        self.fail = fail
        self.wake = asyncio.Event()
        self.senders: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        """Dispatch at each wake until the service stops."""
        while not self.stopping.is_set():
            await self.wake.wait()
            self.wake.clear()
            try:
                self.dispatch()
            except StoreError as e:  # e.g. a locked database: the next wake tries again
                event(log, logging.ERROR, "dispatch_store_failed", error=str(e))

    def dispatch(self) -> None:
        """A sender for each chat with alerts or edits waiting that nobody drains."""
        if self.courier.paused():
            return
        store = self.courier.store
        for chat in dict.fromkeys([*store.pending_chats(), *store.edit_chats()]):
            if not self.draining(chat):
                self.senders[chat] = asyncio.create_task(self._send_chat(chat))

    def draining(self, chat: str) -> bool:
        """Whether a running task drains ``chat``."""
        task = self.senders.get(chat)
        return task is not None and not task.done()

    def moved(self, old: str, new: str) -> None:
        """``old`` migrated to ``new``: the task draining ``old`` has ``new`` too."""
        task = self.senders.get(old)
        if task is not None and not task.done() and not self.draining(new):
            self.senders[new] = task

    async def finish(self, grace: float) -> None:
        """Give running senders ``grace`` seconds to end their send, then cancel them."""
        senders = {t for t in self.senders.values() if not t.done()}
        if senders:
            _, late = await asyncio.wait(senders, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _send_chat(self, chat: str) -> None:
        try:
            await self.courier.drain_chat(chat, stopping=self.stopping)
        except InvalidTokenError as e:
            log.critical("telegram_token_rejected error=%s", e.reason)
            self.fail(e)
        except DeadlineReached:
            pass
        except StoreError as e:  # e.g. a full disk: the alert stays pending, tried on next wake
            event(log, logging.ERROR, "delivery_store_failed", chat_id=chat, error=str(e))
        except Exception as e:
            log.critical("courier_crashed chat_id=%s", chat, exc_info=True)
            self.fail(e)
        else:
            self._still_waiting()

    def _still_waiting(self) -> None:
        store = self.courier.store
        if not self.stopping.is_set() and (store.pending(limit=1) or store.edit_chats()):
            self.wake.set()


class Following:
    """The destination, telling ``moved`` of each chat migration as the courier meets it."""

    def __init__(self, inner: Destination, moved: Callable[[str, str], None]) -> None:
        self.inner = inner
        self.moved = moved

    async def start(self) -> None:
        """As the destination."""
        await self.inner.start()

    async def send(self, alert: Alert) -> int | None:
        """As the destination; a migration is told before the courier sees it."""
        try:
            return await self.inner.send(alert)
        except NotifyError as e:
            self._follow(alert.chat, e)
            raise

    async def edit(self, alert: Alert, message_id: int, text: str) -> None:
        """As the destination; a migration is told before the courier sees it."""
        try:
            await self.inner.edit(alert, message_id, text)
        except NotifyError as e:
            self._follow(alert.chat, e)
            raise

    async def close(self) -> None:
        """As the destination."""
        await self.inner.close()

    async def admin_notice(self, admins: list[int], text: str) -> None:
        """As the destination."""
        await self.inner.admin_notice(admins, text)

    def _follow(self, chat: str, error: NotifyError) -> None:
        if error.new_chat:
            self.moved(chat, error.new_chat)
