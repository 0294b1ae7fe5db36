"""alerts/feeds/parse.py: feed bytes to FeedItems, with the id rules of issue 2."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.errors import ParseError
from alerts.feeds.parse import parse_feed
from alerts.models import FetchedFeed

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "feeds"


def fetched(body: str, url: str = "https://feed.example/rss") -> FetchedFeed:
    return FetchedFeed(url=url, final_url=url, body=body.encode(), content_type="application/xml")


def rss_item(inner: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>'
        f"<item>{inner}</item></channel></rss>"
    )


@pytest.mark.parametrize(
    ("inner", "expected_id"),
    [
        (
            '<guid isPermaLink="false">abc-1</guid><link>https://x.example/a</link><title>A</title>',
            "abc-1",
        ),
        ("<link>https://x.example/a</link><title>A</title>", "https://x.example/a"),
    ],
)
def test_item_id_is_guid_else_link(inner: str, expected_id: str) -> None:
    (item,) = parse_feed(fetched(rss_item(inner)))
    assert item.item_id == expected_id


def test_item_id_without_guid_or_link_is_a_stable_hash() -> None:
    body = rss_item("<title>Only a title</title><pubDate>Sat, 13 Jun 2026 02:10:00 GMT</pubDate>")
    first = parse_feed(fetched(body))[0].item_id
    assert first.startswith("sha1:")
    assert parse_feed(fetched(body))[0].item_id == first
    other = rss_item("<title>Another title</title><pubDate>Sat, 13 Jun 2026 02:10:00 GMT</pubDate>")
    assert parse_feed(fetched(other))[0].item_id != first


def test_content_encoded_is_preferred_over_description() -> None:
    body = rss_item(
        "<title>A</title><description>short teaser</description>"
        "<content:encoded><![CDATA[<p>The full text.</p>]]></content:encoded>"
    )
    (item,) = parse_feed(fetched(body))
    assert "The full text." in item.content_html
    assert "teaser" not in item.content_html


def test_published_is_utc() -> None:
    body = rss_item("<title>A</title><pubDate>Sat, 13 Jun 2026 11:10:00 +0900</pubDate>")
    (item,) = parse_feed(fetched(body))
    assert item.published == datetime(2026, 6, 13, 2, 10, tzinfo=UTC)


def test_html_in_atom_title_becomes_plain_text() -> None:
    body = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>'
        '<entry><id>e1</id><title type="html">&lt;b&gt;Bold&lt;/b&gt; &amp;amp; more</title>'
        '<link href="/a/1"/><updated>2026-06-13T04:12:00Z</updated></entry></feed>'
    )
    (item,) = parse_feed(fetched(body, "https://atom.example/feed"))
    assert item.title == "Bold & more"
    assert item.link == "https://atom.example/a/1"  # relative link resolved against the feed


def test_script_is_sanitised_out_of_content() -> None:
    body = rss_item(
        "<title>A</title><description>&lt;p&gt;Hi&lt;/p&gt;&lt;script&gt;alert(1)"
        "&lt;/script&gt;</description>"
    )
    (item,) = parse_feed(fetched(body))
    assert "script" not in item.content_html
    assert "Hi" in item.content_html


def test_not_a_feed_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(fetched("<html><body><p>Hello <b>world</body>"))


XHTML_403 = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"
 "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en"><head>
<title>403 - Forbidden</title></head>
<body><h1>403 - Forbidden</h1><p>Access is denied.</p></body></html>"""
HTML_403 = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>
  Access &amp; Denied |
  Example CDN </title>
