"""Tests of alerts/message/render.py: escaping under Telegram HTML rules, layout, limits, keys."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.message.render import (
    MAX_MESSAGE_UNITS,
    MessageStyle,
    alert_key,
    bold_terms,
    render,
    to_plain,
    utf16_len,
    why,
)
from alerts.models import FeedItem, Match, RuleHit, TermHit
from tests.fakes.botapi import parse_telegram_html

PUBLISHED = datetime(2026, 6, 12, 8, 0, tzinfo=UTC)
PUTIN = TermHit("Vladimir Putin", "Putin", "title", 0, "Vladimir Putin", "entity")
KIM = TermHit("Kim Jong-un", "Kim Jong-un", "content", 12, "Kim Jong-un", "entity")
RULE = RuleHit("Kim and Putin", "@nk_watch", (PUTIN, KIM))


def make_match(
    title: str = "Kim Jong-un shakes hands with Putin",
    *,
    link: str = "https://news.example/story?id=1&src=rss",
    chat: str = "@nk_watch",
    rules: tuple[RuleHit, ...] = (RULE,),
    published: datetime | None = PUBLISHED,
) -> Match:
    """A match of one item to one chat."""
    item = FeedItem(
        feed_url="https://news.example/feed",
        item_id="item-1",
        title=title,
        link=link,
        content_html="",
        published=published,
        feed_name="NK News",
    )
    return Match(item, chat, rules)


def plain_text(text: str) -> str:
    """What Telegram would show, or fail: the message must parse under Telegram's HTML rules."""
    return parse_telegram_html(text)


# ---------------------------------------------------------------- escaping


HOSTILE = [
    "<script>alert(1)</script>",
    "a & b < c > d",
    "&nbsp; &amp; &lt;b&gt; &#8217;",
    '<a href="javascript:alert(1)">x</a>',
    "</b></i><b>",
    "مرحبا بالعالم",
    "\u202eevil\u202c",
    "🚀🇰🇵 emoji 👨‍👩‍👧",
    "",
    "   ",
]


@pytest.mark.parametrize("title", HOSTILE)
@pytest.mark.parametrize("summary", HOSTILE)
def test_hostile_text_is_escaped(title: str, summary: str) -> None:
    alert = render(make_match(title), summary, "<Source & Co>", MessageStyle())
    shown = plain_text(alert.text)
    if title:
        assert shown.startswith(title + "\n")
    else:
        assert shown.startswith("(untitled)\n")
    if summary:
        assert f"\n{summary}\n" in shown
    assert "<Source & Co>" in shown


def test_layout() -> None:
    alert = render(make_match(), "A short summary.", "NK News", MessageStyle())
    assert alert.text == (
        "<b>Kim Jong-un shakes hands with Putin</b>\n"
        "A short summary.\n"
        "\n"
        'Matched <i>Kim and Putin: Vladimir Putin (as "Putin"), Kim Jong-un</i>\n'
        "NK News · 12 Jun 2026 08:00 UTC\n"
        '<a href="https://news.example/story?id=1&amp;src=rss">'
        "https://news.example/story?id=1&amp;src=rss</a>"
    )
    assert plain_text(alert.text).endswith("\nhttps://news.example/story?id=1&src=rss")


def test_alert_fields() -> None:
    match = make_match()
    alert = render(match, "Summary.", "NK News", MessageStyle(link_preview=True))
    assert alert.chat == "@nk_watch"
    assert alert.rule == "Kim and Putin"
    assert alert.title == "Kim Jong-un shakes hands with Putin"
    assert alert.link == "https://news.example/story?id=1&src=rss"
    assert alert.link_preview is True
    assert alert.disable_notification is False
    assert alert.key == alert_key("https://news.example/feed", "item-1", "@nk_watch")


def test_title_is_bold() -> None:
    alert = render(make_match("A & B"), "", "S", MessageStyle())
    assert alert.text.startswith("<b>A &amp; B</b>\n")
    assert to_plain(alert.text).startswith("**A & B**\n")


def test_link_with_quote_and_ampersand_is_escaped() -> None:
    link = 'https://news.example/a?x=1&y="2"'
    alert = render(make_match(link=link), "", "S", MessageStyle())
    assert '<a href="https://news.example/a?x=1&amp;y=&quot;2&quot;">' in alert.text
    assert plain_text(alert.text).endswith("\n" + link)


def test_no_link_no_anchor() -> None:
    alert = render(make_match(link=""), "Summary.", "S", MessageStyle())
    assert "<a " not in alert.text
    plain_text(alert.text)


