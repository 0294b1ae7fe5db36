"""Replies to the operators' commands: at Telegram's pace per chat, identical commands coalesced.

Policy (Specs: https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this,
the limits are ``courier.pace_of``'s):

- Each chat has its own queue of waiting commands, answered in the order they came, at most one
  reply a second to a private chat and 20 a minute to a group, counted over a sliding window of
  this process's replies to that chat. A chat never waits on another chat.
- A command runs when its reply's turn comes, so its answer tells how things are when it is sent.
  While a command waits for its turn, the same command (the same text) from the same chat joins
  it: it runs once and is answered once. 1,000 ``/status`` in a minute are a few answers, not
  1,000 sends and 429s.
- At most ``MAX_WAITING`` different commands wait per chat; more are dropped with a log line.
- A 429 makes the chat wait Telegram's ``retry_after`` and send the same reply again (at most
  ``MAX_TRIES`` times); any other failure drops the reply with a log line; a permanent refusal
  (403, 400) first tells ``refused`` (the listener's hint to the group a command came from).
  A command is never run twice for one turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from alerts.delivery.courier import pace_of
from alerts.errors import NotifyError
from alerts.logs import event

log = logging.getLogger("alerts.ops.replies")

MAX_WAITING = 20  # different commands waiting per chat
MAX_TRIES = 3  # sends of one reply, when Telegram answers 429
MAX_REPLY = 4000  # characters; Telegram's limit is 4096

Send = Callable[[int, str], Awaitable[None]]  # (chat, text); raises NotifyError
Run = Callable[[], Awaitable[str]]  # a command: its reply
Refused = Callable[[str], Awaitable[None]]  # told the reason a reply was refused


@dataclass
class _Waiting:
    """A command waiting for its turn, and how many times it was asked meanwhile."""

    run: Run
    refused: Refused | None
    asked: int = 1


class Replies:
    """The queues of waiting replies, one task per chat that has any."""

    def __init__(self, send: Send, clock: Callable[[], float] = time.monotonic) -> None:
        self._send = send
        self._clock = clock
        self._queues: dict[int, dict[str, _Waiting]] = {}
        self._sent: dict[int, deque[float]] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def submit(self, chat: int, command: str, run: Run, refused: Refused | None = None) -> bool:
        """Queue ``run``'s reply to ``chat``; False when it joined the same waiting command."""
        queue = self._queues.setdefault(chat, {})
        if command in queue:
            queue[command].asked += 1
            return False
        if len(queue) >= MAX_WAITING:
            event(log, logging.WARNING, "command_dropped", chat_id=chat, command=_name(command))
            return False
        queue[command] = _Waiting(run, refused)
        task = self._tasks.get(chat)
        if task is None or task.done():
            self._tasks[chat] = asyncio.create_task(self._answer_chat(chat))
        return True

    async def close(self) -> None:
        """Drop what waits (the service is stopping)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._queues.clear()

    async def _answer_chat(self, chat: int) -> None:
        queue = self._queues[chat]
        while queue:
            await self._turn(chat)
            command = next(iter(queue))
            await self._answer(chat, command, queue.pop(command))

    async def _turn(self, chat: int) -> None:
        """Wait until one more reply keeps the chat's pace."""
        count, period = pace_of(str(chat))
        sent = self._sent.setdefault(chat, deque(maxlen=count))
        if len(sent) == count:  # only this task appends: one wait is enough
            await asyncio.sleep(max(0.0, sent[0] + period - self._clock()))

    async def _answer(self, chat: int, command: str, waiting: _Waiting) -> None:
        reply = await run_command(command, waiting.run)
        for _ in range(MAX_TRIES):
            try:
                await self._send(chat, reply[:MAX_REPLY])
            except NotifyError as e:
                if e.retry_after is None:
                    return await self._refused(chat, command, waiting, e.reason, e.permanent)
                event(log, logging.WARNING, "command_reply_retry", chat_id=chat,
                      wait=f"{e.retry_after:.0f}s")  # fmt: skip
                await asyncio.sleep(e.retry_after)
                continue
            self._sent[chat].append(self._clock())
            event(log, logging.INFO, "command_answered", chat_id=chat, command=_name(command),
                  asked=waiting.asked)  # fmt: skip
            return None
        return await self._refused(chat, command, waiting, "Telegram kept answering 429")

    async def _refused(
        self, chat: int, command: str, waiting: _Waiting, reason: str, permanent: bool = False
    ) -> None:
        event(log, logging.WARNING, "command_reply_failed", chat_id=chat,
              command=_name(command), error=reason)  # fmt: skip
        if permanent and waiting.refused is not None:
            with contextlib.suppress(NotifyError):
                await waiting.refused(reason)


async def run_command(command: str, run: Run) -> str:
    """The command's reply; a command that fails says so (and is logged), it does not vanish."""
    try:
        return await run()
    except Exception as e:
        log.exception("command_failed command=%s", _name(command))
        return f"/{_name(command)} failed: {e}"


def _name(command: str) -> str:
    """The command's name, for logs (the text after it may be long, or private)."""
    return command.split(maxsplit=1)[0].lstrip("/") if command.strip() else ""
