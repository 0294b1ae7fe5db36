"""An operator's own model from a local folder: a model2vec static model (MIT).

model2vec reads its own folder format (``config.json``, ``model.safetensors``,
``tokenizer.json``) with ``StaticModel.from_pretrained(path)``, which reads a local path without
reaching the network. Its vectors need no normalising: a cosine renormalises (``vectors``). Any
sentence-transformers model can be turned into one offline with ``model2vec.distill``; the
semantic threshold (``dedup.semantic_threshold``) must then be measured for that model, since
cosines of different models are not on one scale.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alerts.errors import EmbedderError
from alerts.models import Vector

FILES = ("config.json", "tokenizer.json")


class StaticEmbedder:
    """A model2vec model from ``folder``, loaded on the first ``embed``."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.name = folder, f"model2vec model in {folder}"
        self._model: Any = None

    @classmethod
    def checked(cls, folder: Path) -> StaticEmbedder:
        """The embedder, once the folder looks like a model2vec model and the package exists."""
        missing = [f for f in FILES if not (folder / f).is_file()]
        if missing:
            files = ", ".join(missing)
            raise EmbedderError(str(folder), f"{folder} is no model2vec model folder (no {files})")
        if importlib.util.find_spec("model2vec") is None:
            remedy = "pip install model2vec (or the project's [models] extra)"
            raise EmbedderError(str(folder), f"a model folder needs model2vec: {remedy}")
        return cls(folder)

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        from alerts.dedup.vectors import encode  # numpy, only once a text is embedded

        if self._model is None:
            self._model = _load(self.folder)
        return encode(self._model.encode(list(texts), use_multiprocessing=False))


def _load(folder: Path) -> Any:
    try:
        from model2vec import StaticModel

        return StaticModel.from_pretrained(folder, force_download=False)
    except (ImportError, OSError, ValueError, KeyError) as e:
        raise EmbedderError(str(folder), f"the model in {folder} could not be loaded: {e}") from e
