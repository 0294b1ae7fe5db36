"""Tests of the dedup guards for the semantic stage (issue 14): which refusals are hard (bind
the semantic stage), which soft, and which titles are recurring. Headlines written for these
tests, none from the labelled data."""

from __future__ import annotations

from alerts.dedup.keys import story_key
from alerts.dedup.scoring import (
    DEFAULT_THRESHOLD,
    TitleJudgement,
    find_duplicate,
    judge_titles,
    similarity,
)
from alerts.dedup.words import comparable_title


def judge(a: str, b: str, lead_a: str = "", lead_b: str = "") -> TitleJudgement:
    return judge_titles(story_key(a, "", lead=lead_a), story_key(b, "", lead=lead_b))


def refusal(a: str, b: str, lead_a: str = "", lead_b: str = "") -> tuple[str | None, bool]:
    """The refusal's kind (before its colon) and whether it is hard, both ways round."""
    one, other = judge(a, b, lead_a, lead_b), judge(b, a, lead_b, lead_a)
    kinds = [(j.refusal.split(":")[0] if j.refusal else None, j.hard) for j in (one, other)]
    assert kinds[0] == kinds[1], (one, other)
    return kinds[0]


def test_numbers_refuse_hard_only_in_one_template() -> None:
    # The same words in the same order but for the figures: another day's or market's story.
    assert refusal("Nikkei opens 1% lower", "Nikkei opens 2% lower") == (
        "figures differ in one template",
        True,
    )
    assert refusal("Storm kills 12 in coastal villages", "Storm kills 21 in coastal villages") == (
        "figures differ in one template",
        True,
    )
    # Early reports of one event count differently: the string stage refuses, meaning may not.
    soft = ("numbers differ", False)
    assert (
        refusal(
            "8 killed in Perm university shooting", "Several killed in Perm university shooting"
        )
        == soft
    )
    assert (
        refusal(
            "8 killed in Perm university shooting", "At least 6 dead in Perm university shooting"
        )
        == soft
    )
    assert (
        refusal("Ferry sinks, 30 missing", "Ferry sinks off coast, 41 missing and 12 rescued")
        == soft
    )
    # A wire version label is no figure of the story.
    assert refusal("Ports strike ends -- 3rd Update", "Ports strike ends -- 4th Update") == (
        None,
        False,
    )
    judged = judge("Nikkei opens 1% lower", "Nikkei opens 2% lower")
    assert 0 < judged.score < 100  # the score before the refusal, for the semantic stage
    title = comparable_title("8 killed in Perm university shooting")
    assert similarity(title, comparable_title("Several killed in Perm university shooting")) == 0.0


def test_opposite_outcomes_and_one_sided_negation_are_hard() -> None:
    assert refusal("Retail sales rise in March", "Retail sales fall in March") == (
        "changed key word",
        True,
    )
    assert refusal("Senator wins runoff election", "Senator loses runoff election") == (
        "changed key word",
        True,
    )
    assert refusal("Bank will not cut rates this year", "Bank will cut rates this year") == (
        "negation on one side only",
        True,
    )
    # A hard refusal comes before the soft one of numbers.
    assert refusal("Shares rise 3% after results", "Shares fall 5% after results") == (
        "changed key word",
        True,
    )
    # A retelling in other words passes.
    assert refusal("Retail sales rise in March", "Retail sales climb in March") == (None, False)


def test_roles_swapped_are_hard_but_the_passive_is_a_retelling() -> None:
    assert refusal("Lions beat Tigers in cup final", "Tigers beat Lions in cup final") == (
        "roles swapped",
        True,
    )
    assert refusal("Acme sues Globex over patents", "Globex sues Acme over patents") == (
        "roles swapped",
        True,
    )
    assert refusal("Acme sues Globex over patents", "Globex sued by Acme over patents") == (
        None,
        False,
    )
    assert refusal("Lions beat Tigers in cup final", "Tigers beaten by Lions in cup final") == (
        None,
        False,
    )
    # The progressive is no passive, and a participle without "by" has no sides.
    assert refusal("Acme buying Globex for $2 billion", "Acme is buying Globex") == (None, False)
    assert refusal("Guard struck and killed by train", "Guard struck and killed in train yard") == (
        None,
        False,
    )
    # Words that only move keep the roles; a symmetric relation has none to swap.
    assert refusal("In cup final, Lions beat Tigers", "Lions beat Tigers in cup final") == (
        None,
        False,
    )
    assert refusal("Macron meets Scholz in Berlin", "Scholz meets Macron in Berlin") == (
        None,
        False,
    )


