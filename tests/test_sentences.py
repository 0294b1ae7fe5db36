"""Tests of alerts/text/sentences.py: where sentences end, abbreviations, hostile input."""

from __future__ import annotations

import pytest

from alerts.text.sentences import split_sentences


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("One. Two. Three.", ["One.", "Two.", "Three."]),
        ("Really? Yes! Done\u2026 Next one.", ["Really?", "Yes!", "Done\u2026", "Next one."]),
        (
            "The U.S. Army said Mr. Smith left. He returned.",
            ["The U.S. Army said Mr. Smith left.", "He returned."],
        ),
        (
            "It happened on Jan. 5 at No. 10 Downing Street. Then more.",
            ["It happened on Jan. 5 at No. 10 Downing Street.", "Then more."],
        ),
        ("Dr. Lee met Gen. Park. They talked.", ["Dr. Lee met Gen. Park.", "They talked."]),
        ("J. R. R. Tolkien wrote it. Another.", ["J. R. R. Tolkien wrote it.", "Another."]),
        ("It rose 3.5 percent. Then fell.", ["It rose 3.5 percent.", "Then fell."]),
        ("He said \u201cYes.\u201d Then left.", ["He said \u201cYes.\u201d", "Then left."]),
        ("It ended. 2024 was hard.", ["It ended.", "2024 was hard."]),
        ("lower case. after a dot", ["lower case. after a dot"]),
        ("No full stop at the end", ["No full stop at the end"]),
        ("", []),
        (
            "Путин прибыл. В аэропорту его встретили.",
            ["Путин прибыл.", "В аэропорту его встретили."],
        ),
        (
            "в 2024 г. Путин прибыл. В. В. Путин сказал.",
            ["в 2024 г. Путин прибыл.", "В. В. Путин сказал."],
        ),
        ("Он прибыл. потом уехал.", ["Он прибыл. потом уехал."]),
        ("Ο Πούτιν έφτασε. Η συνάντηση άρχισε.", ["Ο Πούτιν έφτασε.", "Η συνάντηση άρχισε."]),
        (
            "ПХЕНЬЯН, 12 июня. /Север/. Путин прибыл.",
            ["ПХЕНЬЯН, 12 июня. /Север/.", "Путин прибыл."],
        ),
        (
            "到着しました。プーチン大統領は「会談する。」と述べた。",
            ["到着しました。", "プーチン大統領は「会談する。」", "と述べた。"],
        ),
        (
            "发生6.4级地震。没有海啸！真的吗？是的",
            ["发生6.4级地震。", "没有海啸！", "真的吗？", "是的"],
        ),
        ("도착했다. 공항에는 김정은이 나왔다.", ["도착했다.", "공항에는 김정은이 나왔다."]),
        ("قال أردوغان. وأضاف أنه مستعد؟ نعم", ["قال أردوغان.", "وأضاف أنه مستعد؟", "نعم"]),
        ("He left. «Bye,» he said.", ["He left.", "«Bye,» he said."]),
    ],
)
def test_split_sentences(paragraph: str, expected: list[str]) -> None:
    assert split_sentences(paragraph) == expected


@pytest.mark.parametrize(
    "paragraph",
    ["." * 200_000, "Mr. Smith " * 20_000, "a. " * 60_000, "。" * 200_000],
)
def test_split_sentences_takes_linear_time(paragraph: str) -> None:
    """A hostile paragraph is split in well under a second (these took minutes when quadratic)."""
    assert split_sentences(paragraph)
