"""Backtest speed: ``bot.py backtest --since 7d`` over 7 days of stories at 1,000 feeds.

Issue 17's goal: a backtest over 7 days of stored stories at 1,000 feeds (about 200,000 items)
finishes within 30 s. The state file is written as the bot writes it (``Store.update_feed``, one
trip of 4 new items per feed every 3.4 hours, feeds interleaved in time), with real headlines
(the UCI stream, cycled: more retellings than real feeds have, so dedup works harder) and a
description of a few sentences and a link; the config has the 1,000 feeds and 50 rules
over the stream's names ranked 600 to 650 by frequency, for 3 chats: some 22% of the items
match a rule (4,377 alerts of 20,000 items at 100 feeds), a heavy match rate, not a trivial
one. The replay matches, keys, summarises and renders the items in 2 child processes
(``alerts.backtest_judge``), and compares the items that can only join a story (by title)
in a last pass over 2 more (``alerts.backtest_joins``).
The backtest runs as the command does, a
whole process, start-up included. Baseline, in the same run: the rules engine alone
(``RuleSet.match``) over the same items, already in memory; the ratio says what the replay
(reading, dedup, rendering) adds to matching. Also: the bytes each kept item costs in the state
file (SQLite's dbstat: the table, its index, the feed numbers), for these items and for the
real feeds' items in tests/data/items.

    python bench/bench_backtest.py [--feeds N]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser

from alerts import config as config_mod
from alerts.decide import item_content
from alerts.models import FeedItem, FeedUpdateIntent
from alerts.pipeline import compile_rules
from alerts.store import Store

STREAM = ROOT.parent / "shared" / "data" / "streams" / "uci-news-aggregator-2014-03-slice.tsv"
ITEMS_PER_FEED, PER_TRIP, RULES, CHATS, DAYS = 200, 4, 50, 3, 7
SKIP_NAMES = 600  # the most frequent names of this 36-hour slice are in a quarter of its titles
GOAL_S = 30.0
KEPT = ("item_log", "item_log_seen", "item_feeds", "sqlite_autoindex_item_feeds_1")


def headlines() -> list[str]:
    lines = STREAM.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t")[6] for line in lines if line.count("\t") >= 7]


def names(titles: list[str], count: int) -> list[str]:
    """Capitalised words not at a title's start (names, mostly), past the SKIP_NAMES most
    frequent: watch rules are about some stories, not a quarter of them."""
    words: collections.Counter[str] = collections.Counter()
    for title in titles:
        words.update(w for w in re.findall(r"[A-Za-z]+", title)[1:] if w[:1].isupper())
    return [w for w, _ in words.most_common() if len(w) > 3][SKIP_NAMES : SKIP_NAMES + count]


def write_config(work: Path, feeds: int, terms: list[str]) -> Path:
    lines = [f'  - {{url: "https://feed{f}.example/rss", name: Feed {f}}}' for f in range(feeds)]
    rules = [f'  - {{name: "{t}", any: ["{t}"], chat: "@chat{i % CHATS}"}}'
             for i, t in enumerate(terms)]  # fmt: skip
    path = work / "config.yaml"
    # The semantic stage is off: it embeds every matched story with a model (15 ms or so a
    # title here), which this benchmark does not measure.
    path.write_text('telegram: {chat: "@alerts"}\nstate: state.db\ndedup: {semantic: false}\n'
                    "feeds:\n"
                    + "\n".join(lines) + "\nrules:\n" + "\n".join(rules) + "\n")  # fmt: skip
    return path


def story(titles: list[str], n: int, feed: int, when: datetime) -> FeedItem:
    title = titles[n % len(titles)]
    more = ". ".join(titles[(n * 7 + k) % len(titles)] for k in (1, 2))
    href = f"https://feed{feed}.example/{n}?utm_source=rss"
    html = (f"<p>{escape(title)}. {escape(more)}.</p><p>Read the full story at "
            f'<a href="{href}">Feed {feed}</a>.</p>')  # fmt: skip
    link = f"https://feed{feed}.example/{n}"
    return FeedItem(f"https://feed{feed}.example/rss", link, title, link, html, when, "")


def fill(path: Path, feeds: int, titles: list[str]) -> tuple[int, float, list[FeedItem]]:
    """Write every trip as the bot does; (items, seconds, the items) ."""
    store = Store(path)
    now = datetime.now(UTC)
    start = now - timedelta(days=DAYS) + timedelta(minutes=30)
    trips = ITEMS_PER_FEED // PER_TRIP
    step = (now - start - timedelta(minutes=30)) / trips
    written: list[FeedItem] = []
    took = 0.0
    for r in range(trips):
        for f in range(feeds):
            at = start + r * step + f * step / feeds
            items = [story(titles, (r * feeds + f) * PER_TRIP + k, f, at) for k in range(PER_TRIP)]
            written += items
            began = time.perf_counter()
            intent = FeedUpdateIntent(items[0].feed_url, "ok",
                                      contents=tuple(item_content(i) for i in items))  # fmt: skip
            store.update_feed(intent, at)
            took += time.perf_counter() - began
    store.close()
    return len(written), took, written


def kept_bytes(path: Path) -> int:
    with sqlite3.connect(path) as db:
        marks = ",".join("?" * len(KEPT))
        row = db.execute(f"SELECT SUM(pgsize) FROM dbstat WHERE name IN ({marks})", KEPT)
        return int(row.fetchone()[0])


def real_items_bytes(work: Path) -> tuple[int, float, float]:
    """(items, bytes kept per item, HTML bytes per item) for the real feeds in tests/data."""
    path = work / "real.db"
    store = Store(path)
    count = html = 0
    now = datetime.now(UTC)
    for n, file in enumerate(sorted((ROOT / "tests" / "data" / "items").glob("*.xml"))):
        items = []
        for e in feedparser.parse(str(file)).entries:
            body = (e.get("content") or [{}])[0].get("value") or e.get("summary", "")
            link = e.get("link", f"https://x.example/{n}/{len(items)}")
            items.append(FeedItem(f"https://real{n}.example/", e.get("id", link),
                                  e.get("title", ""), link, body, now, ""))  # fmt: skip
            html += len(body.encode())
        intent = FeedUpdateIntent(f"https://real{n}.example/", "ok",
                                  contents=tuple(item_content(i) for i in items))  # fmt: skip
        store.update_feed(intent, now)
        count += len(items)
    store.close()
    with sqlite3.connect(path) as db:  # too few items for whole pages: the columns' bytes
        row = db.execute("SELECT SUM(length(title) + length(link) + IFNULL(length(guid), 0)"
                         " + length(body) + 20) FROM item_log")  # + times, ids  # fmt: skip
        kept = int(row.fetchone()[0])
    return count, kept / count, html / count


def rules_alone(config_path: Path, items: list[FeedItem]) -> float:
    config = config_mod.load(config_path)
    rules = compile_rules(config)
    labels = {f.url: frozenset([f.display_name]) for f in config.feeds}
    began = time.perf_counter()
    for item in items:
        rules.match(item, labels[item.feed_url])
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=int(os.environ.get("BENCH_FEEDS", 1000)))
    feeds = parser.parse_args().feeds
    titles = headlines()
    with tempfile.TemporaryDirectory(prefix="alerts-bench-backtest-") as tmp:
        work = Path(tmp)
        config = write_config(work, feeds, names(titles, RULES))
        state = work / "state.db"
        print(f"writing {feeds * ITEMS_PER_FEED:,} items as the bot does ...", flush=True)
        count, write_s, items = fill(state, feeds, titles)
        per_item = kept_bytes(state) / count
        began = time.perf_counter()
        done = subprocess.run([sys.executable, str(ROOT / "bot.py"), "backtest", "--config",
                               str(config), "--since", f"{DAYS}d"], capture_output=True,
                              text=True, cwd=ROOT)  # fmt: skip
        wall = time.perf_counter() - began
        if done.returncode:
            print(done.stderr)
            return 1
        alone = rules_alone(config, items)
        real = real_items_bytes(work)
    report(count, wall, alone, per_item, write_s, real, done.stdout)
    return 0 if wall <= GOAL_S else 1


def report(count: int, wall: float, alone: float, per_item: float, write_s: float,
           real: tuple[int, float, float], out: str) -> None:  # fmt: skip
    head = out.splitlines()[0]
    sends = [line for line in out.splitlines() if line.endswith("would be sent")]
    matched = sum(int(line.split(":")[1].split()[0]) for line in sends)
    print(
        f"\nbacktest over {DAYS} days: {count:,} items, {RULES} rules for {CHATS} chats, "
        f"{matched:,} alerts ({matched / count:.1%}); dedup by strings (semantic off)"
    )
    print(f"  {head}")
    print("".join(f"  {line.strip()}\n" for line in sends), end="")
    print(f"  backtest, whole process:     {wall:8.2f} s  ({count / wall:,.0f} items/s)")
    print(f"  rules engine alone:          {alone:8.2f} s  ({count / alone:,.0f} items/s)")
    print(f"  ratio backtest / rules alone: {wall / alone:7.2f}")
    print(
        f"  kept per item (these items): {per_item:8.0f} bytes; written in "
        f"{write_s / count * 1e6:.0f} us per item (the whole update_feed)"
    )
    print(
        f"  kept per item (real feeds, {real[0]} items, columns only): {real[1]:.0f} bytes "
        f"(their HTML: {real[2]:.0f} bytes)"
    )
    verdict = "met" if wall <= GOAL_S else "NOT MET"
    print(f"  goal: {wall:.1f} s <= {GOAL_S:g} s: {verdict}")


if __name__ == "__main__":
    sys.exit(main())
