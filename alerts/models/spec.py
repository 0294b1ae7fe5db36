"""What the rules engine (``alerts.rules.RuleSet.compile``) is compiled from: plain values, so the
matcher needs neither the config model nor YAML (``alerts.config.specs`` makes them from one)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """A watched name and its aliases: a rule term equal to the name matches any of them."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One watch rule: its terms, where it looks, and where its alerts go (``chat`` None: the
    default destination)."""

    name: str
    chat: str | None = None
    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    none: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()  # feed names or tags; empty: every feed
    fields: tuple[str, ...] = ("title", "content")
    silent: bool = False
