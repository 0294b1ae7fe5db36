"""Dedup at scale: judging a new story against a 100,000-story window, string-only against
extractOne, then with the semantic stage and its embeddings included.

Issue 4's goals (the string stage): with 100,000 stories in the window, the median cost of
judging one new story is <= 1 ms and at least 50 times less than
rapidfuzz.process.extractOne(query, window, scorer=fuzz.token_set_ratio,
processor=default_process) over the whole window, measured in the same run; resident memory of
the window <= 200 MB.

Issue 14's goals (the semantic stage): dedup per matched story, embedding included, median <= 5
ms and p95 <= 15 ms at the same window; peak resident memory of the process with the model
loaded and the 100,000-story window <= 300 MB. The semantic path is the bot's: the window's
string candidates, then, for those where ``verdict.needs_cosine`` holds, the vectors of the
story and of those candidates (each story embedded once, on first need, into a dict of
vectors), their ``cosines`` and ``verdict.judge``. Until ``StoryWindow.find`` runs that stage
itself, ``Semantic.find`` below does it beside the window (with the window's private
``_candidates``); once it does, the line ``find = stage.find`` in ``semantic_figures`` becomes
``find = lambda w, key: w.find(CHAT, key) is not None`` and nothing else changes. The peak memory
is measured twice: with the vectors the queries needed, and with a vector for every story of
the window (as after a restart that loads the stored vectors; random int8 codes of the model's
size, since embedding 100,000 titles takes half an hour on this machine).

Titles come from the UCI News Aggregator slice in ../shared/data/streams (real headlines),
each varied by a few words to reach 100,000 distinct stories; queries are half retellings of
window stories, half new headlines.
"""

from __future__ import annotations

import gc
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.dedup.embed import Counting, load_embedder
from alerts.dedup.keys import story_key
from alerts.dedup.scoring import judge_titles
from alerts.dedup.vectors import Vector, cosines
from alerts.dedup.verdict import SemanticPolicy, judge, needs_cosine
from alerts.dedup.window import Entry, StoryWindow, _candidates
from alerts.dedup.words import comparable_title
from alerts.errors import EmbedderError
from alerts.models import StoryKey

STREAM = ROOT.parent / "shared" / "data" / "streams" / "uci-news-aggregator-2014-03-slice.tsv"
WINDOW, QUERIES, BASELINE_QUERIES, CHAT = 100_000, 400, 20, "@bench"
SEMANTIC_QUERIES, WARMUP = 200, 5  # each may embed up to 21 texts at some 20 ms each
POLICY = SemanticPolicy()


def headlines() -> list[str]:
    if not STREAM.exists():
        print(f"(no {STREAM}: using synthetic headlines)")
        rng = random.Random(1)
        words = [f"w{i}" for i in range(5000)]
        return [" ".join(rng.choice(words) for _ in range(9)) for _ in range(6000)]
    lines = STREAM.read_text(encoding="utf-8").splitlines()[1:]
    return list(dict.fromkeys(line.split("\t")[6] for line in lines if line.count("\t") >= 7))


def vary(title: str, vocabulary: list[str], rng: random.Random) -> str:
    words = title.split()
    for _ in range(rng.randint(1, 3)):
        words[rng.randrange(len(words))] = rng.choice(vocabulary)
    return " ".join(words)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


class Semantic:
    """The semantic stage beside the window: the embedder, and each story's vector once
    computed (window stories by id, queries by title)."""

    def __init__(self, embedder: Counting) -> None:
        self.embedder = embedder
        self.vectors: dict[int, Vector] = {}
        self.queries: dict[str, Vector] = {}

    def find(self, window: StoryWindow, key: StoryKey) -> bool:
        """Whether ``key`` retells a story of the window, by the bot's combined verdict."""
        if window.find(CHAT, key) is not None:  # identity, then the string stage's fast path
            return True
        chat = window._chats[CHAT]
        ids = _candidates(chat, key.title)
        judged = [(i, judge_titles(key, chat.entries[i].key)) for i in ids]
        needing = [i for i, title in judged if needs_cosine(title, POLICY)]
        found = dict(zip(needing, self._cosines(chat.entries, needing, key), strict=True))
        return any(judge(t, found.get(i), None, POLICY).same for i, t in judged)

    def _cosines(self, entries: dict[int, Entry], ids: list[int], key: StoryKey) -> list[float]:
        """The cosines of the story with the candidates ``ids``, embedding what is missing in
        one call (the story itself, and candidates never needed before)."""
        if not ids:
            return []
        missing = [i for i in ids if i not in self.vectors]
        texts = [entries[i].key.raw_title for i in missing]
        fresh = key.raw_title not in self.queries
        vectors = self.embedder.embed(([key.raw_title] if fresh else []) + texts)
        if fresh:
            self.queries[key.raw_title] = vectors.pop(0)
        self.vectors.update(zip(missing, vectors, strict=True))
        return cosines(self.queries[key.raw_title], [self.vectors[i] for i in ids])


def string_figures(window: StoryWindow, titles: list[str], queries: list[str]) -> list[float]:
    """Today's figures: ms per story of comparable_title + window.find, and extractOne's."""
    ours, found = [], 0
    for query in queries:
        started = time.perf_counter()
        hit = window.find(CHAT, StoryKey(comparable_title(query), ""))
        ours.append((time.perf_counter() - started) * 1000)
        found += hit is not None
    baseline = []
    for query in queries[:BASELINE_QUERIES]:
        started = time.perf_counter()
        process.extractOne(query, titles, scorer=fuzz.token_set_ratio, processor=default_process)
        baseline.append((time.perf_counter() - started) * 1000)
    print(f"  string stage: {len(queries)} new stories ({found} judged retellings)")
    return [statistics.median(ours), p95(ours), statistics.median(baseline)]


