"""Tests of alerts/text/terms.py and spans.py: how a term matches, one table of cases checked
through the definition, the spans shown in bold and the rules engine that uses it."""

from __future__ import annotations

import html
import unicodedata

import pytest

from alerts.models import FeedItem, RuleSpec
from alerts.rules import RuleSet
from alerts.text.chars import IGNORABLE, fold_lookalikes
from alerts.text.spans import find_terms
from alerts.text.terms import TermForm, is_acronym, normal_form, occurrences, term_form

# One row per behaviour: the text, a spelling, what is shown in bold (empty: no match).
FIND_CASES = [
    ("Russia and the US", "US", ["US"]),
    ("Russia and us", "US", []),
    ("Nato and NATO, not nato", "NATO", ["Nato", "NATO"]),
    (
        "Kim Jong Un and Kim Jong-un and KIM JONG\u2013UN",
        "Kim Jong-un",
        ["Kim Jong Un", "Kim Jong-un", "KIM JONG\u2013UN"],
    ),
    ("Kim Jong-unification", "Kim Jong-un", []),
    ("Rasputin met Putin\u2019s aide", "Putin", ["Putin"]),
    ("Erdo\u011fan and Erdogan", "Erdogan", ["Erdo\u011fan", "Erdogan"]),
    ("Erdog\u0306an", "Erdogan", ["Erdog\u0306an"]),
    ("Erdogan", "Erdo\u011fan", ["Erdogan"]),
    ("S\u00e3o Paulo", "Sao Paulo", ["S\u00e3o Paulo"]),
    ("missile, missiles, antimissile", "missile*", ["missile", "missiles"]),
    ("6.4级地震，", "地震", ["地震"]),
    ("ロシアのプーチン大統領", "プーチン", ["プーチン"]),
    ("푸틴은 도착했다", "푸틴", ["푸틴"]),
    ("U.S. and AT&T", "U.S.", ["U.S."]),
    ("AT&T and at&t", "AT&T", ["AT&T", "at&t"]),
    ("Stra\u00dfe", "strasse", ["Stra\u00dfe"]),
    ("magnitude 6", "/magnitude [5-9]/", []),
    ("anything", "  ", []),
    # Default-ignorable characters inside a word (issue 13): the span shown is the whole word.
    ("Pu\u2063tin and Putin", "Putin", ["Pu\u2063tin", "Putin"]),
    ("\u2066Pu\u2067tin\u2069 said", "Putin", ["Pu\u2067tin\u2069"]),
    ("Pu\u180etin, Pu\u061ctin, Pu\u3164tin", "Putin",
     ["Pu\u180etin", "Pu\u061ctin", "Pu\u3164tin"]),
    ("Pu\ufe0ftin\U000e0041", "Putin", ["Pu\ufe0ftin\U000e0041"]),  # a variation selector, a tag
    ("Pu\u2063tin", "Pu\u2063tin", ["Pu\u2063tin"]),  # in the term too
    # Cyrillic and Greek look-alikes: folded only in a word that mixes them with Latin letters.
    ("\u0420utin and \u03a1utin", "Putin", ["\u0420utin", "\u03a1utin"]),
    ("\u0420utin and \u041f\u0443\u0442\u0438\u043d", "\u041f\u0443\u0442\u0438\u043d",
     ["\u041f\u0443\u0442\u0438\u043d"]),
    ("\u0421\u043e\u0447\u0438 (Sochi)", "\u0421\u043e\u0447\u0438", ["\u0421\u043e\u0447\u0438"]),
    ("N\u0410\u0422\u041e and NATO", "NATO", ["N\u0410\u0422\u041e", "NATO"]),
    ("\u039d\u03ad\u03b1 \u0394\u03b7\u03bc\u03bf\u03ba\u03c1\u03b1\u03c4\u03af\u03b1",
     "\u039d\u03ad\u03b1", ["\u039d\u03ad\u03b1"]),
    ("P\u0443\u0442\u0438\u043d", "Putin", []),  # one Latin letter does not make it Latin
    # Never inside a URL or an e-mail address (issue 15); a host name alone is a name.
    ("Apple: https://apple.co/3xYz Google: https://bit.ly/a", "Apple", ["Apple"]),
    ("Listen on podcasts.apple.com/us/podcast/id1 or www.apple.com", "Apple", []),
    ("Write to press@apple.com today", "Apple", []),
    ("Apple.com said, and apple-news.example/apple", "Apple", ["Apple"]),
    ("(kremlin.ru/events/putin-visit) Putin spoke", "Putin", ["Putin"]),
    ("https://news.example/kim-jong-un-visit, <mailto:kim.jong.un@x.example>", "Kim Jong-un", []),
    ("Apple https://x.example/y Music", "Apple Music", []),  # no phrase across a link
    ("HTTPS://NEWS.EXAMPLE/NATO-SUMMIT, then NATO", "NATO", ["NATO"]),
    ("ftp://files.example/missiles.zip missiles", "missile*", ["missiles"]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "spelling", "found"), FIND_CASES)
