"""Tests of alerts/summary.py: HTML to text, boilerplate, repeated titles, sentences, summaries."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alerts.summary import (
    clean_paragraphs,
    html_to_text,
    split_sentences,
    summarize,
    summarize_text,
    truncate_words,
)

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "fixtures" / "seed-article.txt"


def shared_file(path: Path) -> Path:
    """The path, or skip when it is absent (fail in CI, where it must be present)."""
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing in CI")
        pytest.skip(f"{path} is absent")
    return path


# ---------------------------------------------------------------- HTML to text


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("Hello <b>bold</b> world", "Hello bold world"),
        ("<p>One</p><p>Two</p>", "One\nTwo"),
        ("line<br>break<br/>again", "line\nbreak\nagain"),
        ("<ul><li>a</li><li>b</li></ul>", "a\nb"),
        ("<h2>Head</h2>Body", "Head\nBody"),
        ("<div>x</div><div>y</div>", "x\ny"),
        ("<p>keep</p><script>var s = '<p>bad</p>';</script>", "keep"),
        ("<style>p { color: red }</style><p>keep</p>", "keep"),
        ("<p>keep</p><form><p>Name</p><textarea>x</textarea></form>", "keep"),
        ("a&nbsp;b", "a b"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("Moscow&#8217;s holiday", "Moscow\u2019s holiday"),
        ("&lt;b&gt; is a tag", "<b> is a tag"),
        ("  many   \t  spaces  ", "many spaces"),
        ("", ""),
    ],
)
def test_html_to_text(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


def test_newline_in_html_source_is_a_space() -> None:
    assert html_to_text("<p>the two leaders\ndiscussed cooperation.</p>") == (
        "the two leaders discussed cooperation."
    )


def test_hard_wrapped_html_summary_ends_cleanly() -> None:
    markup = (
        "<p>Kim Jong-un met Putin in Vladivostok on Monday and the two leaders\n"
        "discussed military cooperation for several hours.</p>"
    )
    assert summarize("Title", markup, 80).endswith((".", "\u2026"))


# ---------------------------------------------------------------- boilerplate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Body one.\nLeave a Reply\nYour email address will not be published.\nMore body.",
            ["Body one."],
            id="leave-a-reply-ends-article",
        ),
        pytest.param(
            "Body one.\nLeave a comment\nMore.",
            ["Body one."],
            id="leave-a-comment",
        ),
        pytest.param(
            "Body one.\nYour email address will not be published. Required fields are marked *",
            ["Body one."],
            id="email-address",
        ),
        pytest.param(
            "Body one.\nThe post Kim meets Putin appeared first on NK News.\nAfter.",
            ["Body one."],
            id="post-appeared-first",
        ),
        pytest.param(
            "Body one.\nRead more\nBody two.",
            ["Body one.", "Body two."],
            id="read-more-dropped-alone",
        ),
        pytest.param(
            "Body one.\nRead more: Kim visits Russia\nShare this:\nContinue reading\nBody two.",
            ["Body one.", "Body two."],
            id="noise-lines",
        ),
        pytest.param(
            "Body one.\nRead more books, the minister urged, because reading matters a lot.",
            ["Body one.", "Read more books, the minister urged, because reading matters a lot."],
            id="long-read-more-sentence-kept",
        ),
    ],
)
def test_boilerplate(text: str, expected: list[str]) -> None:
    assert clean_paragraphs("Some title", text) == expected


def test_boilerplate_from_html() -> None:
    markup = (
        "<p>Kim spoke on Monday.</p><p><a href='/x'>Read more</a></p>"
        "<h3>Leave a Reply</h3><p>Your email address will not be published.</p>"
    )
    assert summarize("Title", markup) == "Kim spoke on Monday."


# ---------------------------------------------------------------- repeated title


@pytest.mark.parametrize(
    "text",
    [
        "Kim meets Putin in Moscow\nThe leaders met on Monday.",
        "Kim meets Putin in Moscow\nKim meets Putin in Moscow\nThe leaders met on Monday.",
        "KIM MEETS PUTIN IN MOSCOW.\nkim meets putin in moscow\nThe leaders met on Monday.",
        "Kim meets Putin in Moscow: The leaders met on Monday.",
        "Kim meets Putin in Moscow \u2014 The leaders met on Monday.",
    ],
)
def test_title_repeated_at_start_is_removed(text: str) -> None:
    assert clean_paragraphs("Kim meets Putin in Moscow", text) == ["The leaders met on Monday."]


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Kim Jong-un meets Putin", "Kim Jong Un meets Putin\nThe leaders met on Monday."),
        (
            "Kim meets Putin \u2013 in Moscow",
            "Kim meets Putin - in Moscow\nThe leaders met on Monday.",
        ),
        ("Kim\u2019s visit", "Kim's visit\nThe leaders met on Monday."),
    ],
)
def test_title_with_other_dashes_and_quotes_is_removed(title: str, text: str) -> None:
    assert clean_paragraphs(title, text) == ["The leaders met on Monday."]


def test_title_repeated_with_exclamation_mark_is_removed() -> None:
    text = "Kim Meets Putin!\nThe leaders met on Monday."
    assert summarize_text("Kim meets Putin", text) == "The leaders met on Monday."


def test_paragraph_starting_with_title_words_is_not_cut_mid_word() -> None:
    text = "Kim visits Russian far east port of Vladivostok."
    assert summarize_text("Kim visits Russia", text) == text


def test_title_later_in_text_is_kept() -> None:
    text = "The leaders met on Monday.\nKim meets Putin in Moscow"
    assert clean_paragraphs("Kim meets Putin in Moscow", text) == [
        "The leaders met on Monday.",
        "Kim meets Putin in Moscow",
    ]


# ---------------------------------------------------------------- sentences


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
    ],
)
def test_split_sentences(paragraph: str, expected: list[str]) -> None:
    assert split_sentences(paragraph) == expected


# ---------------------------------------------------------------- summaries

LONG_SENTENCE = "The quick brown fox jumps over the lazy dog and " * 20 + "stops."
THREE = "First sentence is here. Second sentence follows it. Third sentence ends it."


@pytest.mark.parametrize("limit", [40, 41, 50, 75, 100, 280, 1000])
def test_summary_never_exceeds_limit_and_ends_cleanly(limit: int) -> None:
    for text in (LONG_SENTENCE, THREE, f"{THREE} {LONG_SENTENCE}"):
        summary = summarize_text("Title", text, limit)
        assert summary
        assert len(summary) <= limit
        assert summary.endswith((".", "\u2026")), summary
        if summary.endswith("\u2026"):
            assert not summary[:-1].endswith(" ")
            assert text.startswith(summary[:-1])


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (23, "First sentence is here."),
        (50, "First sentence is here."),
        (51, "First sentence is here. Second sentence follows it."),
        (1000, THREE),
    ],
)
def test_summary_takes_whole_lead_sentences(limit: int, expected: str) -> None:
    assert summarize_text("Title", THREE, limit) == expected


def test_summary_of_empty_text_is_empty() -> None:
    assert summarize_text("Title", "") == ""
    assert summarize("Title", "<p>Leave a Reply</p><p>x</p>") == ""


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("one two three four five", 100, "one two three four five"),
        ("one two three four five", 12, "one two\u2026"),
        ("abcdefghij", 5, "abcd\u2026"),
        ("one two, three four", 10, "one two\u2026"),
    ],
)
def test_truncate_words(text: str, limit: int, expected: str) -> None:
    assert truncate_words(text, limit) == expected


WRAP = (
    "Markets opened higher on Monday. Traders cheered the news. Oil prices fell sharply. "
    "Later, Kim Jong-un spoke about missiles. Then more."
)


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ((), "Markets opened higher on Monday. Traders cheered the news. Oil prices fell sharply."),
        (("Kim Jong-un",), "Later, Kim Jong-un spoke about missiles."),
        (("kim jong un",), "Later, Kim Jong-un spoke about missiles."),
        (("Putin", "missiles"), "Later, Kim Jong-un spoke about missiles."),
        (
            ("Traders",),
            "Markets opened higher on Monday. Traders cheered the news. Oil prices fell sharply.",
        ),
        (
            ("Putin",),
            "Markets opened higher on Monday. Traders cheered the news. Oil prices fell sharply.",
        ),
        (
            ("  ",),
            "Markets opened higher on Monday. Traders cheered the news. Oil prices fell sharply.",
        ),
    ],
)
def test_term_rule(terms: tuple[str, ...], expected: str) -> None:
    assert summarize_text("Daily wrap", WRAP, 100, terms) == expected


# ---------------------------------------------------------------- the seed article


def test_seed_article() -> None:
    text = shared_file(SEED).read_text(encoding="utf-8")
    title = text.split("\n", 1)[0].strip()
    summary = summarize_text(title, text)
    assert summary.startswith("In a message of congratulations")
    assert "Leave a Reply" not in summary
    assert "email address" not in summary
    assert title not in summary
    assert len(summary) <= 280
    assert summary.endswith(".")
