"""Tests of alerts/message/summary.py: boilerplate, repeated titles, the lead, terms in it."""

from __future__ import annotations

import pytest

from alerts.message.summary import clean_paragraphs, summarize, summarize_text, truncate_words
from alerts.text.chars import strip_invisible
from tests.helpers import shared_path

SEED = "fixtures/seed-article.txt"  # under ../shared


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
        pytest.param(
            "Body one.\nRead more: https://county.example/press/2026/06/12/quake-update\nAfter.",
            ["Body one.", "After."],
            id="read-more-url",
        ),
        pytest.param(
            "Body one.\nShare this:\nX\nFacebook\nLike this:\nLike Loading...\nBody two.",
            ["Body one.", "Body two."],
            id="share-and-like-buttons",
        ),
        pytest.param(
            "Body one.\nYour browser does not support iframes.\n"
            "Your browser does not support the video tag.\nPlease enable JavaScript to view it.\n"
            "Body two.",
            ["Body one.", "Body two."],
            id="embed-fallback-text",
        ),
        pytest.param(
            "Body one.\nsubmitted by /u/quiet_harbour_88\n[link] [comments]",
            ["Body one."],
            id="reddit-footer-ends-article",
        ),
        pytest.param(
            "Body one.\nminsu@hanbitnews.example\nBy Jane Doe and John Roe\n김민수 기자\n"
            "Reporter Kim Min-su\n(Reporting by Jane Doe; Editing by John Roe)\nBody two.",
            ["Body one.", "Body two."],
            id="bylines-and-e-mail",
        ),
        pytest.param(
            "Body one.\n<저작권자(c) 한빛뉴스, 무단 전재-재배포 금지>\nMore.",
            ["Body one."],
            id="korean-copyright-ends-article",
        ),
        pytest.param(
            "Body one.\n© 2026 Meridian Wire. All rights reserved.\nMore.",
            ["Body one."],
            id="copyright-ends-article",
        ),
        pytest.param(
            "By the end of the day, talks had stalled.\nCopyright rules were debated.",
            ["By the end of the day, talks had stalled.", "Copyright rules were debated."],
            id="sentences-like-bylines-kept",
        ),
        pytest.param(
            "He said Stockholm had not kept its promises on [\u2026]\nIt rose [...]",
            ["He said Stockholm had not kept its promises on\u2026", "It rose\u2026"],
            id="excerpt-marker-becomes-ellipsis",
        ),
    ],
)
def test_boilerplate(text: str, expected: list[str]) -> None:
    assert clean_paragraphs("Some title", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Rail services are suspended. Read more: https://county.example/quake",
            "Rail services are suspended.",
        ),
        ("Kim spoke on Monday. Continue reading", "Kim spoke on Monday."),
        (
            "Kim spoke on Monday. The post Kim spoke appeared first on NK News. Later text.",
            "Kim spoke on Monday.",
        ),
    ],
)
def test_boilerplate_sentence_inside_a_paragraph(text: str, expected: str) -> None:
    assert summarize_text("Title", text) == expected


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


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "\U0001f6a8 BREAKING: Strong earthquake hits Hokkaido \U0001f30a",
            "\U0001f6a8 BREAKING: Strong earthquake hits Hokkaido \U0001f30a\nA quake struck.",
            ["A quake struck."],
        ),
        (
            "Quake hits Hokkaido",
            "Quake hits Hokkaido \U0001f30a\ufe0f \u2014 A quake struck.",
            ["A quake struck."],
        ),
        (
            "Kim meets Putin",
            "Kim meets Putin: \u201cWe agreed,\u201d Kim said.",
            ["\u201cWe agreed,\u201d Kim said."],
        ),
        ("Kim meets Putin", "Kim meets Putin \u00bfQu\u00e9 pasa?", ["\u00bfQu\u00e9 pasa?"]),
        ("Deal agreed", "Deal agreed: $5 billion in loans.", ["$5 billion in loans."]),
    ],
)
def test_what_the_title_leaves_is_removed_with_it(
    title: str, text: str, expected: list[str]
) -> None:
    assert clean_paragraphs(title, text) == expected


def test_title_later_in_text_is_kept() -> None:
    text = "The leaders met on Monday.\nKim meets Putin in Moscow"
    assert clean_paragraphs("Kim meets Putin in Moscow", text) == [
        "The leaders met on Monday.",
        "Kim meets Putin in Moscow",
    ]


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


# 56 characters: with a limit of 60, the summary is the lead or the one sentence that carries
# a term; "Russia" must not be taken to carry "US".
LEAD = "Russia's markets rose sharply in early trading on Monday."


