"""The rules engine's specs made from the config model; pure."""

from __future__ import annotations

from alerts.config.model import Config
from alerts.models import EntitySpec, RuleSpec


def rule_specs(config: Config) -> tuple[tuple[RuleSpec, ...], tuple[EntitySpec, ...]]:
    """The config's rules, each with its destination resolved (the rule's, else the bot's),
    and its entities, in config order."""
    rules = tuple(
        RuleSpec(
            name=rule.name,
            chat=config.chat_of(rule),
            all=tuple(rule.all),
            any=tuple(rule.any),
            none=tuple(rule.none),
            feeds=tuple(rule.feeds),
            fields=tuple(rule.fields),
            silent=rule.silent,
        )
        for rule in config.rules
    )
    entities = tuple(EntitySpec(name, tuple(aliases)) for name, aliases in config.entities.items())
    return rules, entities
