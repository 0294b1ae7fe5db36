"""Story vectors in their stored form, and the cosines the semantic stage compares.

A vector is kept as int8 codes (one byte a dimension: 384 bytes for multilingual-e5-small),
scaled so that its largest component is 127. The scale needs no storing because a cosine
renormalises: on the STS headline pairs the cosine of the codes differs from the float32
cosine by at most 0.003 (median 0.0006), well inside the 0.01 steps of the thresholds that
matter. numpy is imported here only, and only once a vector is needed: the embedders hand
their float rows to ``encode`` (imported when a model embeds), and dedup asks ``cosines``
(imported when it compares vectors).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from alerts.models import Vector

__all__ = ["Vector", "cosines", "encode"]


def encode(rows: Any) -> list[Vector]:
    """Int8 codes of each row of a float matrix (any array-like of shape (n, dim))."""
    matrix = np.asarray(rows, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    peak = np.abs(matrix).max(axis=1, keepdims=True)
    peak[peak == 0] = 1.0
    codes = np.rint(matrix / peak * 127.0).astype(np.int8)
    return [row.tobytes() for row in codes]


def cosines(query: Vector, others: Sequence[Vector]) -> list[float]:
    """The cosine of ``query`` with each of ``others`` (0.0 for a vector of another size or
    a zero vector: such a pair is never taken for one story by meaning)."""
    if not others:
        return []
    q = _unit(np.frombuffer(query, dtype=np.int8)[None, :])[0]
    sized = [o if len(o) == len(query) else bytes(len(query)) for o in others]
    matrix = np.frombuffer(b"".join(sized), dtype=np.int8).reshape(len(sized), len(query))
    return [float(c) for c in _unit(matrix) @ q]


def _unit(codes: Any) -> Any:
    """Rows as float32 unit vectors (zero rows stay zero)."""
    rows = codes.astype(np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return rows / norms
