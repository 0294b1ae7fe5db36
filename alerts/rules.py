"""Which rules fire on a story, and on which words; pure.

Semantics (the README says the same):

- **Terms.** Each entry of ``all``, ``any`` and ``none`` is a term. A term equal to an
  entity's name after normalisation (``Kim Jong Un`` names ``Kim Jong-un``) matches the name or
  any of its aliases; any other term is a literal phrase. A term written ``/.../`` is a regular
  expression (RE2 dialect, ``alerts.text.regex``) run over the normalised text, so it is in effect
  case-insensitive and sees dashes as spaces. How a spelling matches (normalisation, whole
  words, possessives, ``*``, acronyms, unspaced scripts, never inside a URL or an e-mail
  address, regular expressions included) is defined once, in ``text.terms``.
- **Disguised words.** Invisible characters inside a word never hide it ("Pu\\u2063tin" fires
  Putin: every default-ignorable code point is dropped). Look-alike letters are folded only
  where they disguise: a Cyrillic or Greek letter that looks Latin, inside a word that mixes it
  with Latin letters, is read as that Latin letter ("Рutin" with a Cyrillic Р fires Putin);
  a word all in Cyrillic or Greek is that language's word and stays as written ("Путин" fires
  only a Cyrillic alias): folding it would turn real words into Latin ones (the Russian
  "НОС", nose, would be read "HOC").
- **Rules** fire when every ``all`` term matches, at least one ``any`` term matches (when
  ``any`` is given), and no ``none`` term matches, each in one of the rule's ``fields`` (title,
  content; the terms may match in different fields). ``feeds`` limits a rule to feeds by name or
  tag; a story with no feed never fires such a rule. Rules are evaluated in config order; the
  rules of one story that share a destination are merged into one Match, in config order.

How: the rules are compiled from specs (``models.RuleSpec``, ``models.EntitySpec``), never from
the config. The texts of every spelling's form go into one Aho-Corasick automaton per normal
form (``pyahocorasick``), built once per config; a story's fields are scanned once each, each
raw hit is kept when its form fits there (whole words), and only the rules that a found term
could make fire are evaluated (a rule is indexed under one of its ``all`` terms, or under its
``any`` terms when it has no ``all``). The straightforward way, one regular expression per term
tried in turn, costs about 200 times more with 10,000 spellings and 1,000 rules
(``bench/bench_rules.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

import ahocorasick

from alerts.models import EntitySpec, FeedItem, Match, RuleHit, RuleSpec, TermHit, TermKind
from alerts.text.html import html_to_text
from alerts.text.normalize import normalize
from alerts.text.regex import Regex, compile_regex, is_regex_term
from alerts.text.terms import TermForm, normal_form, term_form

FIELDS = ("title", "content")


@dataclass(frozen=True, slots=True)
class _Key:
    """One text of one spelling's form, as the automaton reports it."""

    term: int
    length: int
    form: TermForm


@dataclass(frozen=True, slots=True)
class _Term:
    label: str
    entity: str | None
    regexes: tuple[tuple[str, Regex], ...]
    spellings: tuple[str, ...] = ()  # what is looked for: the entity's name and aliases, or label

    @property
    def kind(self) -> TermKind:
        if self.entity is not None:
            return "entity"
        return "regex" if self.regexes else "phrase"


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: term indexes into the RuleSet, destination resolved."""

    index: int
    name: str
    chat: str
    all: tuple[int, ...]
    any: tuple[int, ...]
    none: tuple[int, ...]
    feeds: frozenset[str]
    fields: tuple[str, ...]
    silent: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a rule made of a story: fired or not, why, and the hits it used."""

    rule: CompiledRule
    fired: bool
    reason: str
    hits: tuple[TermHit, ...] = ()


Hits = dict[int, dict[str, TermHit]]  # term -> field -> first hit there


@dataclass
class _Builder:
    entities: dict[str, tuple[str, ...]]
    terms: list[_Term] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    phrases: dict[str, list[_Key]] = field(default_factory=dict)
    acronyms: dict[str, list[_Key]] = field(default_factory=dict)

    def term(self, written: str) -> int:
        label = written.strip()
        if label in self.index:
            return self.index[label]
        number = len(self.terms)
        self.index[label] = number
        if is_regex_term(label):
            regex = compile_regex(label[1:-1])
            self.terms.append(_Term(label, None, ((label, regex),)))
            return number
        entity_spellings = self.entities.get(normalize(label))
        spellings = entity_spellings or (label,)
        entity = spellings[0] if entity_spellings else None
        self.terms.append(_Term(label, entity, (), spellings))
        for spelling in spellings:
            self._add(number, spelling)
        return number

    def _add(self, term: int, spelling: str) -> None:
        form = term_form(spelling)
        if form is None:
            return
        keys = self.acronyms if form.cased else self.phrases
        for text in form.texts:
            keys.setdefault(text, []).append(_Key(term, len(text), form))


def _automaton(keys: dict[str, list[_Key]]) -> ahocorasick.Automaton | None:
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    for text, payload in keys.items():
        automaton.add_word(text, tuple(payload))
    automaton.make_automaton()
    return automaton