</head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>"""
LONG = "Long " * 16


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (XHTML_403, 'not a feed: an HTML page titled "403 - Forbidden"'),
        (HTML_403, 'not a feed: an HTML page titled "Access & Denied | Example CDN"'),
        ("<html><body><p>Hello <b>world</body>", "not a feed: an HTML page"),
        ("\ufeff<!-- cached -->\n<HTML><HEAD><TITLE>Oops</TITLE>", 'an HTML page titled "Oops"'),
        (f"<html><title>{'Long ' * 40}</title>", f'an HTML page titled "{LONG[:79]}…"'),
        ("", "not a feed: an empty document"),
        (" \n ", "not a feed: an empty document"),
        ('<?xml version="1.0"?><error code="429">slow down</error>', "an XML document <error>"),
    ],
)
def test_a_page_that_is_not_a_feed_fails_with_what_it_is(body: str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(fetched(body))
    expected = reason if reason.startswith("not a feed") else f"not a feed: {reason}"
    assert caught.value.reason == expected


def test_a_feed_without_items_is_still_a_feed() -> None:
    empty = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
    assert parse_feed(fetched(empty)) == []
    atom = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>F</title></feed>'
    assert parse_feed(fetched(atom)) == []


def test_a_feed_served_as_text_html_is_a_feed() -> None:
    body = rss_item("<guid>g</guid><title>A</title>").encode()
    page = FetchedFeed("u", "u", body, content_type="text/html; charset=utf-8")
    assert [i.item_id for i in parse_feed(page)] == ["g"]


def test_feed_order_is_kept_and_name_attached() -> None:
    items = parse_feed(
        FetchedFeed("u", "u", (EXAMPLES / "world-briefs.xml").read_bytes()), "World Briefs"
    )
    assert [i.title.split()[0] for i in items] == ["Kim", "Erdogan", "North", "Marathon"]
    assert {i.feed_name for i in items} == {"World Briefs"}


def test_huge_title_is_capped() -> None:
    body = rss_item(f"<title>{'word ' * 100_000}</title>")
    (item,) = parse_feed(fetched(body))
    assert len(item.title) <= 1000


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://x.example/a", "https://x.example/a"),
        ("HTTP://X.example/a", "HTTP://X.example/a"),
        ("/news/1", "https://feed.example/news/1"),
        ("story?id=2", "https://feed.example/story?id=2"),
        ("//cdn.example/s", "https://cdn.example/s"),
        ("javascript:alert(1)", ""),
        ("mailto:desk@x.example", ""),
        ("data:text/html,hi", ""),
        ("http://[::1", ""),
        ("", ""),
    ],
)
def test_links_are_absolute_http_or_nothing(link: str, expected: str) -> None:
    inner = f"<guid>g</guid><link>{link}</link><title>A</title>"
    (item,) = parse_feed(fetched(rss_item(inner), url="https://feed.example/rss"))
    assert item.link == expected


def test_relative_links_follow_the_url_the_feed_came_from() -> None:
    body = rss_item("<guid>g</guid><link>/a</link><title>A</title>").encode()
    moved = FetchedFeed("https://old.example/rss", "https://new.example/feed/rss", body)
    (item,) = parse_feed(moved)
    assert item.link == "https://new.example/a"


def test_xml_base_is_honoured_for_relative_links() -> None:
    body = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xml:base="https://base.example/blog/"><title>T</title>'
        '<entry><id>e1</id><title>A</title><link href="posts/1"/></entry>'
        '<entry xml:base="/other/"><id>e2</id><title>B</title><link href="2"/></entry></feed>'
    )
    first, second = parse_feed(fetched(body, url="https://feed.example/atom"))
    assert first.link == "https://base.example/blog/posts/1"
    assert second.link == "https://base.example/other/2"


# ---------------------------------------------------------------- which field is the content

MEDIA = 'xmlns:media="http://search.yahoo.com/mrss/"'


def media_item(inner: str) -> str:
    return rss_item(inner).replace('<rss version="2.0"', f'<rss version="2.0" {MEDIA}', 1)


CAPTION = (
    '<media:content url="https://x.example/a.jpg" medium="image">'
    "<media:description>A still image from police body camera footage.</media:description>"
    "<media:credit>Jane Doe/Agency</media:credit></media:content>"
)


@pytest.mark.parametrize(
    "inner",
    [
        pytest.param(f"<title>A</title><description>The item text.</description>{CAPTION}",
                     id="caption-after-description"),
        pytest.param(f"<title>A</title>{CAPTION}<description>The item text.</description>",
                     id="caption-before-description"),
    ],
)  # fmt: skip
def test_description_is_preferred_over_a_media_caption(inner: str) -> None:
    (item,) = parse_feed(fetched(media_item(inner)))
    assert item.content_html == "The item text."


def test_content_encoded_still_wins_over_description_and_caption() -> None:
    body = media_item(
        f"<title>A</title>{CAPTION}<description>Teaser.</description>"
        "<content:encoded><![CDATA[<p>The full text.</p>]]></content:encoded>"
    )
    (item,) = parse_feed(fetched(body))
    assert item.content_html == "<p>The full text.</p>"


def test_media_description_is_read_when_the_item_has_no_text_of_its_own() -> None:
    """A video's description (YouTube) is in media:group/media:description only."""
    body = media_item(
        "<title>A</title><media:group><media:description type='html'>What the video shows."
        "&lt;script&gt;alert(1)&lt;/script&gt;</media:description></media:group>"
    )
    (item,) = parse_feed(fetched(body))
    assert "What the video shows." in item.content_html
    assert "script" not in item.content_html


def test_content_without_text_gives_way_to_the_description() -> None:
    body = rss_item(
        "<title>A</title><description>The item text.</description>"
        '<content:encoded><![CDATA[<p><img src="https://x.example/a.jpg"></p>]]></content:encoded>'
    )
    (item,) = parse_feed(fetched(body))
    assert item.content_html == "The item text."


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        pytest.param("Gunman's identity unknown\nSubscribe to Channel Ten!",
                     "Gunman&#x27;s identity unknown<br>\nSubscribe to Channel Ten!",
                     id="line-without-stop-is-a-boundary"),
        pytest.param("Top stories\nVolcano erupts on La Palma\nMarkets fall",
                     "Top stories<br>\nVolcano erupts on La Palma<br>\nMarkets fall",
                     id="headline-lines-stay-apart"),
        pytest.param("It struck at 9:41 a.m. on\nFriday, the county said.",
                     "It struck at 9:41 a.m. on Friday, the county said.",
                     id="wrap-after-a-word-that-cannot-end-a-sentence"),
        pytest.param("It struck off the coast,\nofficials said.",
                     "It struck off the coast, officials said.", id="wrap-after-a-comma"),
        pytest.param("The quake struck off\nthe coast.", "The quake struck off the coast.",
                     id="wrap-before-lower-case"),
        pytest.param("Guests:\njane and john", "Guests:<br>\njane and john", id="label-line"),
    ],
)  # fmt: skip
def test_plain_text_line_breaks(description: str, expected: str) -> None:
    (item,) = parse_feed(
        fetched(rss_item(f"<title>A</title><description>{description}</description>"))
    )
    assert item.content_html == expected
