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

import csv
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz, utils

from alerts.dedup.embed import Counting, load_embedder
from alerts.dedup.keys import story_key
from alerts.dedup.scoring import DEFAULT_THRESHOLD, TitleJudgement, judge_titles, similarity
from alerts.dedup.vectors import Vector, cosines
from alerts.dedup.verdict import SemanticPolicy, judge, needs_cosine
from alerts.dedup.words import comparable_title
from alerts.errors import EmbedderError
from alerts.models import StoryKey

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "dedup" / "stsb-headlines-train.tsv"
STREAM = ROOT.parent / "shared" / "data" / "streams" / "uci-news-aggregator-2014-03-slice.tsv"
GOAL_PRECISION, GOAL_RECALL = 0.98, 0.80
CURVE = range(70, 101, 2)
COSINES = [0.90, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98]
HOURS, POOL, UCI_PAIRS, SEED = 6, 1000, 1500, 20260314  # UCI: pool of titles, pairs per side
BATCH = 64

Pair = tuple[str, str, bool]


def plain_similarities(a_title: str, b_title: str) -> dict[str, float]:
    """Plain rapidfuzz scorers on two raw titles (``default_process``), as baselines."""
    a, b = utils.default_process(a_title), utils.default_process(b_title)
    return {
        "token_set_ratio": fuzz.token_set_ratio(a, b),
        "token_sort_ratio": fuzz.token_sort_ratio(a, b),
        "ratio": fuzz.ratio(a, b),
    }


def load(path: Path) -> list[Pair]:
    """The unambiguous STS pairs: (title, title, same story)."""
    pairs = []
    for row in _rows(path):
        score = float(row["score"])
        if score >= 4 or score <= 2:
            pairs.append((row["text_a"], row["text_b"], score >= 4))
    return pairs


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def load_stream(path: Path) -> list[Pair]:
    """Balanced UCI pairs from a seeded pool of distinct headlines: one cluster against two
    clusters of one category, within ``HOURS``; pairs of one comparable title are left out."""
    rng = random.Random(SEED)
    rows = list({r["title"]: r for r in _rows(path)}.values())
    pool = sorted(rng.sample(rows, min(POOL, len(rows))), key=lambda r: int(r["timestamp_ms"]))
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


def counts(predicted: Sequence[bool], truths: Sequence[bool]) -> list[int]:
    """[true positives, false positives, false negatives]."""
    tp = sum(1 for p, t in zip(predicted, truths, strict=True) if p and t)
    fp = sum(1 for p, t in zip(predicted, truths, strict=True) if p and not t)
    return [tp, fp, sum(truths) - tp]


def at(scores: Sequence[float], threshold: float) -> list[bool]:
    return [s >= threshold for s in scores]


def rates(tp: int, fp: int, fn: int) -> tuple[float, float]:
    """Precision (1.0 when nothing is predicted) and recall."""
    return (tp / (tp + fp) if tp + fp else 1.0), tp / (tp + fn)


def line(label: str, predicted: Sequence[bool], truths: Sequence[bool], setting: str) -> str:
    tp, fp, fn = counts(predicted, truths)
    precision, recall = rates(tp, fp, fn)
    return (
        f"{label:<22} {setting:<14} precision {precision:.3f}  recall {recall:.3f}"
        f"  (tp {tp}, fp {fp}, fn {fn})"
    )


def curve(title: str, column: str, steps: Sequence[float], predict: Callable[[float], list[bool]],
          truths: Sequence[bool]) -> None:  # fmt: skip
    print(f"\n{title}\n{column:>9}  precision  recall    tp    fp    fn")
    for step in steps:
        tp, fp, fn = counts(predict(step), truths)
        precision, recall = rates(tp, fp, fn)
        print(f"{step:9g}  {precision:9.3f}  {recall:6.3f}  {tp:4}  {fp:4}  {fn:4}")


def best_threshold(scores: Sequence[float], truths: Sequence[bool]) -> float | None:
    """The threshold with the best recall at precision >= the goal (the highest on ties)."""
    best: tuple[float, float] | None = None
    for threshold in sorted(set(scores), reverse=True):
        precision, recall = rates(*counts(at(scores, threshold), truths))
        if precision >= GOAL_PRECISION and (best is None or recall > best[1]):
            best = (threshold, recall)
    return None if best is None else best[0]


def cost_us(scorer: Callable[[str, str], object], pairs: Sequence[tuple[str, str]]) -> float:
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
    curve(f"combined (verdict.judge, threshold {default.threshold:g}, floor {default.floor:g})",
          "cosine", COSINES, lambda c: judged.verdicts(SemanticPolicy(cosine=c)), truths)  # fmt: skip
    if baselines is not None:
        print_baselines(judged, baselines)
    print(f"\n{name} at the defaults")
    print(line("string stage", at(judged.strings, default.threshold), truths, ">= 88"))
    print(line("semantic alone", at(judged.cosines, default.cosine), truths, ">= 0.95"))
    combined = judged.verdicts(default)
    print(line("combined verdict", combined, truths, "defaults"))
    precision, recall = rates(*counts(combined, truths))
    return precision >= GOAL_PRECISION and recall >= GOAL_RECALL


def print_baselines(judged: Judged, baselines: list[dict[str, float]]) -> None:
    print(f"\nbest recall with precision >= {GOAL_PRECISION} (plain: rapidfuzz, default_process)")
    named = [(n, [b[n] for b in baselines]) for n in ("token_set_ratio", "token_sort_ratio", "ratio")]
    for name, scores in [*named, ("alerts.dedup.scoring", judged.strings)]:
        threshold = best_threshold(scores, judged.truths)
        text = f">= {threshold:.2f}" if threshold is not None else ""
        print(line(name, at(scores, threshold), judged.truths, text) if text else f"{name}: none")


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
    cosine_us = cost_us(lambda q, _: cosines(q, window[1:]), [(window[0], "")] * 200) / 20
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
              f" category within {HOURS} h (aggregator clusters, not people's: rough figures)")  # fmt: skip
        report("UCI stream", Judged(stream, vectors), None)
    print(f"\n{embedder.texts} distinct texts embedded for the curves")
    timings(embedder, pairs, sts, vectors, batched)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