def test_find_terms(text: str, spelling: str, found: list[str]) -> None:
    """The spans shown in bold: in the text as displayed, accents and marks included."""
    assert [text[a:b] for a, b in find_terms(text, [spelling])] == found


SPELLINGS = [c for c in FIND_CASES if c[1].strip() and not c[1].startswith("/")]


@pytest.mark.parametrize(("text", "spelling", "found"), SPELLINGS)
def test_the_definition(text: str, spelling: str, found: list[str]) -> None:
    """The matches of a spelling's form in the normal form of the text, one per shown span."""
    form = term_form(spelling)
    assert form is not None
    assert len(list(occurrences(form, normal_form(text, form.cased)))) == len(found)


@pytest.mark.parametrize(("text", "spelling", "found"), SPELLINGS)
def test_the_rules_engine(text: str, spelling: str, found: list[str]) -> None:
    """A rule made of a spelling fires on a text exactly when the spelling is found there."""
    rules = RuleSet.compile([RuleSpec("r", "@alerts", any=(spelling,))], [])
    item = FeedItem("https://feed.example", "id", "", "", html.escape(text), None)
    assert bool(rules.match(item)) == bool(found)


@pytest.mark.parametrize("spelling", ["/magnitude [5-9]/", " /kim/ ", "", "  ", "*", "-"])
def test_regular_expressions_and_empty_spellings_have_no_form(spelling: str) -> None:
    assert term_form(spelling) is None


@pytest.mark.parametrize(
    ("spelling", "form"),
    [
        (" NATO ", TermForm("NATO", ("NATO", "Nato"), True, True, True, False)),
        ("Kim Jong-un", TermForm("Kim Jong-un", ("kim jong un",), False, True, True, False)),
        ("missile*", TermForm("missile*", ("missile",), False, True, False, True)),
        ("Erdoğan", TermForm("Erdoğan", ("erdogan",), False, True, True, False)),
        ("地震", TermForm("地震", ("地震",), False, False, False, False)),
        ("地震*", TermForm("地震*", ("地震",), False, False, False, False)),
        ("푸틴", TermForm("푸틴", ("푸틴",), False, False, False, False)),
        ("Putin 푸틴", TermForm("Putin 푸틴", ("putin 푸틴",), False, True, False, False)),
        ("U.S.", TermForm("U.S.", ("u.s.",), False, True, True, False)),
    ],
)
def test_term_form(spelling: str, form: TermForm) -> None:
    assert term_form(spelling) == form


@pytest.mark.parametrize(
    ("spelling", "acronym"),
    [
        ("US", True),
        ("NATO", True),
        ("DPRK", True),
        ("\u00c9\u00c9", True),
        ("Us", False),
        ("us", False),
        ("ABCDEF", False),
        ("U.S.", False),
        ("A", False),
        ("US*", False),
    ],
)
def test_is_acronym(spelling: str, acronym: bool) -> None:
    assert is_acronym(spelling) == acronym


def test_matches_do_not_overlap() -> None:
    """As a regular expression's search would: "x.x" twice in "x.x.x" overlaps, so once."""
    form = term_form("x.x")
    assert form is not None
    assert list(occurrences(form, "x.x.x x.x")) == [(0, 3), (6, 9)]
    assert find_terms("x.x.x", ["x.x"]) == [(0, 3)]


def test_an_acronyms_two_spellings_are_found_left_to_right() -> None:
    form = term_form("NATO")
    assert form is not None
    assert list(occurrences(form, "Nato, NATONato, nato and NATO")) == [(0, 4), (25, 29)]