# ---------------------------------------------------------------- why and when


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ((RULE,), 'Kim and Putin: Vladimir Putin (as "Putin"), Kim Jong-un'),
        (
            (RuleHit("r", "@c", (TermHit("strategic ties", "strategic ties", "title", 0),)),),
            'r: "strategic ties"',
        ),
        (
            (RuleHit("rx", "@c", (TermHit("/icbms?/", "/icbms?/", "title", 0, None, "regex"),)),),
            "rx: /icbms?/",
        ),
        (
            (
                RuleHit("a", "@c", (PUTIN,)),
                RuleHit("b", "@c", (PUTIN, PUTIN)),
            ),
            'a: Vladimir Putin (as "Putin"); b: Vladimir Putin (as "Putin")',
        ),
    ],
)
def test_why(rules: tuple[RuleHit, ...], expected: str) -> None:
    assert why(rules) == expected


def test_matched_line_names_rule_and_alias() -> None:
    alert = render(make_match(), "", "S", MessageStyle())
    assert 'Matched Kim and Putin: Vladimir Putin (as "Putin")' in plain_text(alert.text)


def test_several_rules_are_named_and_silent_only_if_all_are() -> None:
    loud = RuleHit("Korea", "@nk_watch", (KIM,))
    quiet = RuleHit("Russia", "@nk_watch", (PUTIN,), silent=True)
    both = render(make_match(rules=(loud, quiet)), "", "S", MessageStyle())
    assert both.rule == "Korea, Russia"
    assert both.disable_notification is False
    assert "Matched Korea: Kim Jong-un; Russia: Vladimir Putin" in plain_text(both.text)
    alone = render(make_match(rules=(quiet,)), "", "S", MessageStyle())
    assert alone.disable_notification is True


@pytest.mark.parametrize(
    ("timezone", "shown"),
    [
        ("UTC", "12 Jun 2026 08:00 UTC"),
        ("Asia/Seoul", "12 Jun 2026 17:00 KST"),
        ("Europe/Moscow", "12 Jun 2026 11:00 MSK"),
        ("America/New_York", "12 Jun 2026 04:00 EDT"),
        ("Pacific/Kiritimati", "12 Jun 2026 22:00 +14"),
    ],
)
def test_time_in_configured_timezone(timezone: str, shown: str) -> None:
    alert = render(make_match(), "", "NK News", MessageStyle(timezone=timezone))
    assert f"\nNK News · {shown}\n" in plain_text(alert.text)


def test_no_published_time_shows_source_only() -> None:
    alert = render(make_match(published=None), "", "NK News", MessageStyle())
    assert "\nNK News\n" in plain_text(alert.text)


# ---------------------------------------------------------------- length


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Short title", "word " * 2000),
        ("Short title", "x" * 10_000),
        ("🚀" * 5000, "Short summary."),
        ("🚀" * 5000, "🚀 " * 5000),
        ("word " * 1000, "word " * 1000),
        ("&" * 3000, "<" * 3000),
    ],
)
def test_long_message_fits_telegram_limit(title: str, summary: str) -> None:
    alert = render(make_match(title), summary, "NK News", MessageStyle())
    shown = plain_text(alert.text)
    assert utf16_len(shown) <= MAX_MESSAGE_UNITS
    assert "Matched Kim and Putin" in shown  # the footer survives trimming
    assert shown.endswith("https://news.example/story?id=1&src=rss")


def test_long_summary_is_trimmed_before_title() -> None:
    alert = render(make_match("Kim meets Putin"), "word " * 2000, "S", MessageStyle())
    shown = plain_text(alert.text)
    assert shown.startswith("Kim meets Putin\nword word")
    assert "…\n\nMatched" in shown


def test_long_link_still_fits_telegram_limit() -> None:
    link = "https://news.example/story?" + "&".join(f"p{i}=value{i}" for i in range(400))
    alert = render(make_match(link=link), "Summary.", "NK News", MessageStyle())
    assert utf16_len(plain_text(alert.text)) <= MAX_MESSAGE_UNITS


@pytest.mark.parametrize(
    ("text", "units"),
    [("", 0), ("abc", 3), ("é", 1), ("🚀", 2), ("👨‍👩‍👧", 8), ("مرحبا", 5)],
)
def test_utf16_len(text: str, units: int) -> None:
    assert utf16_len(text) == units


@settings(max_examples=100, deadline=None)
@given(title=st.text(), summary=st.text(), repeat=st.integers(min_value=1, max_value=3000))
def test_any_text_gives_a_valid_message_within_limit(title: str, summary: str, repeat: int) -> None:
    for t, s in ((title, summary), (title * repeat, summary * repeat)):
        alert = render(make_match(t), s, "NK News", MessageStyle())
        shown = plain_text(alert.text)
        assert utf16_len(shown) <= MAX_MESSAGE_UNITS


# ---------------------------------------------------------------- keys and plain form