@pytest.mark.parametrize(
    ("rest", "terms", "expected"),
    [
        pytest.param(
            "Later the US State Department objected.",
            ("US",),
            "Later the US State Department objected.",
            id="acronym-not-inside-russia",
        ),
        pytest.param(
            "Talks with us went well. Later the US objected.",
            ("US",),
            "Later the US objected.",
            id="acronym-case-sensitive",
        ),
        pytest.param(
            "They were ballistic missiles.",
            ("missile*",),
            "They were ballistic missiles.",
            id="prefix-term",
        ),
        pytest.param(
            "President Erdo\u011fan spoke.",
            ("Erdogan",),
            "President Erdo\u011fan spoke.",
            id="accents-ignored",
        ),
        pytest.param(
            "Rasputin was a monk. Putin's plan was unveiled.",
            ("Putin",),
            "Putin's plan was unveiled.",
            id="whole-words-possessive",
        ),
        pytest.param("푸틴은 평양에 도착했다.", ("푸틴",), "푸틴은 평양에 도착했다.", id="hangul"),
        pytest.param("They saw 6.4级地震。", ("地震",), "They saw 6.4级地震。", id="cjk"),
    ],
)
def test_term_rule_finds_terms_as_the_rules_do(
    rest: str, terms: tuple[str, ...], expected: str
) -> None:
    assert summarize_text("Title", f"{LEAD} {rest}", 60, terms) == expected


def test_fragment_after_a_sentence_is_not_glued_on() -> None:
    text = "The hub is not a dream any more, he said.\nThe hub from the air\nA later sentence."
    assert summarize_text("Title", text) == "The hub is not a dream any more, he said."


def test_short_fragments_before_the_first_sentence_are_skipped() -> None:
    """Issue 15: lines never run into each other, and a summary starts at a sentence."""
    assert summarize_text("Title", "article title\narticle byline\ntext.") == "text."


def test_sentences_ending_in_emoji_are_kept() -> None:
    text = "It struck at 11:02. \U0001f449 Move to higher ground \U0001f64f\nFollow our thread"
    assert summarize_text("Title", text) == (
        "It struck at 11:02. \U0001f449 Move to higher ground \U0001f64f"
    )


def test_unspaced_sentences_are_joined_without_a_space() -> None:
    text = "此次地震不会引发海啸。\n据报道，尚无人员伤亡。"
    assert summarize_text("Title", text) == "此次地震不会引发海啸。据报道，尚无人员伤亡。"


# ---------------------------------------------------------------- the seed article


def test_seed_article() -> None:
    text = shared_path(SEED).read_text(encoding="utf-8")
    title = text.split("\n", 1)[0].strip()
    summary = summarize_text(title, text)
    assert summary.startswith("In a message of congratulations")
    assert "Leave a Reply" not in summary
    assert "email address" not in summary
    assert title not in summary
    assert len(summary) <= 280
    assert summary.endswith(".")


