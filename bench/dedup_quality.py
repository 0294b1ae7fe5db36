"""Dedup quality: precision and recall of ``alerts.dedup.scoring`` on labelled headline pairs.

The issue's goal, checked later on unseen pairs of the same kind: precision >= 0.97 and recall
>= 0.50 at ``DEFAULT_THRESHOLD``, on same-story against different-story headline pairs. The
pairs are the STS Benchmark headlines (``../shared/data/dedup``; same story = human score >= 4,
different = score <= 2, the rest ambiguous and left out). Prints the method's precision-recall
curve, the plain rapidfuzz scorers at their best threshold (the best recall with precision >=
0.97), the result at the default threshold, and the cost per pair against ``token_set_ratio``.
Exits 1 when the default threshold misses the goal, 0 otherwise or when the data is absent.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz, utils

from alerts.dedup.scoring import DEFAULT_THRESHOLD, similarity
from alerts.dedup.words import comparable_title

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "dedup" / "stsb-headlines-train.tsv"
GOAL_PRECISION, GOAL_RECALL = 0.97, 0.50
CURVE = range(70, 101, 2)

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
    """The unambiguous pairs: (title, title, same story)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    pairs = []
    for row in rows:
        score = float(row["score"])
        if score >= 4 or score <= 2:
            pairs.append((row["text_a"], row["text_b"], score >= 4))
    return pairs


def counts(scores: Sequence[float], truths: Sequence[bool], threshold: float) -> list[int]:
    """[true positives, false positives, false negatives] at ``threshold``."""
    tp = sum(1 for s, t in zip(scores, truths, strict=True) if s >= threshold and t)
    fp = sum(1 for s, t in zip(scores, truths, strict=True) if s >= threshold and not t)
    return [tp, fp, sum(truths) - tp]


def rates(tp: int, fp: int, fn: int) -> tuple[float, float]:
    """Precision (1.0 when nothing is predicted) and recall."""
    return (tp / (tp + fp) if tp + fp else 1.0), tp / (tp + fn)


def line(label: str, scores: Sequence[float], truths: Sequence[bool], threshold: float) -> str:
    tp, fp, fn = counts(scores, truths, threshold)
    precision, recall = rates(tp, fp, fn)
    return (
        f"{label:<18} >= {threshold:6.2f}  precision {precision:.3f}  recall {recall:.3f}"
        f"  (tp {tp}, fp {fp}, fn {fn})"
    )


def best_threshold(scores: Sequence[float], truths: Sequence[bool]) -> float | None:
    """The threshold with the best recall at precision >= the goal (the highest on ties)."""
    best: tuple[float, float] | None = None
    for threshold in sorted(set(scores), reverse=True):
        precision, recall = rates(*counts(scores, truths, threshold))
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


def main() -> int:
    if not DATA.exists():
        print(f"dedup quality: {DATA} is absent, nothing to measure (see ../shared/data/README.md)")
        return 0
    pairs = load(DATA)
    truths = [same for _, _, same in pairs]
    keys = [(comparable_title(a), comparable_title(b)) for a, b, _ in pairs]
    ours = [similarity(a, b) for a, b in keys]
    plain = [plain_similarities(a, b) for a, b, _ in pairs]
    print(
        f"STS headlines: {len(pairs)} pairs, {sum(truths)} same story,"
        f" {len(pairs) - sum(truths)} different ({DATA.name})\n"
    )
    print("alerts.dedup.scoring.similarity, precision-recall curve")
    print("threshold  precision  recall   tp   fp   fn")
    for step in CURVE:
        tp, fp, fn = counts(ours, truths, step)
        precision, recall = rates(tp, fp, fn)
        print(f"{step:9}  {precision:9.3f}  {recall:6.3f}  {tp:3}  {fp:3}  {fn:3}")
    print(f"\nbest recall with precision >= {GOAL_PRECISION} (plain: rapidfuzz, default_process)")
    for name in ("token_set_ratio", "token_sort_ratio", "ratio"):
        scores = [p[name] for p in plain]
        threshold = best_threshold(scores, truths)
        print(line(name, scores, truths, threshold) if threshold is not None else f"{name}: none")
    threshold = best_threshold(ours, truths)
    if threshold is not None:
        print(line("alerts.dedup.scoring", ours, truths, threshold))
    print(f"\nat DEFAULT_THRESHOLD ({DEFAULT_THRESHOLD:g})")
    print(line("alerts.dedup.scoring", ours, truths, DEFAULT_THRESHOLD))
    precision, recall = rates(*counts(ours, truths, DEFAULT_THRESHOLD))
    met = precision >= GOAL_PRECISION and recall >= GOAL_RECALL
    print(
        f"goal precision >= {GOAL_PRECISION}, recall >= {GOAL_RECALL}: {'met' if met else 'MISSED'}"
    )
    ours_us = cost_us(similarity, keys)
    plain_us = cost_us(lambda a, b: plain_similarities(a, b)["token_set_ratio"], keys)
    print(
        f"\ncost per pair: similarity {ours_us:.1f} us (comparable titles, content words cached),"
        f" plain scorers {plain_us:.1f} us (x{ours_us / plain_us:.1f})"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
