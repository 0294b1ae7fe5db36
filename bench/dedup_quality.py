"""Dedup quality: precision and recall of the string stage, the semantic stage and the bot's
combined verdict (``alerts.dedup.verdict.judge``) on labelled headline pairs, and their costs.

Issue 14's goal, checked later on unseen pairs of the same kind: precision >= 0.98 with recall
>= 0.80 for the combined verdict at the defaults (``SemanticPolicy()``: string threshold 88,
cosine 0.95, string floor 20), on same-story against different-story headline pairs.

Two sets of pairs:

- the STS Benchmark headlines (``../shared/data/dedup``; same story = human score >= 4,
  different = score <= 2, the rest ambiguous and left out): the goal is checked here;
- the UCI News Aggregator stream (``../shared/data/streams``): pairs from one cluster (column
  ``story``) against pairs from two clusters of the same category, both published within
  ``HOURS`` of each other, drawn with a fixed seed from a fixed pool of headlines, balanced.
  The clusters are an aggregator's, not people's (identical headlines sometimes sit in two
  clusters, and a cluster can hold several developments), so its figures are rough.

Prints for each: the precision-recall curve of each stage, the plain rapidfuzz scorers at their
best threshold (the best recall with precision >= 0.98, STS only) and the result at the
defaults; then the timings: ms per text embedded (single calls, median and p95, for titles and
for title + lead sized texts; batched), and the cost per pair of each stage. Each distinct text
is embedded once, in batches; nothing is cached on disk. Exits 1 when the combined verdict
misses the goal at the defaults (or the model cannot be used), 0 otherwise or when the data is
absent.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from itertools import combinations
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality_pairs import (
    DATA,
    GOAL_PRECISION,
    GOAL_RECALL,
    ROOT,
    Pair,
    at,
    best_threshold,
    curve,
    line,
    load,
    meets_goal,
    rows,
)
from rapidfuzz import fuzz, utils

from alerts.dedup.embed import Counting, load_embedder
from alerts.dedup.keys import story_key
from alerts.dedup.scoring import TitleJudgement, judge_titles, similarity
from alerts.dedup.vectors import Vector, cosines
from alerts.dedup.verdict import SemanticPolicy, judge, needs_cosine
from alerts.dedup.words import comparable_title
from alerts.errors import EmbedderError

STREAM = ROOT.parent / "shared" / "data" / "streams" / "uci-news-aggregator-2014-03-slice.tsv"
CURVE = range(70, 101, 2)
COSINES = [0.90, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98]
HOURS, POOL, UCI_PAIRS, SEED = 6, 1000, 1500, 20260314  # UCI: pool of titles, pairs per side
BATCH = 64

A = TypeVar("A")
B = TypeVar("B")


def plain_similarities(a_title: str, b_title: str) -> dict[str, float]:
    """Plain rapidfuzz scorers on two raw titles (``default_process``), as baselines."""
    a, b = utils.default_process(a_title), utils.default_process(b_title)
    return {
        "token_set_ratio": fuzz.token_set_ratio(a, b),
        "token_sort_ratio": fuzz.token_sort_ratio(a, b),
        "ratio": fuzz.ratio(a, b),
    }


def load_stream(path: Path) -> list[Pair]:
    """Balanced UCI pairs from a seeded pool of distinct headlines: one cluster against two
    clusters of one category, within ``HOURS``; pairs of one comparable title are left out."""
    rng = random.Random(SEED)
    distinct = list({r["title"]: r for r in rows(path)}.values())
    pool = sorted(
        rng.sample(distinct, min(POOL, len(distinct))), key=lambda r: int(r["timestamp_ms"])
    )
    same: list[Pair] = []
    other: list[Pair] = []
    for a, b in combinations(pool, 2):
        near = abs(int(a["timestamp_ms"]) - int(b["timestamp_ms"])) <= HOURS * 3_600_000
        if not near or comparable_title(a["title"]) == comparable_title(b["title"]):
            continue
        if a["story"] == b["story"]:
            same.append((a["title"], b["title"], True))
        elif a["category"] == b["category"]:
            other.append((a["title"], b["title"], False))
    n = min(UCI_PAIRS, len(same), len(other))
    return rng.sample(same, n) + rng.sample(other, n)


def cost_us(scorer: Callable[[A, B], object], pairs: Sequence[tuple[A, B]]) -> float:
    """Microseconds per call, best of three runs."""
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        for a, b in pairs:
            scorer(a, b)
        runs.append(time.perf_counter() - start)
    return min(runs) / len(pairs) * 1e6


class Judged:
    """One set of pairs judged by each stage: string scores, title judgements, title cosines."""

    def __init__(self, pairs: Sequence[Pair], vectors: dict[str, Vector]) -> None:
        self.truths = [same for _, _, same in pairs]
        self.keys = [(story_key(a, ""), story_key(b, "")) for a, b, _ in pairs]
        self.strings = [similarity(a.title, b.title) for a, b in self.keys]
        self.titles = [judge_titles(a, b) for a, b in self.keys]
        self.cosines = [cosines(vectors[a], [vectors[b]])[0] for a, b, _ in pairs]

    def verdicts(self, policy: SemanticPolicy) -> list[bool]:
        """The bot's verdicts: a cosine only where the semantic stage could change one."""
        return [
            judge(t, c if needs_cosine(t, policy) else None, None, policy).same
            for t, c in zip(self.titles, self.cosines, strict=True)
        ]


