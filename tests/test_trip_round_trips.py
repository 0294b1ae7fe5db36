"""One read and one write transaction per trip, for each kind of trip (issue 12).

Counted from SQLite's own statement trace, so what is counted is what reached the database:
statements between BEGIN and COMMIT are one transaction (a read when all are SELECTs), and a
statement outside one is a transaction of its own (SQLite's autocommit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.models import PollResult
from alerts.pipeline import poll_feed
from alerts.store import Store
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import parse_pool

NOW = datetime.now(UTC)


def item(n: int, title: str) -> dict[str, str]:
    return {"title": title, "link": f"https://n.example/{n}", "guid": f"g{n}",
            "description": f"{title}. Details follow.",
            "date": (NOW - timedelta(minutes=5)).isoformat()}  # fmt: skip


def transactions(statements: list[str]) -> tuple[int, int]:
    """(reads, writes) in a statement trace."""
    reads = writes = 0
    inside: list[str] | None = None
    for statement in statements:
        word = statement.split(maxsplit=1)[0].upper()
        if word == "BEGIN":
            inside = []
        elif word in ("COMMIT", "ROLLBACK") and inside is not None:
            only_reads = all(s.lstrip().upper().startswith("SELECT") for s in inside)
            reads, writes = (reads + 1, writes) if only_reads else (reads, writes + 1)
            inside = None
        elif inside is not None:
            inside.append(statement)
        elif word == "SELECT":
            reads += 1
        elif word != "PRAGMA":
            writes += 1
    return reads, writes


class Counted:
    """One feed, an admin, ``broken_after: 0s`` (a failure is at once a broken feed)."""

    def __init__(self, tmp: Path, feeds: FeedServer) -> None:
        self.feeds = feeds
        self.config = config_mod.loads(
            f"""\
telegram: {{chat: "@alerts", admins: [42]}}
polling: {{broken_after: 0s}}
items: {{max_age: 7d}}
feeds:
  - {{url: "{feeds.url("/f.xml")}", name: F}}
rules:
  - {{name: Quakes, any: [earthquake]}}
""",
            base_dir=tmp,
        )
        self.store = Store(self.config.state)
        self.lines: list[str] = []

    def trip(self, kind: str) -> PollResult:
        """Poll the feed once; count the store's transactions during the trip alone."""
        statements: list[str] = []

        async def go() -> PollResult:
            async with open_bot(self.config, store=self.store, parser=parse_pool()) as ctx:
                self.store.trace(statements.append)
                try:
                    return await poll_feed(ctx, self.config.feeds[0])
                finally:
                    self.store.trace(None)

        result = asyncio.run(go())
        reads, writes = transactions(statements)
        self.lines.append(f"{kind:10} {result.status:13} reads={reads} writes={writes}")
        assert (reads, writes) == (1, 1), self.lines[-1]
        return result


@pytest.fixture
def counted(tmp_path: Path, feeds: FeedServer) -> Iterator[Counted]:
    feeds.set("/f.xml", rss([item(1, "Earthquake hits coast")]))
    bot = Counted(tmp_path, feeds)
    yield bot
    print("\n" + "\n".join(bot.lines))
    bot.store.close()


def test_each_kind_of_trip_costs_one_read_and_one_write(
    counted: Counted, feeds: FeedServer
) -> None:
    assert counted.trip("first").status == "ok"
    feeds.set("/f.xml", rss([item(2, "Earthquake hits again"), item(1, "Earthquake hits coast")]))
    changed = counted.trip("changed")
    assert (changed.status, changed.alerts) == ("ok", 1)
    assert counted.trip("unchanged").status == "not_modified"
    feeds.set("/f.xml", "oops", status=500)
    failing = counted.trip("failing")
    assert (failing.status, failing.health) == ("failed", "broken")
    assert counted.trip("failing").health is None  # reported once
    feeds.set("/f.xml", rss([item(2, "Earthquake hits again")]))
    recovered = counted.trip("recovered")
    assert (recovered.status, recovered.health) == ("ok", "recovered")
    titles = [e.alert.title for e in counted.store.pending(limit=10)]
    assert titles == ["Earthquake hits again", "Feed broken: F", "Feed recovered: F"]
