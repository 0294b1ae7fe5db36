"""The backtest's last pass (alerts.backtest_joins): the joins of the items no rule matched,
found after the replay, in this process or in child processes, are the joins the live trip's
``Stories`` finds itself when it compares every item as it goes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts import backtest, backtest_joins
from alerts import config as config_mod
from alerts.backtest import Replay, Report
from alerts.backtest_judge import Judge
from alerts.config import Config
from alerts.dedup.embed_memo import Memo
from alerts.models import ItemContent
from alerts.store.history import SeenItem
from alerts.stories import Stories
from tests.test_semantic import Table

FEEDS = ("Alpha", "Beta", "Gamma", "Delta")
STORIES = [  # (title, its retelling): the retelling reworded but the same story by title
    ("Earthquake of magnitude 7 hits Peru coast near Lima",
     "Magnitude 7 earthquake hits Peru coast near Lima"),
    ("Ukraine grain deal extended for four months",
     "Ukraine grain deal is extended for another four months"),
    ("Earthquake shakes Japan's northern Hokkaido island",
     "Strong earthquake shakes northern Hokkaido island in Japan"),
    ("Grain prices climb as drought hits US Midwest farms",
     "Grain prices climb as drought hits farms in US Midwest"),
    ("Tokyo earthquake drill held for city workers",
     "Tokyo holds earthquake drill for city workers"),
]  # fmt: skip


def config(tmp_path: Path, semantic: bool = False) -> Config:
    """Two chats; the rules fire on Alpha only, so the other feeds' retellings match nothing
    and can only join (a 3-hour window, so that stories expire within the test's day)."""
    path = tmp_path / "config.yaml"
    path.write_text(
        'telegram: {chat: "@quakes"}\nstate: state.db\n'
        f"dedup: {{window: 3h, semantic: {str(semantic).lower()}}}\n"
        "feeds:\n"
        + "".join(f'  - {{url: "https://{n.lower()}.example/rss", name: {n}}}\n' for n in FEEDS)
        + "rules:\n  - {name: Quakes, any: [earthquake], feeds: [Alpha]}\n"
        '  - {name: Grain, any: [grain], feeds: [Alpha], chat: "@markets"}\n'
    )
    return config_mod.load(path)


def kept_items() -> list[SeenItem]:
    """A day of trips: each story first in Alpha, then retold by the others, some within its
    window, some after it (a new story then, nothing to join), some in the same trip."""
    start = datetime(2026, 11, 30, tzinfo=UTC)
    items: list[SeenItem] = []
    n = itertools.count()
    for hour in range(24):
        for f, feed in enumerate(FEEDS):
            at = (start + timedelta(hours=hour, minutes=f)).timestamp()
            for k in range(2):
                s = (hour + f + k) % len(STORIES)
                title = STORIES[s][0] if f == 0 else STORIES[s][1]
                i = next(n)
                url = f"https://{feed.lower()}.example/{i}"
                body = f"<p>{title}. More about it.</p>"
                content = ItemContent(url, title, url, None, body)
                items.append(SeenItem(f"https://{feed.lower()}.example/rss", at, content))
    return items


def replayed(config: Config, items: list[SeenItem], model: bool = False) -> Report:
    """The backtest of ``items``; with ``model``, a fake model (the matched items then look
    for a story to join as they go, with meaning, and only the unmatched ones are left out)."""
    judge = Judge(config)
    replay = Replay(config, Memo(Table()) if model else None)
    replay.run(zip(items, judge.chunk(items), strict=True))
    return replay.report()


@pytest.mark.parametrize("model", [False, True], ids=["titles-only", "with-a-model"])
def test_the_last_pass_finds_the_joins_the_trip_itself_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: bool
) -> None:
    cfg, items = config(tmp_path, semantic=model), kept_items()
    last_pass = replayed(cfg, items, model)
    assert last_pass.sent and last_pass.also  # stories alerted, and retold by other feeds
    assert {s for sources in last_pass.also.values() for s in sources} >= {"Beta", "Gamma"}
    # In children, each with its share of the items: the same report.
    monkeypatch.setattr(backtest_joins, "IN_PROCESS", 0)
    assert replayed(cfg, items, model) == last_pass

    # The live trip's own way: Stories compares every item as it goes, no last pass.
    def comparing_all(*args: Any, **kwargs: Any) -> Stories:
        return Stories(*args, **{**kwargs, "joins": "all"})

    monkeypatch.setattr(backtest, "Stories", comparing_all)
    monkeypatch.setattr(backtest, "joins", lambda log, threshold, left_out, step: [])
    assert replayed(cfg, items, model) == last_pass


def test_a_retelling_after_the_window_joins_nothing(tmp_path: Path) -> None:
    """The children's window forgets stories as the replay's does (``dedup.window``)."""
    cfg = config(tmp_path)
    start = datetime(2026, 11, 30, tzinfo=UTC).timestamp()

    def seen(feed: str, title: str, at: float, i: int) -> SeenItem:
        url = f"https://{feed.lower()}.example/{i}"
        content = ItemContent(url, title, url, None, f"<p>{title}.</p>")
        return SeenItem(f"https://{feed.lower()}.example/rss", at, content)

    first, again = STORIES[0]
    items = [seen("Alpha", first, start, 0), seen("Beta", again, start + 3600, 1),
             seen("Gamma", again, start + 5 * 3600, 2)]  # fmt: skip
    report = replayed(cfg, items)
    assert [s.alert.title for s in report.sent] == [first]
    assert list(report.also.values()) == [("Beta",)]  # Gamma's came 5 h on: past the window


@pytest.mark.parametrize("children", [False, True], ids=["here", "in-children"])
def test_the_last_pass_counts_every_item_it_judges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: bool
) -> None:
    """The command's second bar moves with the pass: every item left out is counted once,
    in this process or reported by the children through their queue."""
    cfg, items = config(tmp_path), kept_items()
    monkeypatch.setattr(backtest_joins, "REPORT_EVERY", 7)  # reports in the middle and at the end
    if children:
        monkeypatch.setattr(backtest_joins, "IN_PROCESS", 0)
    replay = Replay(cfg)
    replay.replay(zip(items, Judge(cfg).chunk(items), strict=True))
    left_out, counted = replay.left_out, []
    assert left_out == len(items)  # without a model, every item is left to the last pass
    replay.last_pass(counted.append)
    assert sum(counted) == left_out and len(counted) > 2
