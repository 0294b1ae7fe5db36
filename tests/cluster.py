"""Workers on one PostgreSQL database, for the workers' tests: a config of N feeds and chats,
workers as ``bot.py run`` subprocesses (``helpers.Running``), and the checks the issue names:
every alert once and in order per chat, no feed polled twice within an interval."""

from __future__ import annotations

import itertools
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.store.pg_store import PgStore
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer
from tests.helpers import Running


def config(tmp: Path, url: str, feeds: FeedServer, api: FakeBotAPI, *, paths: list[str],
           chats: list[str], interval: int, timeout: int = 1) -> Path:  # fmt: skip
    """Feeds at ``paths``, one rule per chat (``topicN`` goes to ``chats[N]``), no admins."""
    feed_lines = "".join(f'  - {{url: "{feeds.url(p)}", name: "Feed {p}"}}\n' for p in paths)
    rules = "".join(f'  - {{name: topic{n}, any: [topic{n}], chat: "{c}"}}\n'
                    for n, c in enumerate(chats))  # fmt: skip
    text = (
        f'telegram: {{chat: "{chats[0]}", api_url: "{api.base_url}"}}\nstate: "{url}"\n'
        f"polling: {{interval: {interval}s, jitter: 1s, timeout: {timeout}s}}\n"
        f"dedup: {{semantic: false}}\nfeeds:\n{feed_lines}rules:\n{rules}"
    )
    path = tmp / "config.yaml"
    path.write_text(text)
    return path


def item(n: int, topic: int, minutes_ago: float = 1) -> dict[str, str]:
    """Report ``n``, for the chat of ``topic``."""
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {"title": f"Report {n} on topic{topic}", "link": f"https://w.example/{n}",
            "guid": f"w-{n}", "description": f"Body {n}.", "date": when.isoformat()}  # fmt: skip


def kill(worker: Running) -> None:
    """SIGKILL, and wait for the process and its log pipe to be gone."""
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait(timeout=30)
    worker._reader.join(timeout=30)  # the log pipe ends with the process: closed here
    if worker.proc.stderr is not None:
        worker.proc.stderr.close()


def titles(api: FakeBotAPI, chat: str) -> list[str]:
    """The titles of the messages the chat got, in order."""
    return [m.text.split("</b>")[0][3:] for m in api.messages if m.chat_id == chat]


def delivered_once_in_order(api: FakeBotAPI, url: str, chats: list[str]) -> int:
    """Every alert of the outbox arrived in each chat in the outbox's order, once but for
    repeats of a message right after itself (a send in flight at a kill); how many repeats."""
    store = PgStore(url)
    try:
        sent = store.sent_messages()
    finally:
        store.close()
    repeats = 0
    for chat in chats:
        got = titles(api, chat)
        unique = [t for i, t in enumerate(got) if i == 0 or t != got[i - 1]]
        repeats += len(got) - len(unique)
        assert unique == [title for c, _, title in sent if c == chat], chat
    return repeats


def shortest_gaps(feeds: FeedServer, paths: list[str]) -> dict[str, float]:
    """The shortest time between two GETs of each feed (inf: polled once)."""
    gaps = {}
    for path in paths:
        times = sorted(feeds.times.get(path, []))
        gaps[path] = min((b - a for a, b in itertools.pairwise(times)), default=float("inf"))
    return gaps
