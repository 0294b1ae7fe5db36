"""``bot.py explain``: which rules fire on a story and why, for a person or for tools."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from alerts.config import Config
from alerts.message.render import term_text
from alerts.models import TermHit
from alerts.rules import RuleSet, Verdict


def labels_for(config: Config, feed: str | None) -> frozenset[str]:
    """A feed's name and tags when the config knows it (by name or URL), else the name alone."""
    if not feed:
        return frozenset()
    for known in config.feeds:
        if feed in (known.name, known.url, known.display_name):
            return frozenset([known.display_name, *known.tags])
    return frozenset([feed])


def _hit_record(hit: TermHit) -> dict[str, Any]:
    return {
        "term": hit.term,
        "matched": hit.matched,
        "field": hit.field,
        "position": hit.position,
        "entity": hit.entity,
        "kind": hit.kind,
    }


def explain_record(rules: RuleSet, config: Config, story: dict[str, Any]) -> dict[str, Any]:
    """One JSON answer: the rules that fire (config order) and the terms that made them."""
    title, content = str(story.get("title") or ""), str(story.get("content") or "")
    labels = labels_for(config, story.get("feed"))
    fired = [v for v in rules.verdicts(title, content, labels) if v.fired]
    return {
        "rules": [v.rule.name for v in fired],
        "terms": {v.rule.name: [_hit_record(h) for h in v.hits] for v in fired},
    }


def explain_lines(rules: RuleSet, config: Config, lines: Iterable[str]) -> Iterator[str]:
    """Batch mode: one JSON answer per JSON input line; a bad line gets an ``error``."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            story = json.loads(line)
            if not isinstance(story, dict):
                raise TypeError("each line must be a JSON object")
            record = explain_record(rules, config, story)
        except (ValueError, TypeError) as e:
            record = {"rules": [], "terms": {}, "error": f"line {number}: {e}"}
        yield json.dumps(record, ensure_ascii=False)


def explain_text(verdicts: list[Verdict]) -> str:
    """For a person: every rule, fired or not, with the words or the reason."""
    out = []
    for verdict in verdicts:
        rule = verdict.rule
        if verdict.fired:
            out.append(f"FIRES  {rule.name} -> {rule.chat}")
            out += [f"         {term_text(h)} in {h.field} at {h.position}" for h in verdict.hits]
        else:
            out.append(f"no     {rule.name}: {verdict.reason}")
    fired = sum(v.fired for v in verdicts)
    out.append(f"{fired} of {len(verdicts)} rule(s) fire." if verdicts else "No rules.")
    return "\n".join(out)
