"""alerts/pipeline.py and scheduler.run_once in process: one trip per feed, failures isolated."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.app import open_bot
from alerts.decide import select_new
from alerts.feeds.parse_pool import ParsePool
from alerts.models import (
    FeedForUpdate,
    FeedItem,
    FeedState,
    FeedUpdateIntent,
    FetchedFeed,
    PollResult,
)
from alerts.pipeline import poll_feed
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import NOW, Bot, item, parse_pool


def allow_local_articles(bot: Bot) -> None:
    """Article pages on 127.0.0.1 (the test servers) allowed, as for a self-hosted site."""
    polling = bot.config.polling.model_copy(update={"article_private_networks": ["127.0.0.0/8"]})
    bot.config = bot.config.model_copy(update={"polling": polling})


@pytest.fixture
def two_feeds(tmp_path: Path, feeds: FeedServer) -> Iterator[Bot]:
    lines = (
        '  - {{url: "{base}/bad.xml", name: Bad, backfill: 5}}\n'
        '  - {{url: "{base}/good.xml", name: Good, backfill: 5}}'
    )
    bot = Bot(tmp_path, feeds, lines)
    yield bot
    bot.store.close()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, "oops", "HTTP 500"),
        (404, "missing", "HTTP 404"),
        (200, "<html><body>not a feed", "not a feed"),
    ],
)
def test_one_broken_feed_never_stops_the_others(
    two_feeds: Bot, feeds: FeedServer, status: int, body: str, expected: str
) -> None:
    feeds.set("/bad.xml", body, status=status, content_type="text/html")
    feeds.set("/good.xml", rss([item(1, "Earthquake hits coast")]))
    assert two_feeds.once() == 0
    assert two_feeds.alerts() == ["**Earthquake hits coast**"]
    bad = two_feeds.store.feed_state(feeds.url("/bad.xml"))
    assert bad.error_streak == 1
    assert expected in (bad.last_error or "")
    assert bad.next_poll is not None and bad.next_poll > datetime.now(UTC)


def test_a_feed_failing_for_days_still_backs_off_and_the_others_send(
    two_feeds: Bot, feeds: FeedServer
) -> None:
    """A streak of 60 failures (5 hours of cron runs every 5 minutes): the 61st is counted and
    waits backoff_max, and the other feed's alert goes out (issue 13, finding 1)."""
    url = feeds.url("/bad.xml")
    stored = FeedUpdateIntent(url, "failed", error="HTTP 500", error_streak=60, next_poll=NOW)
    two_feeds.store.update_feed(stored, NOW)
    feeds.set("/bad.xml", "oops", status=500)
    feeds.set("/good.xml", rss([item(1, "Earthquake hits coast")]))
    assert two_feeds.once() == 0
    assert two_feeds.alerts() == ["**Earthquake hits coast**"]
    bad = two_feeds.store.feed_state(url)
    assert bad.error_streak == 61
    assert bad.next_poll is not None
    wait = bad.next_poll - datetime.now(UTC)
    assert two_feeds.config.polling.backoff_max - timedelta(minutes=5) < wait
    assert wait <= two_feeds.config.polling.backoff_max


