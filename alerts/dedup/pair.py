"""One pair of stories judged as the bot judges them, with its reasons (``bot.py similar``)."""

from __future__ import annotations

from alerts.dedup.keys import story_key
from alerts.dedup.scoring import explain_similarity
from alerts.dedup.window import Entry, StoryWindow


def judge_pair(
    a: dict[str, str], b: dict[str, str], threshold: float
) -> tuple[bool, float, list[str]]:
    """Whether the bot takes story ``b`` for a retelling of story ``a``, the score (0-100) and
    the reasons: the window's own path (identity, then candidates, then the title verdict).
    Each story is ``{"title", "link", "feed", "summary"}``; only ``title`` is required (the
    summary does not take part in the verdict)."""
    keys = [
        story_key(
            s.get("title") or "", s.get("link") or "", s.get("feed") or "", s.get("guid") or ""
        )
        for s in (a, b)
    ]
    window = StoryWindow(threshold)
    window.add("pair", Entry(keys[0], "a", 0.0))
    found = window.find("pair", keys[1])
    if found is not None and found[1].reason in ("same link", "same guid"):
        return True, 100.0, [found[1].reason]
    score, reasons = explain_similarity(a.get("title") or "", b.get("title") or "")
    same = found is not None
    reasons.append(f"score {score:.1f} {'>=' if same else '<'} threshold {threshold:g}")
    return same, score, reasons
