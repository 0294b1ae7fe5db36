"""``bot.py explain`` and ``/explain``: which rules fire on a story and why, for a person or for
tools, and how to fix a rule that does not.

For a person, each hit is quoted in the words around it (``ops.quote``); a rule that does not
fire lists the near misses of each term it lacks with the fix that would match them
(``ops.nearmiss``), then the terms of it that were found. The JSON answer (``--jsonl``) gives
each hit's ``context`` too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from alerts.config import Config
from alerts.message.render import term_text
from alerts.models import TermHit
from alerts.ops.nearmiss import near_misses
from alerts.ops.quote import context
from alerts.rules import CompiledRule, Hits, RuleSet


def labels_for(config: Config, feed: str | None) -> frozenset[str]:
    """A feed's name and tags when the config knows it (by name or URL), else the name alone."""
    if not feed:
        return frozenset()
    for known in config.feeds:
        if feed in (known.name, known.url, known.display_name):
            return frozenset([known.display_name, *known.tags])
    return frozenset([feed])


def _hit_record(hit: TermHit, fields: dict[str, str]) -> dict[str, Any]:
    return {
        "term": hit.term,
        "matched": hit.matched,
        "field": hit.field,
        "position": hit.position,
        "entity": hit.entity,
        "kind": hit.kind,
        "context": context(hit, fields[hit.field]),
    }


def explain_record(rules: RuleSet, config: Config, story: dict[str, Any]) -> dict[str, Any]:
    """One JSON answer: the rules that fire (config order) and the terms that made them."""
    title, content = str(story.get("title") or ""), str(story.get("content") or "")
    labels = labels_for(config, story.get("feed"))
    fields = {"title": title, "content": content}
    fired = [v for v in rules.verdicts(title, content, labels) if v.fired]
    return {
        "rules": [v.rule.name for v in fired],
        "terms": {v.rule.name: [_hit_record(h, fields) for h in v.hits] for v in fired},
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


def explain_text(rules: RuleSet, title: str, content: str, labels: frozenset[str]) -> str:
    """For a person: every rule, fired or not; the words around each hit, and for a rule that
    did not fire the terms it found and the near misses of those it lacks, with their fix."""
    fields = {"title": title, "content": content}
    found = rules.hits(title, content)
    verdicts = rules.verdicts(title, content, labels, everything=True)
    out = []
    for verdict in verdicts:
        rule = verdict.rule
        if verdict.fired:
            out.append(f"FIRES  {rule.name} -> {rule.chat}")
            out += [f"         {_hit_line(h, fields)}" for h in verdict.hits]
        else:
            out.append(f"no     {rule.name}: {verdict.reason}")
            out += [f"         {line}" for line in _advice(rules, rule, found, fields)]
    fired = sum(v.fired for v in verdicts)
    out.append(f"{fired} of {len(verdicts)} rule(s) fire." if verdicts else "No rules.")
    return "\n".join(out)


def _hit_line(hit: TermHit, fields: dict[str, str]) -> str:
    """A hit, with the words around it: ``Auckland in title: "... in [Auckland] on ..."``."""
    return f"{term_text(hit)} in {hit.field}: {context(hit, fields[hit.field])}"


def _advice(rules: RuleSet, rule: CompiledRule, found: Hits, fields: dict[str, str]) -> list[str]:
    """For a rule that did not fire: near misses of each term it lacks, then the terms found."""
    where = [(f, fields[f]) for f in rule.fields]
    lines = []
    for index in _lacking(rule, found):
        term = rules.terms[index]
        for miss in near_misses(term.label, term.entity, term.spellings, where):
            lines.append(f'near miss for {term.label}: "{miss.shown}" in {miss.field} '
                         f"({_KINDS[miss.kind]}): {miss.fix}")  # fmt: skip
    for role, indexes in (("all", rule.all), ("any", rule.any), ("none", rule.none)):
        for index in indexes:
            hit = _first(found, index, rule.fields)
            if hit is not None:
                lines.append(f"found ({role}): {_hit_line(hit, fields)}")
    return lines


_KINDS = {"ending": "another ending", "alias": "an alias-like form", "case": "in lower case"}


def _lacking(rule: CompiledRule, found: Hits) -> list[int]:
    """The terms whose absence stops the rule: its missing ``all`` terms, or, when it has all of
    them, its ``any`` terms if none was found."""
    missing = [t for t in rule.all if _first(found, t, rule.fields) is None]
    if missing:
        return missing
    if any(_first(found, t, rule.fields) is not None for t in rule.any):
        return []
    return list(rule.any)


def _first(found: Hits, term: int, fields: tuple[str, ...]) -> TermHit | None:
    where = found.get(term, {})
    return next((where[f] for f in fields if f in where), None)
