"""Metrics and health (alerts/metrics.py, alerts/health.py, alerts/monitor.py): the counts a
scripted run implies, scraped over HTTP from the real service and parsed with prometheus_client's
own parser; /healthz at 200, and at 503 with its reasons; the rules and the failure kinds alone."""

from __future__ import annotations

import asyncio
import itertools
import re
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.delivery.telegram import TelegramDestination
from alerts.errors import FeedGone, FetchError, ParseError, TripError
from alerts.health import DELIVERY_STALL, Facts, FeedPolls, judge
from alerts.metrics import Metrics
from alerts.models import PollResult
from alerts.monitor import Monitor
from alerts.observe import Delivery, failure_kind
from alerts.scheduler import Service
from alerts.store import connection
from tests.fakes import WAIT_SCALE
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import TOKEN, Running, news_item, parse_pool, wait_until
from tests.imports import imports_of

BOT_TOKEN = TOKEN  # the token the telegram fixture (conftest) accepts
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def config_text(feeds: FeedServer, api: FakeBotAPI, *, timeout: str = "5s") -> str:
    """Three feeds polled every second (Gamma answers 500 until told otherwise), one rule, and
    metrics on a free port of 127.0.0.1."""
    return f"""\
telegram: {{chat: "@alerts", api_url: "{api.base_url}"}}
state: state.db
polling: {{interval: 1s, jitter: 0s, timeout: {timeout}}}
metrics: {{listen: "127.0.0.1:0"}}
feeds:
  - {{url: "{feeds.url("/a.xml")}", name: Alpha}}
  - {{url: "{feeds.url("/b.xml")}", name: Beta}}
  - {{url: "{feeds.url("/c.xml")}", name: Gamma}}
rules:
  - {{name: Quakes, any: [earthquake]}}
"""


