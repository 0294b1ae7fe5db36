"""alerts/ops/replies.py in process: coalescing, the per-chat queue, 429s and refusals."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

from alerts.errors import NotifyError
from alerts.ops.replies import MAX_WAITING, Replies

ADMIN = 4242


class Chat:
    """A send that records, and fails as told; commands that count their runs."""

    def __init__(self, failures: list[NotifyError] | None = None) -> None:
        self.sent: list[tuple[int, str]] = []
        self.runs: dict[str, int] = {}
        self.failures = failures or []

    async def send(self, chat: int, text: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((chat, text))

    def command(self, reply: str) -> Callable[[], Awaitable[str]]:
        async def run() -> str:
            self.runs[reply] = self.runs.get(reply, 0) + 1
            return reply

        return run


def late_clock() -> Callable[[], float]:
    """A clock a minute later at each look: the pace never makes these tests wait."""
    ticks = itertools.count(step=60.0)
    return lambda: next(ticks)


async def settle(replies: Replies) -> None:
    await asyncio.gather(*replies._tasks.values())


def test_identical_commands_waiting_are_run_and_answered_once() -> None:
    async def go() -> Chat:
        chat = Chat()
        replies = Replies(chat.send, clock=late_clock())
        joined = [replies.submit(ADMIN, "/status ", chat.command("S")) for _ in range(50)]
        assert joined == [True] + [False] * 49
        replies.submit(ADMIN, "/rules ", chat.command("R"))
        replies.submit(ADMIN, "/status ", chat.command("S"))  # still waiting: joins
        await settle(replies)
        return chat

    chat = asyncio.run(go())
    assert chat.sent == [(ADMIN, "S"), (ADMIN, "R")]
    assert chat.runs == {"S": 1, "R": 1}


def test_a_chat_queues_at_most_max_waiting_commands() -> None:
    async def go() -> Chat:
        chat = Chat()
        replies = Replies(chat.send, clock=late_clock())
        for n in range(MAX_WAITING + 5):
            replies.submit(ADMIN, f"/explain {n}", chat.command(str(n)))
        await settle(replies)
        return chat

    assert len(asyncio.run(go()).sent) == MAX_WAITING


def test_a_429_is_waited_out_and_the_same_reply_sent_again() -> None:
    async def go() -> Chat:
        chat = Chat([NotifyError(str(ADMIN), "Too Many Requests", retry_after=0.01)])
        replies = Replies(chat.send, clock=late_clock())
        replies.submit(ADMIN, "/status ", chat.command("S"))
        await settle(replies)
        return chat

    chat = asyncio.run(go())
    assert chat.sent == [(ADMIN, "S")]
    assert chat.runs == {"S": 1}  # the command ran once; only its reply was sent again


def test_a_refused_reply_tells_the_refused_callback_only_when_permanent() -> None:
    told: list[str] = []

    async def refused(reason: str) -> None:
        told.append(reason)

    async def go() -> Chat:
        chat = Chat([
            NotifyError(str(ADMIN), "Network down"),
            NotifyError(str(ADMIN), "Forbidden: bot can't initiate conversation", permanent=True),
        ])  # fmt: skip
        replies = Replies(chat.send, clock=late_clock())
        replies.submit(ADMIN, "/status ", chat.command("S"), refused)
        await settle(replies)
        replies.submit(ADMIN, "/status ", chat.command("S"), refused)
        await settle(replies)
        return chat

    assert asyncio.run(go()).sent == []
    assert told == ["Forbidden: bot can't initiate conversation"]


def test_a_failing_command_is_answered_with_its_failure() -> None:
    async def broken() -> str:
        raise RuntimeError("disk on fire")

    async def go() -> Chat:
        chat = Chat()
        replies = Replies(chat.send, clock=late_clock())
        replies.submit(ADMIN, "/status ", broken)
        await settle(replies)
        return chat

    assert asyncio.run(go()).sent == [(ADMIN, "/status failed: disk on fire")]
