"""Tests of alerts/text/html.py: HTML to plain text, and lists of links left out of summaries."""

from __future__ import annotations

import pytest

from alerts.message.summary import summarize
from alerts.text.html import html_to_text


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
        ("Moscow &amp;amp; Ankara", "Moscow & Ankara"),
        ("&amp;lt;b&amp;gt; &amp;#8217;", "<b> \u2019"),
        ("AT&amp;T &amp; R&amp;D", "AT&T & R&D"),
        ("&amp;copy2024 &amp;amp", "&copy2024 &amp"),
        ("<ul><li><a href='/a'>Headline</a> Publisher</li></ul>", "Headline Publisher"),
    ],
)
def test_html_to_text(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


GOOGLE_NEWS = (
    '<ol><li><a href="https://news.example/1">Putin lands in Pyongyang</a>&nbsp;&nbsp;'
    '<font color="#6f6f6f">The Harbor Times</font></li>'
    '<li><a href="https://news.example/2">Kim greets Russian leader</a>&nbsp;&nbsp;'
    '<font color="#6f6f6f">Northern Ledger</font></li></ol>'
)


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        pytest.param(GOOGLE_NEWS, "", id="related-headlines"),
        pytest.param(
            "<p>Kim spoke.</p><ul><li><a href='/x'>X</a></li><li><a href='/f'>Facebook</a></li>"
            "<li class='share-end'></li></ul><p>More text.</p>",
            "Kim spoke.\nMore text.",
            id="share-buttons",
        ),
        pytest.param(
            "<ul><li>The <a href='/r'>report</a> says the talks will resume in autumn.</li>"
            "<li>Prices rose.</li></ul>",
            "The report says the talks will resume in autumn.\nPrices rose.",
            id="list-of-text-kept",
        ),
        pytest.param(
            "<ul><li><a href='/a'>Link one</a></li><li>A point made in words only.</li></ul>",
            "Link one\nA point made in words only.",
            id="mixed-list-kept",
        ),
        pytest.param(
            "<ul><li>Outer point, in words.<ul><li><a href='/a'>A link</a></li></ul></li></ul>",
            "Outer point, in words.",
            id="nested-link-list-dropped",
        ),
        pytest.param("<ol><li><a href='/a'>Unclosed", "", id="unclosed-list"),
    ],
)
def test_link_lists_are_left_out_of_the_summary_text(markup: str, expected: str) -> None:
    assert html_to_text(markup, link_lists=False) == expected


def test_google_news_description_gives_no_summary() -> None:
    assert summarize("Putin lands in Pyongyang - The Harbor Times", GOOGLE_NEWS) == ""


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