def report(name: str, judged: Judged, baselines: list[dict[str, float]] | None) -> bool:
    """The curves of one set of pairs; whether the combined verdict meets the goal."""
    truths, default = judged.truths, SemanticPolicy()
    curve("string stage (alerts.dedup.scoring.similarity)", "threshold", CURVE,
          lambda s: at(judged.strings, s), truths)  # fmt: skip
    curve("semantic stage alone (title cosine)", "cosine", COSINES,
          lambda c: at(judged.cosines, c), truths)  # fmt: skip
    title = f"combined (verdict.judge, threshold {default.threshold:g}, floor {default.floor:g})"
    curve(title, "cosine", COSINES, lambda c: judged.verdicts(SemanticPolicy(cosine=c)), truths)
    if baselines is not None:
        print_baselines(judged, baselines)
    print(f"\n{name} at the defaults")
    print(line("string stage", at(judged.strings, default.threshold), truths, ">= 88"))
    print(line("semantic alone", at(judged.cosines, default.cosine), truths, ">= 0.95"))
    combined = judged.verdicts(default)
    print(line("combined verdict", combined, truths, "defaults"))
    return meets_goal(combined, truths)


def print_baselines(judged: Judged, baselines: list[dict[str, float]]) -> None:
    print(f"\nbest recall with precision >= {GOAL_PRECISION} (plain: rapidfuzz, default_process)")
    names = ("token_set_ratio", "token_sort_ratio", "ratio")
    named = [(n, [b[n] for b in baselines]) for n in names]
    for name, scores in [*named, ("alerts.dedup.scoring", judged.strings)]:
        threshold = best_threshold(scores, judged.truths)
        if threshold is None:
            print(f"{name}: none")
        else:
            print(line(name, at(scores, threshold), judged.truths, f">= {threshold:.2f}"))


def embed_all(embedder: Counting, texts: Sequence[str]) -> tuple[dict[str, Vector], float]:
    """Each distinct text's vector, embedded once in batches, and the ms per text."""
    distinct = list(dict.fromkeys(texts))
    vectors: dict[str, Vector] = {}
    start = time.perf_counter()
    for i in range(0, len(distinct), BATCH):
        chunk = distinct[i : i + BATCH]
        vectors.update(zip(chunk, embedder.embed(chunk), strict=True))
    return vectors, (time.perf_counter() - start) * 1000 / max(1, len(distinct))


def single_ms(embedder: Counting, texts: Sequence[str]) -> tuple[float, float]:
    """Median and p95 of ms per text, one text a call."""
    times = []
    for text in texts:
        start = time.perf_counter()
        embedder.embed([text])
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[-1]


