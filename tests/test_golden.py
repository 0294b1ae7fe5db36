"""Golden files: sample feed items through parse, rules, summary and render, as the pipeline does.

Each ``tests/data/items/<name>.xml`` is a small feed with one item modelled on a real-world
pattern (WordPress, Blogger, wire copy, Google News, Reddit, YouTube, RDF, scripts other than
Latin...). ``<name>.expected.txt`` holds what a reader of the alert should see::

    == summary ==
    <the summary, one line; empty when there is nothing to summarise>
    == message ==
    <the message text as sent to Telegram, HTML parse mode>

``UPDATE_GOLDEN=1 pytest tests/test_golden.py`` rewrites the expected files from the current
output. The samples listed in ``KNOWN_BUGS`` are not rewritten: their expected files were
corrected by hand to what the output should be, and their tests are strict xfails until the bug
is fixed (then remove the entry). Every expected file is checked against the invariants too.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from alerts.config import loads, rule_specs
from alerts.feeds.parse import parse_feed
from alerts.message.render import MessageStyle, render
from alerts.message.summary import clean_paragraphs, summarize
from alerts.models import FetchedFeed, Match
from alerts.rules import RuleSet
from alerts.text.html import html_to_text
from alerts.text.normalize import normalize
from tests.fakes.botapi import parse_telegram_html

DATA = Path(__file__).resolve().parent / "data" / "items"
SOURCE = "Source Name"
STYLE = MessageStyle(timezone="Asia/Seoul")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# Aliases in Korean, Japanese, Chinese and Arabic; the last two rules are limited (`feeds:`) to
# the one sample each is about, since every sample's feed is tagged with its own name.
CONFIG = loads(
    """
telegram:
  chat: "@golden_alerts"
entities:
  Vladimir Putin: [Putin, Russian President, Путин, 푸틴, プーチン, 普京, بوتين]
  Kim Jong-un: [Kim Jong Un, North Korean leader, Ким Чен Ын, 김정은, 金正恩]
  Recep Tayyip Erdoğan: [Erdogan, Turkish President, أردوغان]
  earthquake: [quake, 地震, 지진, زلزال]
rules:
  - name: Putin
    any: [Vladimir Putin]
  - name: Kim Jong-un
    any: [Kim Jong-un]
  - name: Erdoğan
    any: [Recep Tayyip Erdoğan]
  - name: Earthquakes
    any: [earthquake, tsunami*, '/magnitude [5-9]/']
  - name: United States
    any: [US]
    feeds: [acronym_in_lead]
  - name: Missiles
    any: [missile*]
    feeds: [prefix_term]
"""
)
RULES = RuleSet.compile(*rule_specs(CONFIG))

# sample -> the bug(s) that make its output differ from its hand-corrected expected file.
KNOWN_BUGS: dict[str, str] = {}

BOILERPLATE = ("Leave a Reply", "appeared first on", "Read more", "submitted by")
# Sentence ends: Latin, CJK full-width (。！？) and the Arabic question mark. A paragraph in
# social-media style may also end with an emoji (a symbol) instead of a full stop.
ENDINGS = (".", "!", "?", "…", '"', "”", "’", "'", "»", "。", "！", "？", "؟")

SAMPLES = sorted(p.name.removesuffix(".xml") for p in DATA.glob("*.xml"))


def produce(name: str) -> tuple[Match, str, str]:
    """The match, summary and message of one sample, as ``alerts.decide`` makes them."""
    url = f"https://{name.replace('_', '-')}.example/feed"
    body = (DATA / f"{name}.xml").read_bytes()
    items = parse_feed(FetchedFeed(url, url, body, "application/xml"))
    assert len(items) == 1, f"{name}: expected one item, got {len(items)}"
    matches = RULES.match(items[0], labels(name))
    assert len(matches) == 1, f"{name}: expected one match, got {len(matches)}"
    match = matches[0]
    terms = tuple(h.matched for r in match.rules for h in r.hits if not h.matched.startswith("/"))
    item = match.item
    summary = summarize(item.title, item.content_html, CONFIG.message.summary_chars, terms)
    alert = render(match, summary, SOURCE, STYLE)
    return match, summary, alert.text


def labels(name: str) -> frozenset[str]:
    """The feed labels of a sample: the source name, and the sample's name as a tag."""
    return frozenset({SOURCE, name})


def format_golden(summary: str, message: str) -> str:
    return f"== summary ==\n{summary}\n== message ==\n{message}\n"


def read_golden(name: str) -> tuple[str, str]:
    text = (DATA / f"{name}.expected.txt").read_text(encoding="utf-8")
    head, sep, message = text.partition("\n== message ==\n")
    assert head.startswith("== summary ==\n") and sep, f"{name}.expected.txt: bad format"
    assert message.endswith("\n"), f"{name}.expected.txt: no final newline"
    return head.removeprefix("== summary ==\n"), message.removesuffix("\n")


def check_invariants(name: str, match: Match, summary: str, message: str) -> None:
    """What must hold for any alert, whatever the sample."""
    parse_telegram_html(message)  # raises ValueError unless Telegram would accept it
    assert len(summary) <= CONFIG.message.summary_chars
    assert summary == summary.strip()
    assert "\n" not in summary
    title = match.item.title
    if title and summary:
        assert not normalize(summary).startswith(normalize(title)), "summary repeats the title"
    for phrase in BOILERPLATE:
        assert phrase.lower() not in summary.lower(), f"boilerplate in summary: {phrase!r}"
    if summary:
        ends_well = summary.endswith(ENDINGS) or unicodedata.category(summary[-1]) == "So"
        # A line of the item's own with no stop (a list item, a line of a video's description)
        # is shown whole, as the feed wrote it; anything else must end as a sentence.
        lines = clean_paragraphs(title, html_to_text(match.item.content_html, link_lists=False))
        assert ends_well or summary in lines, f"summary ends badly: {summary[-20:]!r}"
    # A term that fired only in the content is shown in the summary.
    if any(h.field == "content" for r in match.rules for h in r.hits):
        shown = RULES.match_text("", summary, match.item, labels(name))
        assert shown, "the summary shows none of the matched terms"


def _param(name: str) -> object:
    if name in KNOWN_BUGS:
        return pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_BUGS[name], strict=True))
    return name


@pytest.mark.parametrize("name", [_param(n) for n in SAMPLES])
def test_golden(name: str) -> None:
    """The sample's summary and message are the expected ones, and sane."""
    match, summary, message = produce(name)
    path = DATA / f"{name}.expected.txt"
    if UPDATE and (name not in KNOWN_BUGS or not path.exists()):
        path.write_text(format_golden(summary, message), encoding="utf-8")
    expected_summary, expected_message = read_golden(name)
    assert summary == expected_summary
    assert message == expected_message
    check_invariants(name, match, summary, message)


@pytest.mark.parametrize("name", SAMPLES)
def test_expected_file_is_sane(name: str) -> None:
    """Every expected file, hand-corrected ones included, meets the invariants."""
    match, _, _ = produce(name)
    summary, message = read_golden(name)
    check_invariants(name, match, summary, message)


def test_every_sample_has_an_expected_file() -> None:
    """No stray expected file without its sample, and enough samples."""
    expected = sorted(p.name.removesuffix(".expected.txt") for p in DATA.glob("*.expected.txt"))
    assert expected == SAMPLES
    assert len(SAMPLES) >= 18
