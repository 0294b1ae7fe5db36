"""Labelled headline pairs and their precision-recall arithmetic, for the dedup benchmarks.

Standard library only, so that ``dedup_quality.py`` (the project's venv) and
``semantic_models.py`` (a venv with the candidate models, without the project's dependencies)
read the same pairs and count them the same way. The STS Benchmark headlines
(``../shared/data/dedup``): same story = human score >= 4, different = score <= 2, the pairs in
between are ambiguous and left out (1,283 pairs remain: 510 same, 773 different).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "dedup" / "stsb-headlines-train.tsv"
GOAL_PRECISION, GOAL_RECALL = 0.98, 0.80  # issue 14, for the combined verdict at the defaults

Pair = tuple[str, str, bool]  # title, title, same story


def load(path: Path = DATA) -> list[Pair]:
    """The unambiguous STS pairs: (title, title, same story)."""
    pairs = []
    for row in rows(path):
        score = float(row["score"])
        if score >= 4 or score <= 2:
            pairs.append((row["text_a"], row["text_b"], score >= 4))
    return pairs


def rows(path: Path) -> list[dict[str, str]]:
    """The rows of a tab-separated file with a header (no quoting: headlines hold quotes)."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def counts(predicted: Sequence[bool], truths: Sequence[bool]) -> list[int]:
    """[true positives, false positives, false negatives]."""
    tp = sum(1 for p, t in zip(predicted, truths, strict=True) if p and t)
    fp = sum(1 for p, t in zip(predicted, truths, strict=True) if p and not t)
    return [tp, fp, sum(truths) - tp]


def at(scores: Sequence[float], threshold: float) -> list[bool]:
    """The pairs at or above ``threshold``."""
    return [s >= threshold for s in scores]


def rates(tp: int, fp: int, fn: int) -> tuple[float, float]:
    """Precision (1.0 when nothing is predicted) and recall."""
    return (tp / (tp + fp) if tp + fp else 1.0), tp / (tp + fn)


def meets_goal(predicted: Sequence[bool], truths: Sequence[bool]) -> bool:
    precision, recall = rates(*counts(predicted, truths))
    return precision >= GOAL_PRECISION and recall >= GOAL_RECALL


def line(label: str, predicted: Sequence[bool], truths: Sequence[bool], setting: str) -> str:
    """One result: precision, recall and the counts."""
    tp, fp, fn = counts(predicted, truths)
    precision, recall = rates(tp, fp, fn)
    return (
        f"{label:<22} {setting:<14} precision {precision:.3f}  recall {recall:.3f}"
        f"  (tp {tp}, fp {fp}, fn {fn})"
    )


def curve(
    title: str,
    column: str,
    steps: Sequence[float],
    predict: Callable[[float], list[bool]],
    truths: Sequence[bool],
) -> None:
    """Print a precision-recall curve: one line per step of ``predict``'s setting."""
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