def with_leads(pairs: Sequence[Pair], n: int) -> list[str]:
    """Title + lead sized texts (some 45 words): a headline followed by the next headlines,
    as the lead of a summary would follow it (the data sets carry no summaries)."""
    titles = list(dict.fromkeys(t for a, b, _ in pairs for t in (a, b)))
    texts = []
    for i in range(n):
        words: list[str] = []
        for title in titles[i:]:
            words += title.split()
            if len(words) >= 45:
                break
        texts.append(" ".join(words[:45]))
    return texts


def timings(embedder: Counting, pairs: Sequence[Pair], judged: Judged, vectors: dict[str, Vector],
            batched: float) -> None:  # fmt: skip
    titles = list(dict.fromkeys(a for a, _, _ in pairs))[:60]
    t_med, t_p95 = single_ms(embedder, titles)
    l_med, l_p95 = single_ms(embedder, with_leads(pairs, 30))
    print(f"\ntimings ({embedder.name})")
    print(f"  embed one title a call:       median {t_med:6.1f} ms, p95 {t_p95:6.1f} ms")
    print(f"  embed one title + lead a call: median {l_med:6.1f} ms, p95 {l_p95:6.1f} ms")
    print(f"  embed titles in batches of {BATCH}: {batched:6.1f} ms a text")
    keys = judged.keys
    string_us = cost_us(similarity, [(a.title, b.title) for a, b in keys])
    plain_us = cost_us(lambda a, b: plain_similarities(a, b)["token_set_ratio"],
                       [(a, b) for a, b, _ in pairs])  # fmt: skip
    title_us = cost_us(judge_titles, keys)
    window = [vectors[a] for a, _, _ in pairs[:21]]
    cosine_us = cost_us(lambda q, rest: cosines(q, rest), [(window[0], window[1:])] * 200) / 20
    verdict_us = cost_us(_judge_one, list(zip(judged.titles, judged.cosines, strict=True)))
    print(f"  per pair: similarity {string_us:.1f} us (plain token_set_ratio {plain_us:.1f} us,"
          f" x{string_us / plain_us:.1f}), judge_titles {title_us:.1f} us,"
          f" cosine {cosine_us:.2f} us (one story against 20),"
          f" verdict.judge {verdict_us:.1f} us")  # fmt: skip


def _judge_one(title: TitleJudgement, cosine: float) -> bool:
    policy = SemanticPolicy()
    return judge(title, cosine if needs_cosine(title, policy) else None, None, policy).same


def main() -> int:
    if not DATA.exists():
        print(f"dedup quality: {DATA} is absent, nothing to measure (see ../shared/data/README.md)")
        return 0
    try:
        embedder = load_embedder()
    except EmbedderError as e:
        print(f"dedup quality: the semantic stage cannot be measured: {e.reason}")
        return 1
    pairs, stream = load(DATA), (load_stream(STREAM) if STREAM.exists() else [])
    vectors, batched = embed_all(embedder, [t for a, b, _ in pairs + stream for t in (a, b)])
    sts = Judged(pairs, vectors)
    print(f"STS headlines: {len(pairs)} pairs, {sum(sts.truths)} same story,"
          f" {len(pairs) - sum(sts.truths)} different ({DATA.name})")  # fmt: skip
    met = report("STS headlines", sts, [plain_similarities(a, b) for a, b, _ in pairs])
    print(f"goal precision >= {GOAL_PRECISION}, recall >= {GOAL_RECALL} (combined, defaults):"
          f" {'met' if met else 'MISSED'}")  # fmt: skip
    if stream:
        print(f"\nUCI stream: {len(stream)} pairs, half one cluster, half two clusters of one"
              f" category within {HOURS} h (an aggregator's clusters: rough)")  # fmt: skip
        report("UCI stream", Judged(stream, vectors), None)
    print(f"\n{embedder.texts} distinct texts embedded for the curves")
    timings(embedder, pairs, sts, vectors, batched)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
