"""``run --once``'s polls: every feed fetched and parsed concurrently, recorded in config
order, with a progress bar (feeds polled, a rate and an ETA) when standard error is a terminal;
under cron, systemd or a pipe nothing is drawn and the log lines are those of any run.

Decided in config order: which copy of a story is alerted, and the order of alerts, then do
not depend on which server answered first. Each feed is recorded as soon as it and every feed
before it are in, while the later ones are still being fetched and parsed.
"""

from __future__ import annotations

import asyncio

from alerts.decide import Trip
from alerts.models import PollResult
from alerts.pipeline import Context, fetch_and_parse, record
from alerts.progress import Progress


async def poll_all(ctx: Context) -> list[PollResult]:
    """Poll every feed of the config once; the results in config order."""
    trips = [asyncio.create_task(fetch_and_parse(ctx, f)) for f in ctx.config.feeds]
    results: list[PollResult] = []
    with Progress("feeds", len(trips)) as bar:
        for trip in trips:
            step = await trip
            results.append(record(ctx, step) if isinstance(step, Trip) else step)
            bar.advance()
    return results