def get(port: int, path: str) -> tuple[int, str]:
    """GET ``path`` of the listener: status and body."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(port: int) -> Samples:
    """Every sample of /metrics by name and labels, parsed by prometheus_client."""
    status, text = get(port, "/metrics")
    assert status == 200
    return parse(text)


def parse(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def listening_port(service: Running) -> int:
    service.wait_for("metrics_listening", 30)
    line = next(line for line in service.lines if "metrics_listening" in line)
    match = re.search(r"address=\S+:(\d+)", line)
    assert match is not None, line
    return int(match.group(1))


QUAKES = ("Earthquake shakes Lisbon harbour", "Chile copper mines shut after earthquake",
          "Earthquake drill empties Tokyo towers")  # fmt: skip


def test_a_scripted_run_shows_its_counts(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI, recorded: Path
) -> None:
    """Three alerts sent through one 429, one retelling suppressed by its link, one feed
    failing: the scrape shows those counts, and /healthz is 200."""
    feeds.set("/a.xml", rss([]))
    feeds.set("/b.xml", rss([]))
    feeds.set("/c.xml", "down", status=500)
    (tmp_path / "config.yaml").write_text(config_text(feeds, telegram))
    service = Running(tmp_path / "config.yaml")
    try:
        port = listening_port(service)
        wait_until(lambda: feeds.requests.get("/b.xml", 0) >= 1, 30, "first sight of Beta")
        wait_until(lambda: feeds.requests.get("/a.xml", 0) >= 1, 30, "first sight of Alpha")
        telegram.fail("sendMessage", 429, "Too Many Requests: retry after 1")
        feeds.set("/a.xml", rss([news_item(n, t) for n, t in enumerate(QUAKES, start=1)]))
        feeds.set("/b.xml", rss([news_item(1, QUAKES[0])]))  # the same link: a retelling
        telegram.wait_for_messages(3, timeout=60 * WAIT_SCALE)
        wait_until(lambda: value(scrape(port), "news_alerts_alerts_sent_total") == 3, 30,
                   "3 sends counted")  # fmt: skip
        samples = scrape(port)
        health = get(port, "/healthz")
    finally:
        assert service.stop() == 0
    assert len(telegram.messages) == 3
    assert telegram.count_429 == 1
    assert value(samples, "news_alerts_alerts_queued_total") == 3
    assert value(samples, "news_alerts_alerts_failed_total") == 0
    assert value(samples, "news_alerts_telegram_429_total") == 1
    assert value(samples, "news_alerts_send_retries_total") == 1
    assert value(samples, "news_alerts_dedup_verdicts_total", stage="identity",
                 reason="same_link") == 1  # fmt: skip
    assert value(samples, "news_alerts_dedup_verdicts_total", stage="title",
                 reason="similar_title") == 0  # fmt: skip
    assert value(samples, "news_alerts_feeds_configured") == 3
    assert value(samples, "news_alerts_feeds_failing") == 1
    assert value(samples, "news_alerts_feeds_gone") == 0
    assert value(samples, "news_alerts_outbox_pending", chat="@alerts") == 0
    assert value(samples, "news_alerts_items_new_total") == 4  # Alpha's 3 and Beta's 1
    failed = value(samples, "news_alerts_polls_total", result="failed")
    assert failed >= 1  # Gamma, each time its backoff let it be polled
    assert value(samples, "news_alerts_poll_failures_total", reason="http_5xx") == failed
    assert value(samples, "news_alerts_poll_failures_total", reason="timeout") == 0
    assert value(samples, "news_alerts_polls_total", result="changed") >= 2
    fetched = sum(value(samples, "news_alerts_polls_total", result=r)
                  for r in ("changed", "unchanged", "failed", "gone"))  # fmt: skip
    assert value(samples, "news_alerts_fetch_duration_seconds_count") == fetched
    assert 0 <= value(samples, "news_alerts_poll_cycle_age_seconds") < 30 * WAIT_SCALE
    assert value(samples, "process_resident_memory_bytes") > 0  # the process's own, too
    assert health == (200, "ok\n")
    assert "prometheus_client" in imports_of(recorded).bot


def test_a_cron_cycle_never_listens(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI, recorded: Path
) -> None:
    """``run --once`` ends before any scrape: it neither listens nor loads prometheus_client."""
    for name in ("a", "b", "c"):
        feeds.set(f"/{name}.xml", rss([]))
    (tmp_path / "config.yaml").write_text(config_text(feeds, telegram))
    from tests.helpers import bot

    run = bot("run", "--once", "--config", str(tmp_path / "config.yaml"))
    assert run.returncode == 0, run.stderr
    assert "metrics_listening" not in run.stderr
    assert "prometheus_client" not in imports_of(recorded).bot


# ---------------------------------------------------------------- /healthz at 503, in process


@contextmanager
def locked(state: Path) -> Iterator[None]:
    """Another connection holds the state file's write lock: every write of the bot fails."""
    other = sqlite3.connect(state, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def until_body(port: int, needle: str, seconds: float) -> tuple[int, str]:
    """The first /healthz answer whose body has ``needle``, or the last one after ``seconds``."""
    deadline = time.monotonic() + seconds * WAIT_SCALE
    for _ in itertools.count():
        status, body = await asyncio.to_thread(get, port, "/healthz")
        if needle in body or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    return status, body


async def _locked_under_the_service(
    tmp: Path, feeds: FeedServer, api: FakeBotAPI
) -> list[tuple[int, str]]:
    config = config_mod.loads(config_text(feeds, api, timeout="1s"), base_dir=tmp)
    assert config.metrics.address is not None
    monitor = Monitor(config.metrics.address)
    answers = []
    async with open_bot(config, parser=parse_pool(), observer=monitor) as ctx:
        service = Service(ctx, TelegramDestination(TOKEN, api.base_url))
        await monitor.start(lambda: service.ctx)
        running = asyncio.create_task(service.run())
        try:
            async with asyncio.timeout(30 * WAIT_SCALE):  # the service runs: each feed polled
                for _ in itertools.count():
                    if len(monitor.pulse.last_trip) == 3:
                        break
                    await asyncio.sleep(0.05)
            answers.append(await until_body(monitor.port, "ok", 30))
            with locked(Path(config.state)):
                # 3 cycles of 1s + 0s jitter + 1s timeout without a written trip: stalled
                answers.append(await until_body(monitor.port, "polls stalled", 40))
            answers.append(await until_body(monitor.port, "ok", 40))
        finally:
            service.stop.set()
            assert await running == 0
            await monitor.stop()
    return answers


def test_healthz_is_503_with_its_reasons_while_the_store_takes_no_write(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 50)  # a locked write fails at once
    for name in ("a", "b", "c"):
        feeds.set(f"/{name}.xml", rss([]))
    before, during, after = asyncio.run(_locked_under_the_service(tmp_path, feeds, telegram))
    assert before == (200, "ok\n")
    status, body = during
    assert status == 503
    lines = body.splitlines()
    assert any(line.startswith("store not writable: ") and "locked" in line for line in lines)
    assert any(line.startswith("polls stalled: 3 of 3 feed(s) without a trip for 3 cycles")
               for line in lines)  # fmt: skip
    assert after == (200, "ok\n")  # the lock is gone: trips are written again


# ---------------------------------------------------------------- the rules and kinds alone

NOW = 1_000_000.0


def facts(**changes: object) -> Facts:
    base: dict[str, object] = {"now": NOW, "started": NOW - 3600}
    return Facts(**{**base, **changes})


def test_polls_are_stalled_only_past_their_allowance() -> None:
    fresh = FeedPolls("https://a/", NOW - 10, allowed=30)
    late = FeedPolls("https://b/", NOW - 31, allowed=30)
    never = FeedPolls("https://c/", None, allowed=30)  # none since the start, an hour ago
    assert judge(facts(feeds=(fresh,))).ok
    (reason,) = judge(facts(feeds=(fresh, late, never))).reasons
    assert reason == ("polls stalled: 2 of 3 feed(s) without a trip for 3 cycles; "
                      "https://c/ for 3600s")  # fmt: skip
    assert judge(facts(started=NOW - 20, feeds=(never,))).ok  # just started: not yet


def test_deliveries_stall_when_pending_and_nothing_ended_for_15_minutes() -> None:
    pending = NOW - 2 * DELIVERY_STALL
    (reason,) = judge(facts(pending_since=pending, last_delivery=NOW - 1000)).reasons
    assert reason.startswith("deliveries stalled: alerts pending and none sent or refused for")
    assert judge(facts(pending_since=pending, last_delivery=NOW - 60)).ok  # sending
    assert judge(facts(pending_since=None, last_delivery=NOW - 9999)).ok  # nothing waits
    assert judge(facts(pending_since=NOW - 60, last_delivery=NOW - 9999)).ok  # just queued
    assert judge(facts(pending_since=pending, paused=True)).ok  # /pause
    assert judge(facts(pending_since=pending, calm_after=NOW - 30)).ok  # a 429 wait just over


def test_every_reason_is_a_line_of_the_body() -> None:
    health = judge(facts(pending_since=NOW - 9999, store_error="disk I/O error",
                         feeds=(FeedPolls("https://a/", None, 60),)))  # fmt: skip
    assert not health.ok
    assert [line.split(":")[0] for line in health.body.splitlines()] == [
        "polls stalled", "deliveries stalled", "store not writable"]  # fmt: skip


@pytest.mark.parametrize(("error", "kind"), [
    (FetchError("u", "HTTP 503 Service Unavailable", status=503), "http_5xx"),
    (FetchError("u", "HTTP 404 Not Found", status=404), "http_4xx"),
    (FeedGone("u", "HTTP 410 Gone", status=410), "http_4xx"),
    (FetchError("u", "timed out after 20s"), "timeout"),
    (FetchError("u", "body larger than 10000000 bytes"), "too_large"),
    (FetchError("u", "ConnectError: [Errno 111] Connection refused"), "network"),
    (ParseError("u", "not a feed: an HTML page"), "parse"),
    (TripError("u", "unexpected KeyError: 'x'"), "bug"),
])  # fmt: skip
def test_a_failure_is_counted_by_its_kind_never_its_text(error: FetchError, kind: str) -> None:
    assert failure_kind(error) == kind


def test_two_bots_in_one_process_count_apart() -> None:
    from alerts.health import Pulse

    one, two = Metrics(Pulse()), Metrics(Pulse())
    one.polled(PollResult("https://a/", "ok", items=5, new_items=2, alerts=1, seconds=0.2,
                          duplicates=("same meaning",), muted=2))  # fmt: skip
    one.delivered(Delivery("@c", "retry", retry_after=3.0))
    samples = parse(one.exposition().decode())
    assert value(samples, "news_alerts_polls_total", result="changed") == 1
    assert value(samples, "news_alerts_items_seen_total") == 5
    assert value(samples, "news_alerts_dedup_verdicts_total", stage="meaning",
                 reason="same_meaning") == 1  # fmt: skip
    assert value(samples, "news_alerts_telegram_429_total") == 1
    assert value(samples, "news_alerts_alerts_muted_total") == 2
    assert b'news_alerts_polls_total{result="changed"} 0.0' in two.exposition()


def test_healthz_is_503_when_the_event_loop_does_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A loop blocked past LOOP_ANSWER polls and sends nothing: the listener says so itself."""
    import threading

    from alerts import monitor as monitor_mod

    monkeypatch.setattr(monitor_mod, "LOOP_ANSWER", 0.2)
    monitor = Monitor(("127.0.0.1", 0))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        monitor._loop = loop
        loop.call_soon_threadsafe(time.sleep, 1.0)  # a blocking call in the loop
        status, _, body = monitor.answer("/healthz")
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
    assert (status, body) == (503, b"event loop blocked: no answer within 0.2s\n")
    assert monitor.answer("/nothing")[0] == 404


@pytest.mark.parametrize(("listen", "address"), [
    ("9108", ("127.0.0.1", 9108)), ("127.0.0.1:9108", ("127.0.0.1", 9108)),
    ("0.0.0.0:9108", ("0.0.0.0", 9108)), ("[::1]:9108", ("::1", 9108)),
])  # fmt: skip
def test_metrics_listen_takes_an_address_and_a_bare_port_is_loopback(
    listen: str, address: tuple[str, int]
) -> None:
    assert config_mod.loads(f'metrics: {{listen: "{listen}"}}\n').metrics.address == address
    assert config_mod.loads("telegram: {}\n").metrics.address is None  # off by default


@pytest.mark.parametrize("listen", ["metrics.example:9108", "127.0.0.1:70000", "port", ""])
def test_a_bad_metrics_address_is_an_error_naming_the_key_and_line(listen: str) -> None:
    from alerts.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        config_mod.loads(f'state: x.db\nmetrics:\n  listen: "{listen}"\n')
    (problem,) = raised.value.problems
    assert (problem.path, problem.line) == ("metrics.listen", 3)
