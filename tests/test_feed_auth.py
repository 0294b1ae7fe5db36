"""Feeds behind HTTP Basic auth (issue 13, finding 7): credentials taken out of the URL at load,
sent as an Authorization header, and never in a log line, the status or a notice."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.errors import ConfigError
from alerts.ops.status import status_text
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import Bot, bot, item

BASIC = "Basic " + base64.b64encode(b"user:secret").decode()


def one_feed(lines: str) -> config_mod.Config:
    return config_mod.loads(f"feeds:\n{lines}\n")


def test_credentials_leave_the_url_at_load() -> None:
    config = one_feed('  - {url: "https://user:s%40cret@News.example/feed?x=1", name: L}')
    feed = config.feeds[0]
    assert feed.url == "https://News.example/feed?x=1"
    assert feed.auth is not None and feed.auth.basic == ("user", "s@cret")
    assert "cret" not in repr(config)


def test_a_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_PASSWORD", "from-env")
    config = one_feed(
        '  - {url: "https://news.example/feed", auth: {user: ann, password_env: FEED_PASSWORD}}'
    )
    auth = config.feeds[0].auth
    assert auth is not None and auth.basic == ("ann", "from-env")
    assert "from-env" not in repr(config)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('  - {url: "https://n.example/f", auth: {user: ann, password_env: NO_SUCH_VARIABLE_13}}',
         r"feeds\[0\]\.auth \(line 2\): environment variable NO_SUCH_VARIABLE_13 is not set"),
        ('  - {url: "https://a:b@n.example/f", auth: {user: ann}}',
         r"feeds\[0\] \(line 2\): credentials both in the url and in auth"),
    ],
)  # fmt: skip
def test_auth_problems_are_config_errors(line: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        one_feed(line)


def feed_lines(feeds: FeedServer) -> str:
    """Three feeds with credentials in their URL: one that opens to them, one that wants other
    credentials (401), one with a token in its query that is not found (404)."""
    base = feeds.url("").replace("http://", "http://user:secret@")
    return (
        f'  - {{{{url: "{base}/f.xml", name: Locked, backfill: 5}}}}\n'
        f'  - {{{{url: "{base}/other.xml", name: Other}}}}\n'
        f'  - {{{{url: "{feeds.url("/q.xml")}?token=hush", name: Query}}}}'
    )


def serve(feeds: FeedServer) -> None:
    feeds.set("/f.xml", rss([item(1, "Earthquake hits coast")]), auth=BASIC)
    feeds.set("/other.xml", rss([]), auth="Basic b3RoZXI6Y3JlZHM=")


def test_basic_auth_is_sent_and_the_password_is_in_no_log_status_or_notice(
    tmp_path: Path, feeds: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Every record of the bot's own loggers, at DEBUG (third-party lines go through the
    formatter's redaction: the run below shows them)."""
    caplog.set_level(logging.DEBUG, logger="alerts")
    serve(feeds)
    bot_ = Bot(tmp_path, feeds, feed_lines(feeds))
    bot_.config = bot_.config.model_copy(update={
        "telegram": bot_.config.telegram.model_copy(update={"admins": [7]}),
        "polling": bot_.config.polling.model_copy(update={"broken_after": timedelta(0)}),
    })  # fmt: skip
    assert bot_.once() == 0
    out = bot_.out.getvalue()
    assert "**Earthquake hits coast**" in bot_.alerts()  # fetched with the header
    assert out.count("**Feed broken:") == 2  # the admin heard of the two others
    status = status_text(bot_.store, bot_.config)
    assert "HTTP 401" in status and "HTTP 404" in status
    assert "feed_failed" in caplog.text
    for text in (out, status, caplog.text):
        assert "secret" not in text and "hush" not in text
    assert "q.xml?token=" in out  # the notice names the feed, without the token


def test_a_run_logs_no_password_at_any_level(tmp_path: Path, feeds: FeedServer) -> None:
    serve(feeds)
    config = tmp_path / "config.yaml"
    config.write_text(
        "telegram: {chat: '@alerts', admins: [7]}\npolling: {broken_after: 0s}\n"
        f"feeds:\n{feed_lines(feeds).format()}\n"
        "rules:\n  - {name: Quakes, any: [earthquake]}\n"
    )
    run = bot("run", "--once", "--config", str(config), "--log-level", "DEBUG", token=None)
    assert run.returncode == 0, run.stderr
    assert "Earthquake hits coast" in run.stdout
    assert "feed_failed" in run.stderr
    for text in (run.stdout, run.stderr):
        assert "secret" not in text and "hush" not in text
