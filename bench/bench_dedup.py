"""Dedup at scale: judging a new story against a 100,000-story window, against extractOne.

Issue 4's goal: with 100,000 stories in the window, the median cost of judging one new story
is <= 1 ms and at least 50 times less than rapidfuzz.process.extractOne(query, window,
scorer=fuzz.token_set_ratio, processor=default_process) over the whole window, measured in the
same run; resident memory of the window <= 200 MB.

Titles come from the UCI News Aggregator slice in ../shared/data/streams (real headlines),
each varied by a few words to reach 100,000 distinct stories; queries are half retellings of
window stories, half new headlines.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.dedup.window import Entry, StoryWindow
from alerts.dedup.words import comparable_title
from alerts.models import StoryKey

STREAM = ROOT.parent / "shared" / "data" / "streams" / "uci-news-aggregator-2014-03-slice.tsv"
WINDOW, QUERIES, BASELINE_QUERIES, CHAT = 100_000, 400, 20, "@bench"


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


def main() -> int:
    rng = random.Random(20261128)
    base = headlines()
    vocabulary = sorted({w for t in base for w in t.split()})
    titles = [vary(base[i % len(base)], vocabulary, rng) if i >= len(base) else base[i]
              for i in range(WINDOW)]  # fmt: skip
    gc.collect()
    before = rss_mb()
    window = StoryWindow(88)
    for n, title in enumerate(titles):
        window.add(CHAT, Entry(StoryKey(comparable_title(title), f"https://x/{n}"), str(n), n))
    gc.collect()
    memory = rss_mb() - before
    queries = [
        vary(rng.choice(titles), vocabulary, rng)
        if q % 2
        else vary(rng.choice(base), vocabulary, rng) + " update"
        for q in range(QUERIES)
    ]

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

    ours_ms, base_ms = statistics.median(ours), statistics.median(baseline)
    ratio = base_ms / ours_ms
    print(
        f"dedup benchmark: window of {len(window):,} stories, {QUERIES} new stories "
        f"({found} judged retellings)"
    )
    print(f"  ours (comparable_title + window.find), median: {ours_ms:8.3f} ms  (goal <= 1 ms)")
    print(
        f"  ours, 95th percentile:                          "
        f"{statistics.quantiles(ours, n=20)[-1]:8.3f} ms"
    )
    print(f"  extractOne token_set_ratio over the window:     {base_ms:8.1f} ms")
    print(f"  ratio extractOne/ours:                          {ratio:8.0f} x   (goal >= 50 x)")
    print(f"  window resident memory:                         {memory:8.1f} MB  (goal <= 200 MB)")
    ok = ours_ms <= 1.0 and ratio >= 50 and memory <= 200
    print("  dedup goals:", "MET" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
