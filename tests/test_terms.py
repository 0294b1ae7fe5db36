"""Tests of alerts/text/terms.py and spans.py: how a term matches, one table of cases checked
through the definition, the spans shown in bold and the rules engine that uses it."""

from __future__ import annotations

import html

import pytest

from alerts.models import FeedItem, RuleSpec
from alerts.rules import RuleSet
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
]


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