def test_runs_of_spaces_and_dashes_match_one_space() -> None:
    text = "Kim  Jong -\u2013 un"
    assert [text[a:b] for a, b in find_terms(text, ["Kim Jong-un"])] == [text]


# ---------------------------------------------------------------- the character tables

# PropList.txt (Unicode 14.0): Other_Default_Ignorable_Code_Point and Variation_Selector; and
# what DerivedCoreProperties.txt takes out of Default_Ignorable_Code_Point.
OTHER_IGNORABLE = {
    0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2065, 0x3164, 0xFFA0, *range(0xFFF0, 0xFFF9),
    0xE0000, *range(0xE0002, 0xE0020), *range(0xE0080, 0xE0100), *range(0xE01F0, 0xE1000),
}  # fmt: skip
VARIATION_SELECTORS = {*range(0x180B, 0x180E), 0x180F, *range(0xFE00, 0xFE10),
                       *range(0xE0100, 0xE01F0)}  # fmt: skip
PREPENDED_CONCATENATION_MARKS = {*range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2,
                                 0x110BD, 0x110CD}  # fmt: skip
NOT_IGNORABLE = {*range(0xFFF9, 0xFFFC), *range(0x13430, 0x13440)} | PREPENDED_CONCATENATION_MARKS


def default_ignorable() -> set[int]:
    """Default_Ignorable_Code_Point, derived as DerivedCoreProperties.txt says, from unicodedata."""
    format_controls = {c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"}
    derived = format_controls | OTHER_IGNORABLE | VARIATION_SELECTORS
    return {c for c in derived - NOT_IGNORABLE if not chr(c).isspace()}


def test_the_ignorable_table_is_unicodes_default_ignorable_code_points() -> None:
    table = {c for c in range(0x110000) if IGNORABLE.fullmatch(chr(c))}
    assert table == default_ignorable()
    assert {0x2063, 0x2066, 0x2069, 0x180E, 0x061C, 0x3164} <= table  # the tester's


def test_every_default_ignorable_code_point_inside_a_word_is_dropped() -> None:
    for code in sorted(default_ignorable()):
        word = f"Pu{chr(code)}tin"
        assert normal_form(word, cased=False) == "putin", hex(code)
        assert normal_form(word, cased=True) == "Putin", hex(code)
        assert find_terms(word, ["Putin"]) == [(0, len(word))], hex(code)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("\u0420utin", "Putin"),  # Cyrillic Р
        ("P\u0430ris", "Paris"),  # Cyrillic а
        ("\u0399ran", "Iran"),  # Greek Ι: its prototype is l, as Latin I's; the case is kept
        ("N\u0410\u0422\u041e", "NATO"),
        ("\u041f\u0443\u0442\u0438\u043d", "\u041f\u0443\u0442\u0438\u043d"),  # all Cyrillic
        ("\u0391\u0398\u0397\u039d\u0391", "\u0391\u0398\u0397\u039d\u0391"),  # all Greek
        ("\u0420 utin", "\u0420 utin"),  # two words: a Cyrillic one and a Latin one
        ("\u0420\u200butin", "P\u200butin"),  # an invisible character is inside the word
        ("TNF\u03b1", "TNFa"),
    ],
)
def test_lookalikes_are_folded_only_in_words_that_mix_scripts(text: str, folded: str) -> None:
    assert fold_lookalikes(text) == folded
    assert len(fold_lookalikes(text)) == len(text)  # one for one: spans stay where they are


def test_white_space_is_collapsed_where_a_regex_would_collapse_it() -> None:
    """``collapse_space`` splits with ``str.split`` for speed: it must agree with ``\\s+`` (what
    the rules and dedup were written against) on every code point, alone and in a run."""
    import re
    import sys

    from alerts.text.normalize import collapse_space

    space = re.compile(r"\s+")
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        assert (f"a{char}b".split() == ["a", "b"]) == bool(space.fullmatch(char)), hex(point)
    sample = "  a\u00a0\u2003b\t\n\u3000c \x1c d\u200be  "
    assert collapse_space(sample) == space.sub(" ", sample).strip() == "a b c d\u200be"