def test_another_name_in_the_same_template_is_hard() -> None:
    another = ("another name", True)
    assert (
        refusal(
            "Tesla recalls 10,000 cars over brake fault",
            "Toyota recalls 10,000 cars over brake fault",
        )
        == another
    )
    assert (
        refusal(
            "Tesla Recalls 10,000 Cars Over Brake Fault",
            "Toyota Recalls 10,000 Cars Over Brake Fault",
        )
        == another
    )
    assert (
        refusal(
            "Regulators fine Meta over data transfers", "Regulators fine Google over data transfers"
        )
        == another
    )
    # A synonym is no name, in sentence case or Title Case.
    assert refusal("Federer wins 7th Wimbledon title", "Federer captures 7th Wimbledon title") == (
        None,
        False,
    )
    assert refusal("Federer Wins 7th Wimbledon Title", "Federer Captures 7th Wimbledon Title") == (
        None,
        False,
    )
    # A publisher after " - " is no actor; a label before a colon is no subject.
    assert refusal("Miners strike over pay - WXYZ News", "Miners strike over pay - KABC Radio") == (
        None,
        False,
    )
    assert refusal("Recap: Comet lights up sky", "Watch: Comet lights up sky") == (None, False)
    # One actor named two ways; a name added in another place is no substitution.
    assert refusal("UN warns of famine in Yemen", "United Nations warns of famine in Yemen") == (
        None,
        False,
    )
    assert refusal("Rebels declare independent Azawad", "Tuareg rebels declare independence") == (
        None,
        False,
    )


def test_title_case_words_are_read_from_the_lead() -> None:
    a, b = "Regulators Fine Meta Over Data Transfers", "Regulators Fine Google Over Data Transfers"
    assert refusal(a, b) == (None, False)  # Title Case: the title cannot tell
    lead_a = "European regulators fined Meta on Monday over transfers of user data."
    lead_b = "European regulators fined Google on Monday over transfers of user data."
    assert refusal(a, b, lead_a, lead_b) == ("another name", True)
    # The lead tells a common word from a name at the start of a title too.
    c, d = "Militants attack army base near border", "Gunmen attack army base near border"
    assert refusal(c, d) == ("another name", True)  # the subject is taken for a name
    lead_c, lead_d = "Suspected militants attacked a base.", "Armed gunmen attacked a base."
    assert refusal(c, d, lead_c, lead_d) == (None, False)


def test_find_duplicate_refuses_another_name_and_keeps_the_synonym() -> None:
    window = [story_key("Tesla recalls 10,000 cars over brake fault", "https://a.example/1")]
    story = story_key("Toyota recalls 10,000 cars over brake fault", "https://b.example/2")
    assert similarity(story.title, window[0].title) >= DEFAULT_THRESHOLD  # the title alone merges
    assert find_duplicate(story, window) is None
    window = [story_key("Federer wins 7th Wimbledon title", "https://a.example/3")]
    story = story_key("Federer captures 7th Wimbledon title", "https://b.example/4")
    assert find_duplicate(story, window) is not None


def test_another_date_or_edition_of_a_recurring_title_is_hard() -> None:
    another_date = ("another date", True)
    assert (
        refusal("Noon Bulletin: March 3, 2024 [HD]", "Noon Bulletin: March 4, 2024 [HD]")
        == another_date
    )
    assert refusal("Evening News: June 1, 2024", "Evening News: June 2, 2024") == another_date
    assert (
        refusal("Morning briefing, Tuesday 5 March", "Morning briefing, Wednesday 6 March")
        == another_date
    )
    assert refusal("Market wrap 2024-03-04", "Market wrap 05/03/2024") == another_date
    assert refusal("Market wrap 14/03/2024", "Market wrap March 15") == another_date
    assert refusal("Town Hall Podcast Episode 12", "Town Hall Podcast Episode 13") == (
        "another edition",
        True,
    )
    assert refusal("The budget debate, Part 2", "The budget debate, Part 3") == (
        "another edition",
        True,
    )


def test_a_show_name_and_a_date_is_a_recurring_title() -> None:
    # Two newscasts on one date: what is left of the titles shares nothing.
    a, b = "Noon Bulletin Weekend: March 3, 2024 [HD]", "Late Edition Express: March 3, 2024 [HD]"
    assert similarity(comparable_title(a), comparable_title(b)) == 0.0
    assert refusal(a, b) == ("different titles beside the date", True)
    # The same show on the same date, however tagged or written: judged on its content.
    for other in (
        "Noon Bulletin Weekend: March 3, 2024",
        "(LIVE) Noon Bulletin Weekend | 3 March 2024 | Full episode",
        "Noon Bulletin Weekend 2024-03-03",
    ):
        judged = judge(a, other)
        assert judged.recurring and judged.refusal is None, other
    # A dated headline is still judged on its words.
    assert not judge("Storm hits coast, March 3", "Parliament passes budget, March 3").recurring


def test_identical_generic_titles_are_recurring() -> None:
    for title in ("Business Highlights", "Morning briefing", "Weather"):
        assert judge(title, title.upper() + "!").recurring
    assert not judge("Business Highlights", "Business Highlights: chipmakers rally").recurring
    assert judge("Weather: March 3", "Weather | March 3, 2024 [HD]").recurring


def test_judge_titles_gives_its_reasons() -> None:
    reasons: list[str] = []
    judge_titles(
        story_key("Tesla recalls 10,000 cars over brake fault", ""),
        story_key("Toyota recalls 10,000 cars over brake fault", ""),
        reasons,
    )
    assert reasons == ["another name: Tesla / Toyota"]