def test_alert_key_is_stable_and_differs_per_chat() -> None:
    key = alert_key("https://news.example/feed", "item-1", "@nk_watch")
    assert key == alert_key("https://news.example/feed", "item-1", "@nk_watch")
    assert len(key) == 32
    assert key != alert_key("https://news.example/feed", "item-1", "@other_chat")
    assert key != alert_key("https://news.example/feed", "item-2", "@nk_watch")
    assert key != alert_key("https://other.example/feed", "item-1", "@nk_watch")
    first = render(make_match(chat="@a_chat"), "One summary.", "S", MessageStyle())
    again = render(make_match(chat="@a_chat"), "Another summary.", "S2", MessageStyle("Asia/Seoul"))
    other = render(make_match(chat="@b_chat"), "One summary.", "S", MessageStyle())
    assert first.key == again.key
    assert first.key != other.key


def test_to_plain_marks_bold() -> None:
    alert = render(make_match("Kim <3 Putin"), "Tom &amp; Jerry", "S", MessageStyle())
    assert to_plain(alert.text) == (
        "**Kim <3 Putin**\n"
        "Tom &amp; Jerry\n"
        "\n"
        'Matched Kim and Putin: Vladimir Putin (as "Putin"), Kim Jong-un\n'
        "S · 12 Jun 2026 08:00 UTC\n"
        "https://news.example/story?id=1&src=rss"
    )


@pytest.mark.parametrize(
    ("text", "spellings", "expected"),
    [
        (
            "Kim Jong Un met Putin.",
            ["Kim Jong-un", "Putin"],
            "<b>Kim Jong Un</b> met <b>Putin</b>.",
        ),
        ("Rasputin & Putin's plan", ["Putin"], "Rasputin &amp; <b>Putin</b>'s plan"),
        ("Two missiles <fired>", ["missile*"], "Two <b>missiles</b> &lt;fired&gt;"),
        ("no match here", ["Putin"], "no match here"),
        ("AT&T and at&t", ["AT&T"], "<b>AT&amp;T</b> and <b>at&amp;t</b>"),
        ("Recep Tayyip Erdo\u011fan", ["Erdogan"], "Recep Tayyip <b>Erdo\u011fan</b>"),
        ("Erdogan and ERDO\u011eAN", ["Erdo\u011fan"], "<b>Erdogan</b> and <b>ERDO\u011eAN</b>"),
        ("Erdog\u0306an spoke", ["Erdogan"], "<b>Erdog\u0306an</b> spoke"),
        ("Talk to us, said the US", ["US"], "Talk to us, said the <b>US</b>"),
        ("Russia and Nato", ["US", "NATO"], "Russia and <b>Nato</b>"),
        ("6.4级地震，", ["地震"], "6.4级<b>地震</b>，"),
        ("푸틴은 도착했다", ["푸틴"], "<b>푸틴</b>은 도착했다"),
        ("ロシアのプーチン大統領", ["プーチン"], "ロシアの<b>プーチン</b>大統領"),
        ("Kim Jong Un", ["Kim Jong-un", "Kim"], "<b>Kim Jong Un</b>"),
        ("magnitude 7 quake", ["/magnitude [5-9]/"], "magnitude 7 quake"),
    ],
)
def test_bold_terms(text: str, spellings: list[str], expected: str) -> None:
    assert bold_terms(text, spellings) == expected
    parse_telegram_html(expected)


# ---------------------------------------------------------------- issue 15: titles and links


@pytest.mark.parametrize(
    ("title", "source", "shown"),
    [
        ("Sen. Cruz files candidacy | GMA News Feed", "GMA News", "Sen. Cruz files candidacy"),
        ("Putin - Erdogan talks - BBC News", "bbc.co.uk", "Putin - Erdogan talks"),
        ("Border bill passes | Fox News", "foxnews.com", "Border bill passes"),
        ("Border bill passes | Fox News", "Fox News", "Border bill passes"),
        ("Kim meets Putin | Eurasia Desk", "NK News", "Kim meets Putin | Eurasia Desk"),
        ("Kim - Putin", "Putin", "Kim - Putin"),
        ("Markets rally - News", "NK News", "Markets rally - News"),
    ],
)
def test_title_suffix_that_repeats_the_source_is_dropped(
    title: str, source: str, shown: str
) -> None:
    alert = render(make_match(title), "Summary.", source, MessageStyle())
    assert plain_text(alert.text).startswith(shown + "\n")
    assert alert.title == shown


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        (
            "https://www.bbc.co.uk/news/world-1?at_medium=RSS&at_campaign=rss",
            "https://www.bbc.co.uk/news/world-1",
        ),
        (
            "https://news.example/a?ns_mchannel=rss&id=5&ito=1490&utm_source=x#top",
            "https://news.example/a?id=5#top",
        ),
        ("https://news.example/story?id=1&src=rss", "https://news.example/story?id=1&src=rss"),
    ],
)
def test_link_text_drops_tracking_parameters(link: str, shown: str) -> None:
    alert = render(make_match(link=link), "Summary.", "S", MessageStyle())
    assert plain_text(alert.text).endswith("\n" + shown)
    assert f'href="{html.escape(link, quote=True)}"' in alert.text
    assert alert.link == link
