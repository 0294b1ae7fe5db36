"""Checks across keys: feed URLs and names unique, rule names unique, rules naming known feeds.

They run on the raw data, not the model, so that they still report when a section is invalid:
one pass over the file then lists every problem at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from alerts.errors import ConfigProblem


def reference_problems(data: dict[str, Any]) -> Iterator[ConfigProblem]:
    """Every cross-key problem of a config's raw data (lines are filled in by the caller)."""
    yield from _feed_problems(_listed(data, "feeds"))
    # A config without a feeds section (for explain or similar) cannot name feeds wrongly.
    known = _feed_names_and_tags(_listed(data, "feeds")) if "feeds" in data else None
    yield from _rule_problems(_listed(data, "rules"), known)


def _feed_problems(feeds: list[Any]) -> Iterator[ConfigProblem]:
    first_url: dict[str, int] = {}
    names: dict[str, int] = {}
    for i, feed in enumerate(feeds):
        if not isinstance(feed, dict):
            continue
        url, name = feed.get("url"), feed.get("name")
        if isinstance(url, str) and url.strip() in first_url:
            yield ConfigProblem(
                f"feeds[{i}].url", None, f"same URL as feeds[{first_url[url.strip()]}]"
            )
        if isinstance(url, str):
            first_url.setdefault(url.strip(), i)
        if isinstance(name, str) and name in names:
            yield ConfigProblem(f"feeds[{i}].name", None, f"same name as feeds[{names[name]}]")
        if isinstance(name, str):
            names.setdefault(name, i)


def _feed_names_and_tags(listed: list[Any]) -> set[str]:
    feeds = [f for f in listed if isinstance(f, dict)]
    return {str(f.get("name")) for f in feeds} | {
        str(t) for f in feeds for t in (f.get("tags") or []) if isinstance(f.get("tags"), list)
    }


def _rule_problems(rules: list[Any], known: set[str] | None) -> Iterator[ConfigProblem]:
    rule_names: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        name = rule.get("name")
        if isinstance(name, str) and name in rule_names:
            yield ConfigProblem(f"rules[{i}].name", None, f"same name as rules[{rule_names[name]}]")
        if isinstance(name, str):
            rule_names.setdefault(name, i)
        if known is not None:
            yield from _unknown_feeds(i, _listed(rule, "feeds"), known)


def _unknown_feeds(rule: int, refs: list[Any], known: set[str]) -> Iterator[ConfigProblem]:
    for j, ref in enumerate(refs):
        if str(ref) not in known:
            yield ConfigProblem(
                f"rules[{rule}].feeds[{j}]", None, f"no feed named or tagged {ref!r}"
            )


def _listed(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []
