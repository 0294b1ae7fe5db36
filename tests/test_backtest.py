"""bot.py backtest: the kept items (store.history), their skeletons (text.skeleton), and a
backtest that matches what a live run sent, changing nothing."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from alerts.errors import StoreError
from alerts.models import FeedUpdateIntent, ItemContent
from alerts.store import Store, pg
from alerts.store.history import History
from alerts.text.html import html_to_text
from alerts.text.skeleton import skeleton
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import KIM, ROOT, TOKEN, bot, news_item, shared_path

BOT_TOKEN = TOKEN

KIM_AGAIN = "North Korea's Kim Jong Un meets Putin in Vladivostok for talks on arms"
OTHER = "Kim Jong-un and Putin sign pact on space cooperation"
GRAIN = "Ukraine grain deal extended for another four months"
GRAIN_AGAIN = "Ukraine grain deal is extended for four more months"


def write_config(tmp: Path, feeds: FeedServer, api: FakeBotAPI, extra_rule: str = "") -> Path:
    """Two feeds, two rules for two chats (``extra_rule``: one more, YAML)."""
    path = tmp / ("candidate.yaml" if extra_rule else "config.yaml")
    path.write_text(f"""\
telegram:
  chat: "@alerts"
  api_url: {api.base_url}
state: state.db
polling:
  timeout: 5s
feeds:
  - {{url: "{feeds.url("/a.xml")}", name: Alpha}}
  - {{url: "{feeds.url("/b.xml")}", name: Beta, tags: [wires]}}
entities:
  Kim Jong-un: [Kim Jong Un, North Korean leader]
  Vladimir Putin: [Putin]
