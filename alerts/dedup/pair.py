"""One pair of stories judged as the bot judges them, with its reasons (``bot.py similar``).

The verdict is the window's own (identity, then candidates, then title, content and meaning:
``candidates``); the figures shown beside it (the title score, the cosine of the titles, the
guard that refused) are worked out for the pair whatever stage decided, so that a person sees
why a pair was not merged as well as why one was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from alerts.dedup.embed_memo import Meaning, Memo, title_text
from alerts.dedup.keys import story_key
from alerts.dedup.scoring import explain_similarity, judge_titles
from alerts.dedup.verdict import SemanticPolicy
from alerts.dedup.window import Entry, StoryWindow
from alerts.models import StoryKey

DECIDED = {"title": "decided by the titles", "meaning": "decided by the meaning of the titles",
           "content": "decided by the summaries"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PairVerdict:
    """One pair judged: one story or not, the score (0-100), the stage that decided (None when
    none did), the cosine of the titles (None without a model), the guard that refused the
    titles (None when none did), and the reasons in words."""

    same: bool
    score: float
    stage: str | None
    cosine: float | None
    refusal: str | None
    reasons: tuple[str, ...]


def judge_pair(
    a: Mapping[str, str], b: Mapping[str, str], policy: SemanticPolicy, memo: Memo | None = None
) -> PairVerdict:
    """Whether the bot takes story ``b`` for a retelling of story ``a``, and why. Each story is
    ``{"title", "link", "feed", "guid", "summary"}``; only ``title`` is required; the summary's
    lead decides between stories of one recurring title ("Business Highlights")."""
    keys = [_key(s) for s in (a, b)]
    window = StoryWindow(policy.threshold)
    window.add("pair", Entry(keys[0], "a", 0.0))
    meaning = Meaning(memo, policy)
    found = window.find("pair", keys[1], meaning)
    if found is not None and found[1].stage == "identity":
        return PairVerdict(True, 100.0, "identity", None, None, (found[1].reason,))
    title = judge_titles(keys[0], keys[1])
    cosine = _cosine(keys, meaning)
    verdict = found[1] if found is not None else None
    reasons = [*_title_lines(a, b, title.score, policy), *_cosine_lines(cosine, memo, policy)]
    if title.refusal is not None:
        overruled = verdict is not None and verdict.stage == "meaning"
        reasons.append(f"refused by a guard: {title.refusal}"
                       + (" (the meaning overrules it)" if overruled else ""))  # fmt: skip
    if verdict is not None:
        reasons.append(DECIDED[verdict.stage] + (f": {verdict.why}" if verdict.stage == "content"
                                                 else ""))  # fmt: skip
    elif title.recurring and keys[0].lead and keys[1].lead:
        reasons.append("the same title, so the summaries decide: they tell other stories")
    return PairVerdict(verdict is not None, title.score, verdict.stage if verdict else None,
                       cosine, title.refusal, tuple(reasons))  # fmt: skip


def _key(story: Mapping[str, str]) -> StoryKey:
    from alerts.message.summary import summarize
    from alerts.stories import LEAD_CHARS

    title = story.get("title") or ""
    summary = story.get("summary") or ""
    lead = summarize(title, summary, LEAD_CHARS) if summary else ""
    return story_key(title, story.get("link") or "", story.get("feed") or "",
                     story.get("guid") or "", lead)  # fmt: skip


def _cosine(keys: list[StoryKey], meaning: Meaning) -> float | None:
    """The cosine of the two titles, when there is a model."""
    if not meaning.usable or meaning.memo is None:
        return None
    vectors = meaning.memo.vectors([title_text(k) for k in keys])
    if vectors is None:
        return None
    from alerts.dedup.vectors import cosines

    return cosines(vectors[title_text(keys[0])], [vectors[title_text(keys[1])]])[0]


def _title_lines(
    a: Mapping[str, str], b: Mapping[str, str], score: float, policy: SemanticPolicy
) -> list[str]:
    """The words the titles share and the title score, without the cost formula."""
    _, lines = explain_similarity(a.get("title") or "", b.get("title") or "")
    words = [line for line in lines if "shared words" in line or line.startswith("different")]
    sign = ">=" if score >= policy.threshold else "<"
    return [*words, f"titles: score {score:.0f} of 100 ({sign} {policy.threshold:g}, the title "
                    "stage's threshold)"]  # fmt: skip


def _cosine_lines(cosine: float | None, memo: Memo | None, policy: SemanticPolicy) -> list[str]:
    if not policy.semantic:
        return ["meaning: not compared (dedup.semantic is off)"]
    if cosine is None:
        why = memo.failure.reason if memo is not None and memo.failure else "no model"
        return [f"meaning: not compared ({why})"]
    sign = ">=" if cosine >= policy.cosine else "<"
    return [f"meaning: cosine {cosine:.3f} {sign} {policy.cosine:g} (one story by meaning from "
            f"there, when the titles share some words: score >= {policy.floor:g})"]  # fmt: skip