def semantic_figures(window: StoryWindow, queries: list[str]) -> tuple[list[float], Semantic]:
    """ms per matched story of the combined verdict, embedding included (the model loaded and
    warmed on a few stories first, as a running bot has it): first with every vector computed
    on first need, then again with the candidates' vectors kept (as when each alerted story's
    vector is stored with it) and only the story's own vector computed anew."""
    stage = Semantic(load_embedder())
    find = stage.find  # once StoryWindow.find runs the semantic stage: window.find with CHAT
    for query in queries[-WARMUP:]:
        find(window, story_key(query, ""))
    figures = []
    for label in ("every vector on first need", "candidates' vectors stored"):
        stage.queries.clear()
        before = stage.embedder.texts
        times, found = timed(find, window, queries[:SEMANTIC_QUERIES])
        figures += [statistics.median(times), p95(times)]
        print(
            f"  semantic stage, {label}: {len(times)} new stories ({found} judged"
            f" retellings), {stage.embedder.texts - before} texts embedded,"
            f" {sum(1 for t in times if t > 5)} stories over 5 ms"
        )
    return figures, stage


def timed(
    find: Callable[[StoryWindow, StoryKey], bool], window: StoryWindow, queries: list[str]
) -> tuple[list[float], int]:
    """ms per story of ``find`` and how many stories it took for retellings."""
    times, found = [], 0
    for query in queries:
        key = story_key(query, "")
        started = time.perf_counter()
        found += find(window, key)
        times.append((time.perf_counter() - started) * 1000)
    return times, found


def build(titles: list[str]) -> tuple[StoryWindow, float]:
    """The window of ``titles`` (raw titles kept, as the bot's keys have them) and its MB."""
    gc.collect()
    before = rss_mb()
    window = StoryWindow(88)
    for n, title in enumerate(titles):
        window.add(CHAT, Entry(story_key(title, f"https://x/{n}"), str(n), n))
    gc.collect()
    return window, rss_mb() - before


def every_vector(stage: Semantic, size: int) -> None:
    """A vector for every story of the window (random codes of the model's size)."""
    dim = len(next(iter(stage.vectors.values()), bytes(384)))
    rng = random.Random(7)
    for i in range(size):
        stage.vectors.setdefault(i, rng.randbytes(dim))


def main() -> int:
    rng = random.Random(20261128)
    base = headlines()
    vocabulary = sorted({w for t in base for w in t.split()})
    titles = [vary(base[i % len(base)], vocabulary, rng) if i >= len(base) else base[i]
              for i in range(WINDOW)]  # fmt: skip
    window, memory = build(titles)
    queries = [
        vary(rng.choice(titles), vocabulary, rng)
        if q % 2
        else vary(rng.choice(base), vocabulary, rng) + " update"
        for q in range(QUERIES)
    ]
    print(f"dedup benchmark: window of {len(window):,} stories")
    ours_ms, ours_p95, base_ms = string_figures(window, titles, queries)
    ratio = base_ms / ours_ms
    print(f"  ours (comparable_title + window.find), median: {ours_ms:8.3f} ms  (goal <= 1 ms)")
    print(f"  ours, 95th percentile:                          {ours_p95:8.3f} ms")
    print(f"  extractOne token_set_ratio over the window:     {base_ms:8.1f} ms")
    print(f"  ratio extractOne/ours:                          {ratio:8.0f} x   (goal >= 50 x)")
    print(f"  window resident memory:                         {memory:8.1f} MB  (goal <= 200 MB)")
    string_ok = ours_ms <= 1.0 and ratio >= 50 and memory <= 200
    print("  string dedup goals:", "MET" if string_ok else "NOT MET")
    try:
        semantic_ok = semantic(window, queries)
    except EmbedderError as e:
        print(f"  semantic stage: cannot be measured: {e.reason}")
        semantic_ok = False
    return 0 if string_ok and semantic_ok else 1


def semantic(window: StoryWindow, queries: list[str]) -> bool:
    (median, high, stored_median, stored_high), stage = semantic_figures(window, queries)
    needed = len(stage.vectors)
    lazy = peak_mb()
    every_vector(stage, WINDOW)
    gc.collect()
    full = peak_mb()
    print(f"  per matched story, embedding included, median:  {median:8.3f} ms  (goal <= 5 ms)")
    print(f"  per matched story, 95th percentile:             {high:8.3f} ms  (goal <= 15 ms)")
    print(f"  the same, candidates' vectors stored, median:   {stored_median:8.3f} ms")
    print(f"  the same, candidates' vectors stored, p95:      {stored_high:8.3f} ms")
    print(f"  peak resident memory, model + window + the {needed} vectors needed: {lazy:6.1f} MB")
    print(f"  peak resident memory, model + window + a vector for every story:"
          f"  {full:6.1f} MB  (goal <= 300 MB)")  # fmt: skip
    ok = median <= 5 and high <= 15 and full <= 300
    print("  semantic dedup goals:", "MET" if ok else "NOT MET")
    return ok


if __name__ == "__main__":
    sys.exit(main())
