"""Which rules fire on a story, and on which words; pure.

Semantics:

- **Terms.** Each entry of ``all``, ``any`` and ``none`` is a term. A term equal to an entity's
  name (after normalisation, so ``Kim Jong Un`` names ``Kim Jong-un``) matches the name or any
  of its aliases; any other term is a literal phrase. A term ending in ``*`` matches any word
  ending ("missile*": missile, missiles). A term written ``/.../`` is a regular expression run
  over the normalised text.
- **Normalisation** (``alerts.text.normalize``) of both text and terms: entities decoded, NFKC,
  case-folded, accents removed, hyphens/dashes and white space runs equivalent, quotes straight.
- **Whole words.** A term matches only where the characters just before and after it are not
  letters or digits: "Putin" never matches "Rasputin", "Kim" never "Kimchi"; a possessive
  ("Putin's") still matches because an apostrophe is not a letter.
- **Rule.** Fires when every ``all`` term matches, at least one ``any`` term matches (when
  ``any`` is given), and no ``none`` term matches, each in any of the rule's ``fields``
  (title, content); ``feeds`` limits it to feeds by name or tag. Rules are evaluated in config
  order; the alerts of one story to one chat are merged into one message naming every rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alerts.config import Config, RuleConfig
from alerts.models import FeedItem, Match, RuleHit, TermHit
from alerts.summary import html_to_text
from alerts.text import normalize

_EDGE_BEFORE = r"(?<![^\W_])"
_EDGE_AFTER = r"(?![^\W_])"


@dataclass(frozen=True, slots=True)
class Term:
    """A term as written, with one compiled pattern per spelling it accepts."""

    label: str
    spellings: tuple[tuple[str, re.Pattern[str]], ...]

    def find(self, fields: dict[str, str]) -> TermHit | None:
        """The first place any spelling occurs, searching fields in order."""
        for field_name, text in fields.items():
            for spelling, pattern in self.spellings:
                m = pattern.search(text)
                if m:
                    return TermHit(self.label, spelling, field_name, m.start())
        return None


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its terms compiled, its destination resolved."""

    name: str
    chat: str
    all: tuple[Term, ...]
    any: tuple[Term, ...]
    none: tuple[Term, ...]
    feeds: frozenset[str]
    fields: tuple[str, ...]
    silent: bool

    def fire(self, fields: dict[str, str], labels: frozenset[str]) -> RuleHit | None:
        """The hit when this rule fires on these normalised fields, else None."""
        if self.feeds and not (self.feeds & labels):
            return None
        mine = {f: fields[f] for f in self.fields}
        hits = [t.find(mine) for t in self.all]
        if not all(hits):
            return None
        any_hits = [h for h in (t.find(mine) for t in self.any) if h]
        if self.any and not any_hits:
            return None
        if any(t.find(mine) for t in self.none):
            return None
        found = tuple(h for h in [*hits, *any_hits] if h)
        return RuleHit(self.name, self.chat, found, self.silent)


def compile_term(term: str, entities: dict[str, tuple[str, ...]]) -> Term:
    """Compile one term, expanding an entity name to its aliases."""
    written = term.strip()
    if len(written) > 2 and written.startswith("/") and written.endswith("/"):
        return Term(written, ((written, re.compile(written[1:-1])),))
    spellings = entities.get(normalize(written), (written,))
    return Term(written, tuple((s, _phrase_pattern(s)) for s in spellings))


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    wildcard = phrase.endswith("*")
    text = normalize(phrase.rstrip("*"))
    body = re.escape(text).replace(r"\ ", " ")
    tail = r"\w*" if wildcard else ""
    return re.compile(_EDGE_BEFORE + body + tail + _EDGE_AFTER)


def _entity_table(config: Config) -> dict[str, tuple[str, ...]]:
    return {normalize(name): (name, *aliases) for name, aliases in config.entities.items()}


def _compile_rule(
    rule: RuleConfig, chat: str, entities: dict[str, tuple[str, ...]]
) -> CompiledRule:
    def terms(words: list[str]) -> tuple[Term, ...]:
        return tuple(compile_term(w, entities) for w in words)

    return CompiledRule(
        name=rule.name,
        chat=chat,
        all=terms(rule.all),
        any=terms(rule.any),
        none=terms(rule.none),
        feeds=frozenset(rule.feeds),
        fields=tuple(rule.fields),
        silent=rule.silent,
    )


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rules of a config, compiled once."""

    rules: tuple[CompiledRule, ...]

    @classmethod
    def from_config(cls, config: Config, default_chat: str = "stdout") -> RuleSet:
        """Compile every rule; a rule without a destination goes to ``default_chat``."""
        entities = _entity_table(config)
        return cls(
            tuple(
                _compile_rule(r, config.chat_of(r) or default_chat, entities) for r in config.rules
            )
        )

    def match(self, item: FeedItem, labels: frozenset[str] = frozenset()) -> list[Match]:
        """One Match per destination chat whose rules fire on this item, in config order."""
        return self.match_text(item.title, html_to_text(item.content_html), item, labels)

    def match_text(
        self, title: str, content: str, item: FeedItem, labels: frozenset[str]
    ) -> list[Match]:
        """As :meth:`match`, for plain title and content text."""
        fields = {"title": normalize(title), "content": normalize(content)}
        by_chat: dict[str, list[RuleHit]] = {}
        for rule in self.rules:
            hit = rule.fire(fields, labels)
            if hit:
                by_chat.setdefault(hit.chat, []).append(hit)
        return [Match(item, chat, tuple(hits)) for chat, hits in by_chat.items()]
