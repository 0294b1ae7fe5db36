"""`bot.py similar`: the dedup verdict on a pair, for people and for tools."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from alerts.dedup.pair import judge_pair
from alerts.dedup.verdict import SemanticPolicy

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "similar", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ({"title": "Suicide bomber kills 12 in Nigeria church"},
         {"title": "Suicide bomber kills 21 in NW Pakistan"}, False),
        ({"title": "Apple shares rise"}, {"title": "Apple shares fall"}, False),
        ({"title": "Business Highlights"},
         {"title": "Business Highlights: Apple shares fall on weak iPhone sales"}, False),
        ({"title": "Kim Jong-un sends Putin Russia Day message"},
         {"title": "North Korea's Kim Jong-un sends Putin Russia Day message"}, True),
        ({"title": "One", "link": "https://www.a.example/x/?utm_source=rss"},
         {"title": "Two", "link": "http://a.example/x"}, True),
        ({"title": "One", "guid": "17", "feed": "f1"}, {"title": "Two", "guid": "17", "feed": "f2"},
         False),
        ({"title": "One", "guid": "17", "feed": "f1"}, {"title": "Two", "guid": "17", "feed": "f1"},
         True),
    ],
)  # fmt: skip
def test_judge_pair(a: dict[str, str], b: dict[str, str], same: bool) -> None:
    assert judge_pair(a, b, SemanticPolicy(88.0, semantic=False)).same is same
    assert judge_pair(a, b, SemanticPolicy(88.0)).same is same  # semantic on, no model: the same


def test_batch_mode_follows_the_config_threshold(tmp_path: Path) -> None:
    pairs = [
        {"a": {"title": "Magnitude 7.1 earthquake strikes off coast of Chile"},
         "b": {"title": "Earthquake of magnitude 7.1 strikes off Chile coast"}},
        {"a": {"title": "Apple shares rise"}, "b": {"title": "Apple shares fall"}},
    ]  # fmt: skip
    stdin = "\n".join(json.dumps(p) for p in pairs) + "\nnot json\n"
    answers = [json.loads(line) for line in run("--jsonl", "-", stdin=stdin).stdout.splitlines()]
    assert [a["same"] for a in answers] == [True, False, False]
    assert 88 <= answers[0]["score"] <= 100
    assert "error" in answers[2]
    strict = tmp_path / "c.yaml"
    strict.write_text("dedup: {threshold: 100}\n")
    again = json.loads(
        run("--config", str(strict), "--jsonl", "-", stdin=stdin).stdout.split("\n")[0]
    )
    assert again["same"] is (again["score"] >= 100)


def test_for_a_person_it_gives_the_reasons() -> None:
    out = run("Suicide bomber kills 12 in Nigeria church", "Suicide bomber kills 21 in Pakistan")
    assert out.returncode == 0
    assert out.stdout.startswith("DIFFERENT STORIES")
    assert "numbers differ: 12 vs 21" in out.stdout


def test_it_says_which_stage_decided_and_the_cosine_without_a_formula() -> None:
    out = run("Volcano erupts in Iceland, forcing evacuations",
              "Iceland evacuates town as volcano erupts")  # fmt: skip
    assert out.stdout.startswith("SAME STORY, by meaning"), out.stdout + out.stderr
    assert "cosine 0.96" in out.stdout and "decided by the meaning of the titles" in out.stdout
    assert "x cost" not in out.stdout and "100 -" not in out.stdout
    refused = run("Apple shares rise", "Apple shares fall").stdout
    assert refused.startswith("DIFFERENT STORIES")
    assert "refused by a guard: changed key word: rise/fall" in refused and "cosine" in refused


def test_summaries_decide_between_stories_of_one_recurring_title() -> None:
    title = "Business Highlights"
    other = run(
        title, title, "--summaries", "Stocks fell as oil jumped.", "Apple unveiled a phone."
    )
    assert other.stdout.startswith("DIFFERENT STORIES"), other.stdout + other.stderr
    same = run(
        title, title, "--summaries", "Stocks fell as oil jumped.", "Stocks fell as oil jumped."
    )
    assert same.stdout.startswith("SAME STORY, by content")
    assert "decided by the summaries" in same.stdout


def test_batch_mode_adds_the_stage_the_cosine_and_the_refusal() -> None:
    pairs = [
        {"a": {"title": "Volcano erupts in Iceland, forcing evacuations"},
         "b": {"title": "Iceland evacuates town as volcano erupts"}},
        {"a": {"title": "Apple shares rise"}, "b": {"title": "Apple shares fall"}},
        {"a": {"title": "Business Highlights", "summary": "Stocks fell as oil jumped."},
         "b": {"title": "Business Highlights", "summary": "Apple unveiled a new phone."}},
    ]  # fmt: skip
    stdin = "\n".join(json.dumps(p) for p in pairs) + "\n"
    answers = [json.loads(line) for line in run("--jsonl", "-", stdin=stdin).stdout.splitlines()]
    assert [(a["same"], a["stage"]) for a in answers] == [(True, "meaning"), (False, None),
                                                          (False, None)]  # fmt: skip
    assert answers[0]["cosine"] >= 0.95 and answers[0]["refusal"] is None
    assert answers[1]["refusal"] == "changed key word: rise/fall"
    assert set(answers[1]) == {"same", "score", "stage", "cosine", "refusal"}