def test_an_unexpected_exception_is_a_counted_failure_with_one_traceback(
    two_feeds: Bot, feeds: FeedServer, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """A bug in one feed's trip (here in parsing) fails that feed like an HTTP error: counted,
    backed off, the traceback logged on the first failure of the streak only, and the other
    feeds go on (issue 13, finding 1)."""
    parse = ParsePool.parse

    async def buggy(self: ParsePool, fetched: FetchedFeed, name: str) -> list[FeedItem]:
        if fetched.url.endswith("/bad.xml"):
            raise RuntimeError("a bug in parsing")
        return await parse(self, fetched, name)

    monkeypatch.setattr(ParsePool, "parse", buggy)
    feeds.set("/bad.xml", rss([item(2, "Calm")]))
    feeds.set("/good.xml", rss([item(1, "Earthquake hits coast")]))
    assert two_feeds.once() == 0
    assert two_feeds.alerts() == ["**Earthquake hits coast**"]
    url = feeds.url("/bad.xml")
    first = two_feeds.store.feed_state(url)
    assert first.error_streak == 1
    assert first.last_error == "unexpected RuntimeError: a bug in parsing"
    assert first.next_poll is not None and first.next_poll > datetime.now(UTC)
    assert two_feeds.poll(0).status == "failed"
    assert two_feeds.store.feed_state(url).error_streak == 2
    crashes = [r for r in caplog.records if r.getMessage().startswith("poll_crashed")]
    assert len(crashes) == 1
    assert crashes[0].levelno == logging.CRITICAL and crashes[0].exc_info is not None


def test_failing_feed_backs_off_longer_each_time_and_recovers(
    two_feeds: Bot, feeds: FeedServer
) -> None:
    feeds.set("/bad.xml", "oops", status=500)
    waits = []
    for _ in range(3):
        assert two_feeds.poll(0).status == "failed"
        state = two_feeds.store.feed_state(feeds.url("/bad.xml"))
        assert state.next_poll is not None
        waits.append(state.next_poll - datetime.now(UTC))
    assert waits[0] < waits[1] < waits[2]
    assert waits[2] <= two_feeds.config.polling.backoff_max
    feeds.set("/bad.xml", rss([item(1, "Calm day")]))
    assert two_feeds.poll(0).status == "ok"
    assert two_feeds.store.feed_state(feeds.url("/bad.xml")).error_streak == 0


def test_retry_after_is_honoured(two_feeds: Bot, feeds: FeedServer) -> None:
    feeds.set("/bad.xml", "busy", status=503, headers={"Retry-After": "7200"})
    two_feeds.poll(0)
    state = two_feeds.store.feed_state(feeds.url("/bad.xml"))
    assert state.next_poll is not None
    assert state.next_poll - datetime.now(UTC) > timedelta(minutes=119)


def test_gone_feed_is_not_polled_again(two_feeds: Bot, feeds: FeedServer) -> None:
    two_feeds.config = two_feeds.config.model_copy(
        update={"telegram": two_feeds.config.telegram.model_copy(update={"admins": [7]})}
    )
    feeds.set("/bad.xml", "gone", status=410)
    feeds.set("/good.xml", rss([]))
    two_feeds.once()
    two_feeds.once()
    assert feeds.requests["/bad.xml"] == 1
    assert two_feeds.store.feed_state(feeds.url("/bad.xml")).gone
    assert two_feeds.out.getvalue().count("**Feed gone: Bad**") == 1  # reported, once


def test_first_sight_records_without_alerting(tmp_path: Path, feeds: FeedServer) -> None:
    bot = Bot(tmp_path, feeds, '  - {{url: "{base}/f.xml"}}')
    feeds.set("/f.xml", rss([item(2, "Earthquake two"), item(1, "Earthquake one")]))
    bot.once()
    assert bot.alerts() == []
    feeds.set("/f.xml", rss([item(3, "Earthquake three"), item(2, "Earthquake two")]))
    bot.once()
    assert bot.alerts() == ["**Earthquake three**"]


def test_backfill_alerts_the_newest_n(tmp_path: Path, feeds: FeedServer) -> None:
    bot = Bot(tmp_path, feeds, '  - {{url: "{base}/f.xml", backfill: 2}}')
    feeds.set(
        "/f.xml",
        rss(
            [
                item(3, "Earthquake three", timedelta(minutes=1)),
                item(2, "Earthquake two", timedelta(minutes=2)),
                item(1, "Earthquake one", timedelta(minutes=3)),
            ]
        ),
    )
    bot.once()
    assert bot.alerts() == ["**Earthquake two**", "**Earthquake three**"]  # oldest first


def test_old_items_are_never_alerted(tmp_path: Path, feeds: FeedServer) -> None:
    bot = Bot(tmp_path, feeds, '  - {{url: "{base}/f.xml", backfill: 5}}')
    feeds.set(
        "/f.xml",
        rss(
            [
                item(2, "Earthquake today"),
                item(1, "Earthquake archive", timedelta(days=30)),
            ]
        ),
    )
    bot.once()
    assert bot.alerts() == ["**Earthquake today**"]


def test_unchanged_body_is_not_parsed_again(tmp_path: Path, feeds: FeedServer) -> None:
    bot = Bot(tmp_path, feeds, '  - {{url: "{base}/f.xml"}}\n  - {{url: "{base}/g.xml"}}')
    feeds.set("/f.xml", rss([item(1, "Calm")]))  # answers 304 to its ETag
    feeds.set("/g.xml", rss([item(1, "Calm")]), conditional=False)  # no validators at all
    assert [bot.poll(0).status, bot.poll(1).status] == ["ok", "ok"]
    assert [bot.poll(0).status, bot.poll(1).status] == ["not_modified", "unchanged"]
    assert feeds.not_modified["/f.xml"] == 1


def test_retellings_in_one_poll_alert_once(tmp_path: Path, feeds: FeedServer) -> None:
    bot = Bot(tmp_path, feeds, '  - {{url: "{base}/f.xml", backfill: 5}}')
    feeds.set(
        "/f.xml",
        rss(
            [
                item(2, "Strong earthquake hits the coast of Chile, killing 3"),
                item(1, "Strong earthquake hits coast of Chile, killing 3"),
            ]
        ),
    )
    bot.once()
    assert len(bot.alerts()) == 1


def feed_item(n: int, published: datetime | None) -> FeedItem:
    return FeedItem("u", f"g{n}", f"t{n}", "", "", published)


def test_select_new_skips_seen_and_duplicate_ids() -> None:
    items = [feed_item(3, NOW), feed_item(2, NOW), feed_item(3, NOW), feed_item(1, None)]
    read = FeedForUpdate(FeedState("u", polled_before=True), frozenset({"g2"}))
    fresh = select_new(items, read, 0, timedelta(days=7), NOW)
    assert sorted(i.item_id for i in fresh) == ["g1", "g3"]


ARTICLE = """<html><head><title>Quake</title></head><body>
<nav>Home | World | Sport | Subscribe</nav>
<article><h1>Earthquake strikes off Chile</h1>
<p>A magnitude 7.1 earthquake struck off the coast of Chile on Friday, officials said.</p>
<p>There were no immediate reports of damage or casualties.</p></article>
<footer>Copyright 2026 Example News. Sign up for our newsletter.</footer></body></html>"""


def test_stub_items_get_their_article_text(tmp_path: Path, feeds: FeedServer) -> None:
    bot = Bot(tmp_path, feeds, '  - {{url: "{base}/f.xml", backfill: 5, fetch_article: true}}')
    allow_local_articles(bot)
    page = feeds.set("/article/1", ARTICLE, content_type="text/html; charset=utf-8")
    stub = {
        "title": "Earthquake strikes off Chile",
        "link": page,
        "guid": "g1",
        "date": NOW.isoformat(),
    }
    broken = {
        "title": "Earthquake felt in Peru",
        "link": feeds.url("/missing"),
        "guid": "g2",
        "description": "Short.",
        "date": NOW.isoformat(),
    }
    feeds.set("/f.xml", rss([stub, broken]))
    bot.once()
    out = bot.out.getvalue()
    assert "A magnitude 7.1 **earthquake** struck off the coast of Chile" in out
    assert "newsletter" not in out and "Subscribe" not in out
    assert "**Earthquake felt in Peru**\nShort." in out  # a failed page keeps the item as it was


@pytest.mark.parametrize("failure", ["import", "extract"])
def test_extraction_failing_in_any_way_keeps_the_item_as_it_was(
    tmp_path: Path, feeds: FeedServer, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, failure: str,
) -> None:  # fmt: skip
    """trafilatura not importing (lxml_html_clean missing after an old pip) or raising: the
    item is alerted with its own text, and the failure logged (issue 13, finding 6)."""
    if failure == "import":
        monkeypatch.setitem(sys.modules, "trafilatura", None)  # import raises ImportError
    else:
        import trafilatura

        def extract(*args: object, **kwargs: object) -> str:
            raise ValueError("lxml.html.clean module is now a separate project")

        monkeypatch.setattr(trafilatura, "extract", extract)
    bot = Bot(tmp_path, feeds, '  - {{url: "{base}/f.xml", backfill: 5, fetch_article: true}}')
    allow_local_articles(bot)
    page = feeds.set("/article/1", ARTICLE, content_type="text/html; charset=utf-8")
    stub = {"title": "Earthquake strikes off Chile", "link": page, "guid": "g1",
            "description": "Officials said.", "date": NOW.isoformat()}  # fmt: skip
    feeds.set("/f.xml", rss([stub]))
    bot.once()
    assert "**Earthquake strikes off Chile**\nOfficials said." in bot.out.getvalue()
    assert feeds.requests["/article/1"] == 1
    assert bot.store.feed_state(feeds.url("/f.xml")).error_streak == 0
    assert "article_extraction_failed" in caplog.text


def test_admins_hear_once_when_a_feed_stays_broken_and_when_it_recovers(
    tmp_path: Path, feeds: FeedServer
) -> None:
    bot = Bot(tmp_path, feeds, '  - {{url: "{base}/f.xml", name: Flaky}}')
    bot.config = bot.config.model_copy(update={
        "telegram": bot.config.telegram.model_copy(update={"admins": [7]}),
        "polling": bot.config.polling.model_copy(update={"broken_after": timedelta(0)}),
    })  # fmt: skip
    feeds.set("/f.xml", "oops", status=500)
    bot.once()
    bot.once()  # still broken: no second notice
    feeds.set("/f.xml", rss([item(1, "Calm")]))
    bot.once()
    notices = [b for b in bot.out.getvalue().split("── alert")[1:] if "→ 7 " in b]
    assert len(notices) == 2
    assert "**Feed broken: Flaky**" in notices[0] and "HTTP 500" in notices[0]
    assert "**Feed recovered: Flaky**" in notices[1]


def test_a_next_poll_from_a_clock_that_ran_ahead_is_not_trusted(
    tmp_path: Path, feeds: FeedServer
) -> None:
    """Finding 9 (backoff): a next_poll a year ahead (a clock jumped back, or a state copied
    from a machine whose clock runs ahead) does not stall the feed; a real backoff still holds."""
    bot = Bot(tmp_path, feeds, '  - {{url: "{base}/f.xml", name: F}}')
    feeds.set("/f.xml", rss([item(1, "Calm day")]))
    url = bot.config.feeds[0].url
    results = []
    for ahead in (timedelta(days=365), timedelta(minutes=10)):
        failing = FeedUpdateIntent(url, "failed", error="HTTP 500", error_streak=1,
                                   next_poll=datetime.now(UTC) + ahead)  # fmt: skip
        bot.store.update_feed(failing, datetime.now(UTC))

        async def go() -> PollResult:
            async with open_bot(bot.config, store=bot.store, parser=parse_pool()) as ctx:
                return await poll_feed(ctx, bot.config.feeds[0], backoff=True)

        results.append(asyncio.run(go()).status)
    bot.store.close()
    assert results == ["ok", "backoff"]
