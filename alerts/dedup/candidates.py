"""A story against its window candidates: each pair's verdict (``verdict.judge``), the best kept.

The string stage runs first, as it always did: ``scoring.find_similar_title`` rules most
candidates out with its cheap bound and names the most similar title at the threshold, which
``scoring.judge_titles`` confirms (its guards read the raw titles). That is the whole cost of a
string-only verdict. Only when it finds nothing, or finds a recurring title (the same title, or
a show name and a date) for a story with a lead (without one, the title decides: an item no
rule matched has none), is every candidate judged by ``judge_titles`` (but those whose cheap
bound is below what any stage needs: ``_titles``) and then by content and meaning:

- a recurring title is judged on the leads: by their vectors' cosine (at least
  ``dedup.semantic_threshold``) when there is a model, else by the string score of the leads
  (at least ``dedup.threshold``);
- the candidates whose pair the semantic stage could change (``verdict.needs_cosine``) are
  compared by meaning: the query's title vector against theirs, in one ``vectors.cosines``
  call, and the highest cosine at the threshold wins.

A comparison computes at most ``embed_memo.LAZY_CANDIDATES`` (4) candidate vectors that are
neither stored nor memoised, for the candidates with the highest string score; the others
without a vector are judged on their strings alone for this query (titles: no cosine; leads: by
their words). A model call costs some 8 ms a title on this machine, so 20 candidates without
vectors would stall the event loop some 170 ms; every alerted story gets its title vector soon
after its alert (``alerts.backfill``), so the cap binds only on stories stored before that
vector arrived.

The best verdict is the title's (by score, the content's counting as one), then the meaning's
(by cosine).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from alerts.dedup.dates import dated
from alerts.dedup.embed_memo import Meaning
from alerts.dedup.scoring import (
    TitleJudgement,
    bound,
    find_similar_title,
    judge_titles,
    similarity,
)
from alerts.dedup.verdict import LeadCheck, SemanticPolicy, Verdict, judge, needs_cosine
from alerts.dedup.words import comparable_lead
from alerts.models import StoryKey

if TYPE_CHECKING:
    from alerts.dedup.window import Entry

Reason = Literal["same link", "same guid", "similar title", "same content", "same meaning"]
STAGES: dict[Reason, str] = {"same link": "identity", "same guid": "identity",
                             "similar title": "title", "same content": "content",
                             "same meaning": "meaning"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Why a story is taken for a candidate's retelling: the candidate (-1 for the window's
    exact indexes), the title score (0-100), the reason, the cosine when meaning was compared,
    the string stage's refusal that meaning overruled, and the verdict in words."""

    index: int
    score: float
    reason: Reason
    cosine: float | None = None
    refusal: str | None = None
    why: str = ""

    @property
    def stage(self) -> str:
        """Which stage decided: identity, title, content (the leads) or meaning."""
        return STAGES[self.reason]

    @property
    def rank(self) -> tuple[int, float]:
        """Identity first, then title or content by score, then meaning by cosine."""
        if self.stage == "identity":
            return 3, self.score
        if self.stage == "meaning":
            return 1, self.cosine or 0.0
        return 2, self.score


def best_duplicate(
    query: StoryKey, entries: Sequence[Entry], threshold: float, meaning: Meaning | None
) -> Duplicate | None:
    """The candidate ``query`` retells, or None (``meaning`` None: string-only)."""
    keys = [e.key for e in entries]
    quick = find_similar_title(query, keys, threshold)  # identity: the window looked it up
    if quick is not None:
        # find_duplicate applied every guard; only a score of 100 may be a recurring title
        # (the same title, or a show and the same date), which its content decides, when the
        # story has a lead to compare (without one the title decides, as for any title).
        title = (judge_titles(query, keys[quick.index]) if quick.score >= 100.0
                 else TitleJudgement(quick.score))  # fmt: skip
        by_title = not title.recurring or not query.lead
        if by_title and title.refusal is None and title.score >= threshold:
            return Duplicate(quick.index, title.score, "similar title", why=_why_title(title))
    if quick is None and (meaning is None or not meaning.usable):
        return None  # nothing at the threshold, and no meaning to look further
    policy = meaning.policy if meaning is not None else SemanticPolicy(threshold, semantic=False)
    usable = meaning is not None and meaning.usable and policy.semantic
    return _judged(query, entries, _titles(query, keys, policy.floor if usable else threshold),
                   policy, meaning)  # fmt: skip


def _titles(query: StoryKey, keys: Sequence[StoryKey], low: float) -> list[TitleJudgement]:
    """Each candidate's title judgement. A candidate whose bound (``scoring.bound``) is below
    ``low``, what any stage needs (the threshold; the semantic floor when meaning is compared),
    is not judged: it can be neither one story by its title nor worth a cosine, and it is not
    the same title. A dated query title is judged against every candidate (a recurring title's
    date may be spelt another way)."""
    if dated(query.title).marked:
        return [judge_titles(query, k) for k in keys]
    judged = []
    for key in keys:
        most = bound(query.title, key.title)
        judged.append(judge_titles(query, key) if most >= low else TitleJudgement(most))
    return judged