# ---------------------------------------------------------------- issue 15: what a reader needs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Body one.\nSubscribe to Channel Ten!\nSubscribe: https://t.example/s",
                     ["Body one."], id="subscribe"),
        pytest.param("Body one.\nWatch more Channel Ten News: http://video.example/\n"
                     "Follow us on Instagram: https://instagram.example/ten\n"
                     "Follow Channel Ten on TikTok", ["Body one."], id="watch-more-and-follow"),
        pytest.param("Body one.\nhttps://bit.ly/abc\nwww.channel.example/live\n@channelten",
                     ["Body one."], id="link-only-lines"),
        pytest.param("Apple: https://apple.example/p Google: https://bit.ly/g Spotify: "
                     "https://spoti.example/p\nBody one.", ["Body one."], id="link-list-as-text"),
        pytest.param("Body one.\n#FoxNews #Politics", ["Body one."], id="hashtag-line"),
        pytest.param("Body one. #Quake #Japan", ["Body one."], id="hashtag-tail"),
        pytest.param("Body one.\nNightly Report is Harbor Network's flagship newscast, anchored "
                     "by Ana Cruz.\nWelcome to the official YouTube channel of Ten News.",
                     ["Body one."], id="channel-blurbs"),
        pytest.param("Body one.\n00:00 Intro\n03:15 The vote", ["Body one."], id="chapters"),
        pytest.param("Photo: Jane Doe/Agency Sur\nBody one.\nImage courtesy of the city",
                     ["Body one."], id="photo-credits"),
        pytest.param("Body one.\nLearn more about your ad choices. Visit megaphone.example/ads",
                     ["Body one."], id="podcast-ad-choices"),
        pytest.param("Subscribers rose 10% in May.\nThe #MeToo movement grew.",
                     ["Subscribers rose 10% in May.", "The #MeToo movement grew."],
                     id="prose-kept"),
    ],
)  # fmt: skip
def test_video_and_podcast_promotion_is_dropped(text: str, expected: list[str]) -> None:
    assert clean_paragraphs("Some title", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("\u200c Key points:\n\u2022 Shops reopen on Monday.",
                     "Shops reopen on Monday.", id="invisible-label-bullet"),
        pytest.param("\ufeff\u200e\u2066Shops reopen on Monday.\u2069", "Shops reopen on Monday.",
                     id="bom-and-bidi"),
        pytest.param("COVID LATEST: * Cabinet meets at noon.", "Cabinet meets at noon.",
                     id="label-then-bullet"),
        pytest.param("BREAKING: Cabinet meets at noon.", "Cabinet meets at noon.", id="breaking"),
        pytest.param("- Sen. Cruz files his candidacy.", "Sen. Cruz files his candidacy.",
                     id="dash-bullet"),
        pytest.param("\u2013 France was totally in the dark.", "France was totally in the dark.",
                     id="en-dash-bullet"),
        pytest.param("From RNZ Auckland should remain at level 3.",
                     "Auckland should remain at level 3.", id="from-credit"),
        pytest.param("(Reuters) - Oil fell on Monday.", "Oil fell on Monday.", id="agency-paren"),
        pytest.param("AP \u2014 Oil fell on Monday.", "Oil fell on Monday.", id="agency-dash"),
        pytest.param("KYIV, Ukraine (AP) \u2014 Oil fell on Monday.", "Oil fell on Monday.",
                     id="dateline"),
        pytest.param("By Jane Doe | Oil fell on Monday.", "Oil fell on Monday.", id="byline"),
        pytest.param("He said the key points: trade and aid.",
                     "He said the key points: trade and aid.", id="label-words-in-a-sentence"),
        pytest.param("US-China talks resumed on Monday.", "US-China talks resumed on Monday.",
                     id="hyphenated-capitals-kept"),
    ],
)  # fmt: skip
def test_summary_starts_at_a_sentence(text: str, expected: str) -> None:
    assert summarize_text("Title", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("The group says. Prime Minister ...", "The group says.", id="dots"),
        pytest.param("The group says. Prime Minister\u2026", "The group says.", id="ellipsis"),
        pytest.param("The group says. He had not kept [\u2026]", "The group says.", id="excerpt"),
        pytest.param("The group says. It would push up Read more \u00bb", "The group says.",
                     id="glued-read-more"),
        pytest.param("Prime Minister Ardern said ...", "Prime Minister Ardern said ...",
                     id="no-whole-sentence-before"),
    ],
)  # fmt: skip
def test_a_stub_the_feed_cut_off_is_left_out(text: str, expected: str) -> None:
    assert summarize_text("Title", text) == expected


def test_lines_never_run_into_each_other() -> None:
    text = "Police searched the mall on Sunday. Gunman unknown\nSubscribers rose this year."
    assert summarize_text("Title", text) == "Police searched the mall on Sunday."
    assert summarize_text("Title", "A long line of its own with no stop at its end\nNext.") == (
        "A long line of its own with no stop at its end"
    )


RUNDOWN = "\n".join(f"- Headline number {n} about the economy" for n in range(40))


def test_the_list_item_that_matched_is_shown() -> None:
    text = RUNDOWN.replace("Headline number 31 about the economy", "La Palma volcano erupts")
    assert summarize_text("Evening news", text, 280, ("La Palma",)) == "La Palma volcano erupts"


def test_a_long_sentence_is_cut_around_the_matched_term() -> None:
    text = "Tonight: " + ", ".join(f"story {n} on the economy" for n in range(40)) + ", La Palma."
    summary = summarize_text("Evening news", text, 120, ("La Palma",))
    assert len(summary) <= 120
    assert "La Palma" in summary
    assert summary.startswith("\u2026")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("\u200c Key points:", "Key points:"),
        ("a \u200b b", "a b"),
        ("\ufeffHello\u200f", "Hello"),
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ),
        ("\U0001f468\u200d\U0001f469", "\U0001f468\u200d\U0001f469"),
    ],
)
def test_invisible_characters_go_at_edges_and_beside_spaces(line: str, expected: str) -> None:
    """Inside a word they may carry meaning (Persian's non-joiner, an emoji's joiner)."""
    assert strip_invisible(line) == expected
