"""What start-up relies on: the libraries the bot's own process imports, command by command.

feedparser lives in the parse children (alerts/feeds/parse_pool.py), never in the bot's process;
trafilatura is loaded only when a feed uses ``fetch_article``; uvloop only by ``run``.

Each test runs the real ``bot.py`` as a subprocess with a ``sitecustomize`` on PYTHONPATH that,
at exit, writes the modules its process had imported to a file named by its pid and its
parent's pid; every process inherits it, so the bot's own list is the one whose parent is this
test process, and the spawned parse children's are those whose parent is the bot. (``python -X
importtime`` cannot tell them apart: the spawned children inherit the flag and the stderr.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.store import Store
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import KIM, TOKEN, bot, news_item, start_service, write_config
from tests.imports import imports_of

BOT_TOKEN = TOKEN  # the token the telegram fixture (conftest) accepts


def fresh_feeds(feeds: FeedServer) -> None:
    """Both feeds of ``write_config`` with items, so that a first poll parses them."""
    feeds.set("/a.xml", rss([news_item(1, KIM), news_item(2, "Weather")]))
    feeds.set("/b.xml", rss([news_item(3, "Markets")]))


@pytest.mark.parametrize("mode", ["--once", "--dry-run"])
def test_run_parses_in_its_children_and_runs_on_uvloop(
    tmp_path: Path, feeds: FeedServer, recorded: Path, mode: str
) -> None:
    fresh_feeds(feeds)
    run = bot("run", mode, "--config", str(write_config(tmp_path, feeds, None)), token=None)
    assert run.returncode == 0, run.stderr
    imports = imports_of(recorded)
    assert "feedparser" not in imports.bot
    assert any("feedparser" in child for child in imports.children)  # the feeds were parsed
    assert "uvloop" in imports.bot
    assert not imports.anywhere("trafilatura")  # no feed fetches articles


def test_the_service_never_imports_feedparser(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI, recorded: Path
) -> None:
    _, service = start_service(tmp_path, feeds, telegram)
    try:
        service.wait_for("commands_listening", 20)
        service.wait_for("feed_polled", 20)  # Alpha's first poll parsed its item
    finally:
        code = service.stop()
    assert code == 0
    imports = imports_of(recorded)
    assert "feedparser" not in imports.bot
    assert any("feedparser" in child for child in imports.children)
    assert "uvloop" in imports.bot
    assert not imports.anywhere("trafilatura")


ARTICLE_FEED = """\
polling: {{article_private_networks: [127.0.0.1]}}  # the test server's pages are on loopback
feeds:
  - {{url: "{feed}", name: Stubs, backfill: 5, fetch_article: {fetch_article}}}
rules:
  - {{name: Kim and Putin, all: [Kim Jong-un, Putin]}}
telegram: {{chat: "@alerts"}}
"""
ARTICLE = "<html><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"


@pytest.mark.parametrize("fetch_article", [True, False])
def test_trafilatura_only_for_a_feed_that_fetches_articles(
    tmp_path: Path, feeds: FeedServer, recorded: Path, fetch_article: bool
) -> None:
    page = feeds.set(
        "/story.html",
        ARTICLE.format(title=KIM, paragraphs=f"<p>{KIM}, officials said. {'More. ' * 80}</p>"),
        content_type="text/html; charset=utf-8",
    )
    stub = {**news_item(1, KIM), "link": page, "guid": page, "description": "Read more"}
    feed = feeds.set("/stubs.xml", rss([stub]))
    config = tmp_path / "config.yaml"
    config.write_text(ARTICLE_FEED.format(feed=feed, fetch_article=str(fetch_article).lower()))
    run = bot("run", "--once", "--config", str(config), token=None)
    assert run.returncode == 0, run.stderr
    assert KIM in run.stdout  # the stub was new, so alerted (with its article, if fetched)
    assert feeds.requests.get("/story.html", 0) == int(fetch_article)
    assert imports_of(recorded).anywhere("trafilatura") == fetch_article


COMMANDS = {
    "check": ["check", "--config", "{config}"],
    "check --schema": ["check", "--schema"],
    "explain": ["explain", "--config", "{config}", "Kim Jong Un meets Putin"],
    "similar": ["similar", "Kim meets Putin", "Putin meets Kim"],
    "status": ["status", "--config", "{config}"],
    "redrive": ["redrive", "--config", "{config}"],
    "demo": ["demo"],
    "--help": ["--help"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_other_commands_import_neither_feedparser_nor_uvloop_nor_trafilatura(
    tmp_path: Path, feeds: FeedServer, recorded: Path, command: str
) -> None:
    config = write_config(tmp_path, feeds, None)
    Store(str(tmp_path / "state.db")).close()  # status and redrive report on a state file
    args = [arg.format(config=config) for arg in COMMANDS[command]]
    run = bot(*args, token=None)
    assert run.returncode == 0, run.stdout + run.stderr
    imports = imports_of(recorded)
    for library in ("feedparser", "uvloop", "trafilatura"):
        assert library not in imports.bot, f"{command} imported {library}"