def _judged(
    query: StoryKey,
    entries: Sequence[Entry],
    titles: list[TitleJudgement],
    policy: SemanticPolicy,
    meaning: Meaning | None,
) -> Duplicate | None:
    leads = _lead_checks(query, entries, titles, policy, meaning)
    cosines = _title_cosines(query, entries, titles, policy, meaning)
    best: Duplicate | None = None
    for i, title in enumerate(titles):
        verdict = judge(title, cosines.get(i), leads.get(i), policy)
        if verdict.same:
            found = _duplicate(i, title, cosines.get(i), verdict)
            best = found if best is None or found.rank > best.rank else best
    return best


def _duplicate(i: int, title: TitleJudgement, cosine: float | None, verdict: Verdict) -> Duplicate:
    reason: Reason = "similar title"
    if verdict.stage == "content":
        reason = "same content"
    elif verdict.stage == "meaning":
        reason = "same meaning"
    return Duplicate(i, title.score, reason, cosine if reason == "same meaning" else None,
                     title.refusal, verdict.why)  # fmt: skip


def _why_title(title: TitleJudgement) -> str:
    return f"similar titles (score {title.score:.0f})"


def _title_cosines(
    query: StoryKey,
    entries: Sequence[Entry],
    titles: list[TitleJudgement],
    policy: SemanticPolicy,
    meaning: Meaning | None,
) -> dict[int, float]:
    """The cosine of the query's title with each candidate's that needs one, in one call."""
    wanted = [i for i, t in enumerate(titles) if needs_cosine(t, policy)]
    if not wanted or meaning is None or not meaning.usable:
        return {}
    chosen = meaning.affordable([entries[i] for i in wanted], [titles[i].score for i in wanted])
    wanted = [wanted[j] for j in chosen]
    query_vec, vecs = meaning.titles(query, [entries[i] for i in wanted])
    if not vecs:
        return {}
    from alerts.dedup.vectors import cosines  # numpy: only once vectors are compared

    return dict(zip(wanted, cosines(query_vec, vecs), strict=True))


def _lead_checks(
    query: StoryKey,
    entries: Sequence[Entry],
    titles: list[TitleJudgement],
    policy: SemanticPolicy,
    meaning: Meaning | None,
) -> dict[int, LeadCheck]:
    """How the leads compare, for recurring titles where both stories have one: by meaning
    when there is a model, else by their string score."""
    wanted = [i for i, t in enumerate(titles) if t.recurring and query.lead and entries[i].key.lead]
    if not wanted:
        return {}
    checks = _leads_by_meaning(query, entries, titles, wanted, meaning)
    return {i: checks.get(i) or lead_by_words(query.lead, entries[i].key.lead, policy)
            for i in wanted}  # fmt: skip


def _leads_by_meaning(
    query: StoryKey,
    entries: Sequence[Entry],
    titles: list[TitleJudgement],
    wanted: list[int],
    meaning: Meaning | None,
) -> dict[int, LeadCheck]:
    """The lead checks by cosine, for the candidates whose lead vector this query can have."""
    if meaning is None or not meaning.usable:
        return {}
    scores = [titles[i].score for i in wanted]
    chosen = [wanted[j] for j in meaning.affordable([entries[i] for i in wanted], scores,
                                                    lead=True)]  # fmt: skip
    query_vec, vecs = meaning.leads(query, [entries[i] for i in chosen])
    if not vecs:
        return {}
    from alerts.dedup.vectors import cosines

    return {i: _by_meaning(c, meaning.policy) for i, c in
            zip(chosen, cosines(query_vec, vecs), strict=True)}  # fmt: skip


def _by_meaning(cosine: float, policy: SemanticPolicy) -> LeadCheck:
    same = cosine >= policy.cosine
    alike = "alike" if same else "differ"
    sign = ">=" if same else "<"
    return LeadCheck(same, f"summaries {alike} in meaning (cosine {cosine:.3f} {sign} "
                           f"{policy.cosine:g})")  # fmt: skip


def lead_by_words(a: str, b: str, policy: SemanticPolicy) -> LeadCheck:
    """Two leads compared as titles are, without a model: the same story at the threshold (a
    pair whose bound is below it is not judged further)."""
    a, b = comparable_lead(a), comparable_lead(b)
    most = bound(a, b)
    if most < policy.threshold:
        return LeadCheck(False, f"summaries differ in words (score at most {most:.0f}, no model)")
    score = similarity(a, b)
    same = score >= policy.threshold
    alike = "alike" if same else "differ"
    return LeadCheck(same, f"summaries {alike} in words (score {score:.0f}, no model)")
