"""What `status` (bot.py status and /status) and the poll log say of feeds that alert nothing:
an error page served with HTTP 200, and new items all older than items.max_age (issue 15)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.ops.status import status_text
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import Bot, item

XHTML_403 = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"
 "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>403 - Forbidden</title></head>
<body><h1>403 - Forbidden</h1><p>You do not have permission to view this page.</p></body></html>
"""
OLD = timedelta(days=10)  # past the Bot's items.max_age of 7d


def desk(tmp_path: Path, feeds: FeedServer, backfill: int = 0) -> Bot:
    """A bot over one feed, Desk, whose admin (7) hears of a broken feed at its first failure."""
    bot = Bot(
        tmp_path, feeds, f'  - {{{{url: "{{base}}/f.xml", name: Desk, backfill: {backfill}}}}}'
    )
    bot.config = bot.config.model_copy(update={
        "telegram": bot.config.telegram.model_copy(update={"admins": [7]}),
        "polling": bot.config.polling.model_copy(update={"broken_after": timedelta(0)}),
    })  # fmt: skip
    return bot


def polled(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The feed_polled lines logged so far, then forgotten."""
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("feed_polled")]
    caplog.clear()
    return lines


def desk_line(bot: Bot) -> str:
    (line,) = [x for x in status_text(bot.store, bot.config).splitlines() if "Desk" in x]
    return line.strip()


@pytest.mark.parametrize("content_type", ["application/xhtml+xml", "text/xml", "text/html"])
def test_an_error_page_served_with_200_fails_with_what_it_is(
    tmp_path: Path, feeds: FeedServer, caplog: pytest.LogCaptureFixture, content_type: str
) -> None:
    caplog.set_level(logging.INFO, logger="alerts")
    feeds.set("/f.xml", XHTML_403, content_type=content_type)
    bot = desk(tmp_path, feeds)
    bot.once()
    reason = 'not a feed: an HTML page titled "403 - Forbidden"'
    state = bot.store.feed_state(feeds.url("/f.xml"))
    assert (state.error_streak, state.last_error) == (1, reason)
    assert desk_line(bot).startswith(f'FAILING  Desk: 1 failure(s) in a row, last error "{reason}"')
    assert "Feeds: 1 (1 failing)" in status_text(bot.store, bot.config)
    assert "feed_failed" in caplog.text and "403 - Forbidden" in caplog.text
    assert polled(caplog) == []  # never "items=0" as if it were a feed
    assert "**Feed broken: Desk**" in bot.out.getvalue()  # the usual notice
    assert "403 - Forbidden" in bot.out.getvalue()


def test_an_empty_feed_stays_healthy(
    tmp_path: Path, feeds: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    feeds.set("/f.xml", rss([]))
    bot = desk(tmp_path, feeds)
    bot.once()
    assert desk_line(bot).startswith("ok       Desk: last success")


def test_new_items_all_too_old_are_logged_and_shown_with_the_remedy(
    tmp_path: Path, feeds: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="alerts")
    feeds.set("/f.xml", rss([item(1, "Earthquake hits coast")]))
    bot = desk(tmp_path, feeds)
    bot.once()  # the first sight: recorded, not alerted (no backfill)
    (line,) = polled(caplog)
    assert "new_items=0" in line and "skipped_first_sight=1" in line
    assert "skipped_too_old" not in line
    assert desk_line(bot).startswith("ok       Desk")

    old = [item(n, f"Earthquake number {n}", age=OLD) for n in (2, 3, 4)]
    feeds.set("/f.xml", rss([*old, item(1, "Earthquake hits coast")]))
    bot.once()
    (line,) = polled(caplog)
    assert "items=4 new_items=0 alerts=0" in line and "skipped_too_old=3" in line
    shown = desk_line(bot)
    assert shown.startswith("SKIPPING Desk: last success")
    assert shown.endswith(
        "its 3 new item(s) were all older than items.max_age (7d); "
        "raise items.max_age to alert them"
    )
    assert "Feeds: 1 (1 skipping)" in status_text(bot.store, bot.config)
    assert bot.alerts() == []

    bot.once()  # the same body (a 304): nothing contradicts the note
    assert desk_line(bot).startswith("SKIPPING Desk")

    feeds.set("/f.xml", rss([item(5, "Earthquake strikes again"), *old]))
    bot.once()
    assert bot.alerts() == ["**Earthquake strikes again**"]
    assert desk_line(bot).startswith("ok       Desk")


def test_backfill_items_all_too_old_are_shown_at_the_first_poll(
    tmp_path: Path, feeds: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="alerts")
    feeds.set("/f.xml", rss([item(n, f"Earthquake number {n}", age=OLD) for n in (1, 2, 3)]))
    bot = desk(tmp_path, feeds, backfill=2)
    bot.once()
    (line,) = polled(caplog)
    assert "skipped_too_old=2" in line and "skipped_first_sight=1" in line
    assert "its 2 new item(s) were all older" in desk_line(bot)


def test_a_note_gives_way_to_an_error_and_the_error_to_health(
    tmp_path: Path, feeds: FeedServer
) -> None:
    feeds.set("/f.xml", rss([]))
    bot = desk(tmp_path, feeds)
    bot.once()
    feeds.set("/f.xml", rss([item(1, "Earthquake number 1", age=OLD)]))
    bot.once()
    assert desk_line(bot).startswith("SKIPPING Desk")
    feeds.set("/f.xml", "oops", status=500)
    bot.config = bot.config.model_copy(update={
        "polling": bot.config.polling.model_copy(update={"backoff_max": timedelta(0)}),
    })  # fmt: skip
    bot.once()
    assert desk_line(bot).startswith("FAILING  Desk: 1 failure(s) in a row")
    feeds.set("/f.xml", rss([item(2, "Earthquake strikes again")]))
    bot.once()
    assert desk_line(bot).startswith("ok       Desk")
    assert "**Earthquake strikes again**" in bot.alerts()