rules:
  - name: Kim and Putin
    all: [Kim Jong-un, Vladimir Putin]
  - {{name: Grain, any: [grain], chat: "@markets"}}
{extra_rule}""")
    return path


def run_once(config: Path, **env: str) -> None:
    done = bot("run", "--once", "--config", str(config), **env)
    assert done.returncode == 0, done.stderr


def backtest(
    config: Path, *args: str, **env: str
) -> tuple[list[dict[str, object]], dict[str, object]]:
    done = bot("backtest", "--config", str(config), "--jsonl", *args, **env)
    assert done.returncode == 0, done.stderr
    *alerts, counts = [json.loads(line) for line in done.stdout.splitlines()]
    return alerts, counts


def live_run(tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI, **env: str) -> Path:
    """Three run --once cycles of the live bot: first sight, then two rounds of stories with
    retellings (in one feed and across feeds) for both chats."""
    feeds.set("/a.xml", rss([news_item(1, "Putin visits Kim Jong-un"), news_item(2, "Weather")]))
    feeds.set("/b.xml", rss([news_item(3, "Markets")]))
    config = write_config(tmp_path, feeds, telegram)
    run_once(config, **env)
    assert telegram.messages == []  # first sight: recorded, not alerted, not kept
    feeds.set("/a.xml", rss([news_item(4, KIM), news_item(5, OTHER), news_item(6, GRAIN)]))
    feeds.set("/b.xml", rss([news_item(7, KIM_AGAIN), news_item(8, "Ukraine wheat harvest")]))
    run_once(config, **env)
    feeds.set("/a.xml", rss([news_item(9, "Kim Jong-un says Putin talks went well")]))
    feeds.set("/b.xml", rss([news_item(10, GRAIN_AGAIN), news_item(11, "Grain prices fall")]))
    run_once(config, **env)
    return config


@pytest.fixture
def lived(tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI) -> Path:
    """The live run on a SQLite state file."""
    return live_run(tmp_path, feeds, telegram)


def would_send_per_chat(alerts: list[dict[str, object]]) -> dict[str, list[str]]:
    would: dict[str, list[str]] = {}
    for alert in alerts:
        would.setdefault(str(alert["chat"]), []).append(str(alert["text"]))
    return would


def sent_per_chat(telegram: FakeBotAPI) -> dict[str, list[str]]:
    """The texts the live bot sent, per chat, without the "Also:" line (added at send time)."""
    sent: dict[str, list[str]] = {}
    for m in telegram.messages:
        sent.setdefault(m.chat_id, []).append(m.text.split("\n<i>Also: ")[0])
    return sent


def test_backtest_matches_what_the_live_run_sent(lived: Path, telegram: FakeBotAPI) -> None:
    state = lived.parent / "state.db"
    before = hashlib.sha256(state.read_bytes()).hexdigest()
    alerts, counts = backtest(lived, "--since", "1d")
    live = sent_per_chat(telegram)
    assert set(live) == {"@alerts", "@markets"}
    assert would_send_per_chat(alerts) == live  # the same alerts and texts, in order, per chat
    assert counts["judged"] == 8  # the items that could alert; first sights are not kept
    rows = {(c["chat"], c["rule"]): c for c in counts["counts"]}  # type: ignore[union-attr]
    kim = rows[("@alerts", "Kim and Putin")]
    assert (kim["matched"], kim["deduped"], kim["would_send"]) == (4, 1, 3)
    grain = rows[("@markets", "Grain")]
    assert (grain["matched"], grain["deduped"], grain["would_send"]) == (3, 1, 2)
    beta_joined = [a for a in alerts if a["title"] == KIM]
    assert beta_joined[0]["also"] == ["Beta"]  # its retelling in Beta joined the story
    assert hashlib.sha256(state.read_bytes()).hexdigest() == before  # nothing written


def test_candidate_config_and_one_rule(
    lived: Path, feeds: FeedServer, telegram: FakeBotAPI
) -> None:
    candidate = write_config(
        lived.parent, feeds, telegram, "  - {name: Weather, any: [wheat], feeds: [wires]}\n"
    )
    alerts, counts = backtest(candidate)
    assert [a["title"] for a in alerts if a["rule"] == "Weather"] == ["Ukraine wheat harvest"]
    assert len(alerts) == len(telegram.messages) + 1
    only, counts = backtest(lived, "--rule", "Grain")
    assert [a["title"] for a in only] == [GRAIN, "Grain prices fall"]
    assert {c["rule"] for c in counts["counts"]} == {None, "Grain"}  # type: ignore[union-attr]
    unknown = bot("backtest", "--config", str(lived), "--rule", "Nope")
    assert unknown.returncode == 1 and "no rule named 'Nope'" in unknown.stderr


def test_human_output_per_chat_with_counts(lived: Path) -> None:
    done = bot("backtest", "--config", str(lived), "--since", "2h")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "items judged: 8" in out and "nothing sent or changed" in out
    assert "@alerts: 3 would be sent" in out and "@markets: 2 would be sent" in out
    assert f"[Kim and Putin]  {KIM}  https://news.example/4  (also: Beta)" in out
    assert "matched deduped would send" in " ".join(out.split())


def test_backtest_period_and_a_state_without_items(lived: Path, tmp_path: Path) -> None:
    with sqlite3.connect(lived.parent / "state.db") as db:  # every item seen 3 days ago
        db.execute("UPDATE item_log SET seen_at = seen_at - 3 * 86400")
    alerts, counts = backtest(lived, "--since", "2d")  # nothing was seen that recently
    assert (alerts, counts["judged"]) == ([], 0)
    alerts, counts = backtest(lived, "--since", "4d")
    assert len(alerts) == 5 and counts["judged"] == 8  # as the live run, seen 3 days ago
    fresh = tmp_path / "old.db"
    with sqlite3.connect(fresh) as db:
        db.execute("CREATE TABLE items (feed_url TEXT)")  # a state file of an older bot
    done = bot("backtest", "--config", str(lived), "--state", str(fresh))
    assert done.returncode == 1 and "keeps no items yet" in done.stderr
    assert "item_log" not in {r[0] for r in sqlite3.connect(fresh).execute(
        "SELECT name FROM sqlite_master")}  # fmt: skip


def test_backtest_of_a_postgresql_state_matches_the_live_run_read_only(
    tmp_path: Path, feeds: FeedServer, telegram: FakeBotAPI, pg_url: str
) -> None:
    config = live_run(tmp_path, feeds, telegram, DATABASE_URL=pg_url)
    assert not (tmp_path / "state.db").exists()  # the live run's state is the database
    with pg.read_only(pg_url, "test") as tx:
        before = tx.execute("SELECT COUNT(*), MAX(id) FROM item_log").fetchone()
    with pytest.raises(StoreError, match="read-only transaction"), pg.read_only(pg_url, "t") as tx:
        tx.execute("DELETE FROM item_log")  # the reader's transaction refuses writes
    alerts, counts = backtest(config, "--since", "1d", DATABASE_URL=pg_url)
    assert would_send_per_chat(alerts) == sent_per_chat(telegram)
    assert counts["judged"] == 8 == before[0]
    via_state, _ = backtest(config, "--state", pg_url)  # --state names a database too
    assert via_state == alerts
    with pg.read_only(pg_url, "test") as tx:
        assert tx.execute("SELECT COUNT(*), MAX(id) FROM item_log").fetchone() == before


def test_a_postgresql_state_without_kept_items(pg_url: str, lived: Path) -> None:
    done = bot("backtest", "--config", str(lived), "--state", pg_url)  # an empty schema
    assert done.returncode == 1 and "keeps no items yet" in done.stderr
    with pg.read_only(pg_url, "test") as tx:  # and the backtest created nothing there
        assert tx.execute("SELECT COUNT(*) FROM information_schema.tables"
                          " WHERE table_schema = current_schema()").fetchone() == (0,)  # fmt: skip


# ---------------------------------------------------------------- the store's kept items

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def content(n: int, body: str = "<p>Text</p>", guid: str | None = None) -> ItemContent:
    link = f"https://news.example/{n}"
    return ItemContent(guid or link, f"Story {n}", link, NOW - timedelta(hours=1), body)


def test_kept_items_round_trip_in_order_and_are_pruned(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store(path)
    long_body = "<p>" + "A long paragraph of the article, sentence after sentence. " * 40 + "</p>"
    first = (content(1), content(2, long_body, guid="tag:x,2025:2"), content(3, "plain"))
    store.update_feed(FeedUpdateIntent("https://a.example/f", "ok", contents=first), NOW)
    later = NOW + timedelta(days=2)
    store.update_feed(FeedUpdateIntent("https://b.example/f", "ok", contents=(content(4),)), later)
    store.update_feed(FeedUpdateIntent("https://a.example/f", "not_modified"), later)
    history = History(path)
    items = list(history.items(NOW - timedelta(days=1)))
    assert [(i.feed_url, i.content) for i in items] == [
        *(("https://a.example/f", c) for c in first),
        ("https://b.example/f", content(4)),
    ]
    assert [i.seen_at for i in items] == [NOW.timestamp()] * 3 + [later.timestamp()]
    assert history.count(later) == 1
    with sqlite3.connect(path) as db:
        kinds = [bytes(r[0][:1]) for r in db.execute("SELECT body FROM item_log ORDER BY id")]
        guids = [r[0] for r in db.execute("SELECT guid FROM item_log ORDER BY id")]
        assert db.execute("SELECT COUNT(*) FROM item_feeds").fetchone()[0] == 2
    assert kinds == [b"T", b"Z", b"T", b"T"]  # compressed only when smaller
    assert guids == [None, "tag:x,2025:2", None, None]  # the guid only when not the link
    store.prune(later + timedelta(hours=1), timedelta(days=1), timedelta(hours=1))
    assert [i.content for i in history.items(NOW - timedelta(days=9))] == [content(4)]
    history.close()
    store.close()


def test_history_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store(path).close()
    history = History(path)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        history._db.execute("DELETE FROM item_log")
    history.close()


# ---------------------------------------------------------------- skeletons


def corpus() -> list[str]:
    """Every item's HTML in the project's real feeds and feedparser's corpus."""
    files = sorted((ROOT / "tests" / "data" / "items").glob("*.xml"))
    files += sorted(shared_path("data/feedparser-corpus").rglob("*.xml"))
    htmls = []
    for file in files:
        for entry in feedparser.parse(str(file)).entries:
            htmls += [c.get("value", "") for c in entry.get("content", [])]
            htmls += [entry["summary"]] if entry.get("summary") else []
    return htmls


def test_a_skeleton_reads_as_its_html_does() -> None:
    htmls = corpus()
    assert len(htmls) > 1000
    for html in htmls:
        kept = skeleton(html)
        for link_lists in (True, False):  # the rules' text and the summary's
            assert html_to_text(kept, link_lists=link_lists) == html_to_text(
                html, link_lists=link_lists
            ), html
    assert sum(map(len, map(skeleton, htmls))) < 0.6 * sum(map(len, htmls))


def test_a_skeleton_keeps_what_the_link_list_rule_counts() -> None:
    related = (
        '<ul><li><a href="https://n.example/1"><b>Headline</b> one</a> <font>Paper</font></li>'
        '<li><a href="/2" class="x">Headline two</a>&nbsp;Site</li></ul>'
        '<p>Body <img src="p.png"/> text<script>var x = "<p>";</script> &amp;amp; more</p>'
    )
    kept = skeleton(related)
    assert "href=x" in kept and "script" in kept and "var x" not in kept and "src" not in kept
    for link_lists in (True, False):
        assert html_to_text(kept, link_lists=link_lists) == html_to_text(
            related, link_lists=link_lists
        )
    assert html_to_text(kept, link_lists=False) == "Body text & more"