def _scan(
    automaton: ahocorasick.Automaton | None,
    text: str,
    found: dict[int, TermHit],
    field_name: str,
    terms: tuple[_Term, ...],
) -> None:
    """Record the first whole-word occurrence of each term in ``text``."""
    if automaton is None or not text:
        return
    first: dict[int, tuple[int, _Key]] = {}  # a hit is made for each term's winner only
    for end, keys in automaton.iter(text):
        for key in keys:
            start = end - key.length + 1
            seen = first.get(key.term)
            if seen is not None and seen[0] <= start:
                continue  # a term seen before: most hits of a long text
            if key.form.fits(text, start, end + 1):
                first[key.term] = (start, key)
    for number, (start, key) in first.items():
        known = found.get(number)
        if known is not None and known.position <= start:
            continue
        term = terms[number]
        found[number] = TermHit(
            term.label, key.form.spelling, field_name, start, term.entity, term.kind
        )


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rules, compiled once from their specs (``RuleSet.compile``)."""

    rules: tuple[CompiledRule, ...]
    terms: tuple[_Term, ...]
    by_term: dict[int, tuple[int, ...]]
    regex_terms: tuple[int, ...]
    phrases: ahocorasick.Automaton | None
    acronyms: ahocorasick.Automaton | None

    @classmethod
    def compile(
        cls, rules: Sequence[RuleSpec], entities: Sequence[EntitySpec], default_chat: str = "stdout"
    ) -> RuleSet:
        """Compile every rule, in order; a rule without a destination goes to ``default_chat``."""
        builder = _Builder({normalize(e.name): (e.name, *e.aliases) for e in entities})
        compiled = tuple(
            _compile_rule(i, r, r.chat or default_chat, builder) for i, r in enumerate(rules)
        )
        # A rule can fire only if one of its `all` terms is found (any one: all are needed),
        # or, without `all`, one of its `any` terms; index it under the fewest terms that say so.
        by_term: dict[int, list[int]] = {}
        for rule in compiled:
            triggers = (
                (max(rule.all, key=lambda t: len(builder.terms[t].label)),)
                if rule.all
                else rule.any
            )
            for term in set(triggers):
                by_term.setdefault(term, []).append(rule.index)
        return cls(
            rules=compiled,
            terms=tuple(builder.terms),
            by_term={t: tuple(rs) for t, rs in by_term.items()},
            regex_terms=tuple(i for i, t in enumerate(builder.terms) if t.regexes),
            phrases=_automaton(builder.phrases),
            acronyms=_automaton(builder.acronyms),
        )

    def hits(self, title: str, content: str) -> Hits:
        """Every term found, per field, with its first position there."""
        result: Hits = {}
        for name, raw in (("title", title), ("content", content)):
            found: dict[int, TermHit] = {}
            text = normal_form(raw, cased=False)
            _scan(self.phrases, text, found, name, self.terms)
            if self.acronyms is not None:
                _scan(self.acronyms, normal_form(raw, cased=True), found, name, self.terms)
            for index in self.regex_terms:
                term = self.terms[index]
                for spelling, regex in term.regexes:
                    m = regex.search(text)
                    if m is not None:
                        found[index] = TermHit(term.label, spelling, name, m[0], None, "regex")
            for index, hit in found.items():
                result.setdefault(index, {})[name] = hit
        return result

    def verdicts(
        self, title: str, content: str, labels: frozenset[str], everything: bool = False
    ) -> list[Verdict]:
        """What each rule makes of a story; only rules that could fire unless ``everything``."""
        found = self.hits(title, content)
        if everything:
            candidates: Iterable[int] = range(len(self.rules))
        else:
            candidates = sorted({r for t in found for r in self.by_term.get(t, ())})
        return [self._judge(self.rules[i], found, labels) for i in candidates]

    def _judge(self, rule: CompiledRule, found: Hits, labels: frozenset[str]) -> Verdict:
        fields = rule.fields

        def first(term: int) -> TermHit | None:
            where = found.get(term)
            if where:
                for name in fields:  # a loop, not next(genexpr): this runs per term and story
                    hit = where.get(name)
                    if hit is not None:
                        return hit
            return None

        if rule.feeds and not (rule.feeds & labels):
            return Verdict(rule, False, "not one of its feeds")
        all_hits = [first(t) for t in rule.all]
        if None in all_hits:
            missing = [self.terms[t].label for t, h in zip(rule.all, all_hits, strict=True)
                       if h is None]  # fmt: skip
            return Verdict(rule, False, "missing: " + ", ".join(missing))
        any_hits = [h for h in map(first, rule.any) if h is not None]
        if rule.any and not any_hits:
            return Verdict(rule, False, "none of its `any` terms")
        blocked = [h for h in map(first, rule.none) if h is not None]
        if blocked:
            return Verdict(rule, False, "blocked by " + ", ".join(h.term for h in blocked))
        return Verdict(rule, True, "fires", (*cast("list[TermHit]", all_hits), *any_hits))

    def match(self, item: FeedItem, labels: frozenset[str] = frozenset()) -> list[Match]:
        """One Match per destination chat whose rules fire on this item, in config order."""
        return self.match_text(item.title, html_to_text(item.content_html), item, labels)

    def match_text(
        self, title: str, content: str, item: FeedItem, labels: frozenset[str]
    ) -> list[Match]:
        """As :meth:`match`, for plain title and content text."""
        by_chat: dict[str, list[RuleHit]] = {}
        for verdict in self.verdicts(title, content, labels):
            if verdict.fired:
                rule = verdict.rule
                hit = RuleHit(rule.name, rule.chat, verdict.hits, rule.silent)
                by_chat.setdefault(rule.chat, []).append(hit)
        return [Match(item, chat, tuple(hits)) for chat, hits in by_chat.items()]


def _compile_rule(index: int, rule: RuleSpec, chat: str, builder: _Builder) -> CompiledRule:
    return CompiledRule(
        index=index,
        name=rule.name,
        chat=chat,
        all=tuple(builder.term(t) for t in rule.all),
        any=tuple(builder.term(t) for t in rule.any),
        none=tuple(builder.term(t) for t in rule.none),
        feeds=frozenset(rule.feeds),
        fields=tuple(f for f in FIELDS if f in rule.fields),
        silent=rule.silent,
    )
