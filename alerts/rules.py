"""Which rules fire on a story, and on which words; pure.

Semantics (the README says the same):

- **Terms.** Each entry of ``all``, ``any`` and ``none`` is a term. A term equal to an
  entity's name after normalisation (``Kim Jong Un`` names ``Kim Jong-un``) matches the name or
  any of its aliases; any other term is a literal phrase. A term written ``/.../`` is a regular
  expression (RE2 dialect, ``alerts.text.regex``) run over the normalised text, so it is in effect
  case-insensitive and sees dashes as spaces.
- **Normalisation** of text and terms (``text.normalize``): HTML entities decoded, NFKC,
  case-folded, accents removed (Erdoğan = Erdogan), every hyphen and dash a space, runs of white
  space one space, curly quotes straight.
- **Whole words.** A term matches only where the characters just before and just after it are
  not letters or digits: "Putin" never matches "Rasputin", "Kim" never "Kimchi", "Kim Jong-un"
  never "Kim Jong-unification"; "U.S." and "AT&T" match themselves; a possessive matches
  ("Putin's", "Putin’s": an apostrophe is not a letter). A term ending in ``*`` matches any
  word ending, including none ("missile*": missile, missiles). Where a term begins or ends in a
  script written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese)
  or in Korean, whose particles attach to the word ("푸틴은"), that side is not checked, so such
  terms match as substrings.
- **Acronyms.** A spelling of 2 to 5 letters all in capitals (US, EU, WHO, NATO, DPRK) matches
  only the same letters in capitals or with only the first capital ("NATO", "Nato"), never in
  lower case ("us", "who"); it is matched on the text before case-folding.
- **Rules** fire when every ``all`` term matches, at least one ``any`` term matches (when
  ``any`` is given), and no ``none`` term matches, each in one of the rule's ``fields`` (title,
  content; the terms may match in different fields). ``feeds`` limits a rule to feeds by name or
  tag; a story with no feed never fires such a rule. Rules are evaluated in config order; the
  rules of one story that share a destination are merged into one Match, in config order.

How: every phrase and acronym spelling of every rule goes into one Aho-Corasick automaton per
kind (``pyahocorasick``), built once per config; a story's fields are scanned once each, and
only the rules that a found term could make fire are evaluated (a rule is indexed under one
of its ``all`` terms, or under its ``any`` terms when it has no ``all``). The straightforward
way, one regular expression per term tried in turn, costs about 200 times more with 10,000
spellings and 1,000 rules (``bench/bench_rules.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import ahocorasick

from alerts.config import Config, RuleConfig
from alerts.message.summary import html_to_text
from alerts.models import FeedItem, Match, RuleHit, TermHit
from alerts.text.normalize import is_unspaced, normalize, normalize_cased
from alerts.text.regex import Regex, compile_regex, is_regex_term

FIELDS = ("title", "content")


def is_acronym(spelling: str) -> bool:
    """2 to 5 letters, all capitals: matched case-sensitively (NATO, Nato; never nato)."""
    return 2 <= len(spelling) <= 5 and spelling.isalpha() and spelling.isupper()


@dataclass(frozen=True, slots=True)
class _Key:
    """One spelling of one term, as the automaton reports it."""

    term: int
    spelling: str
    length: int
    left: bool  # check the character before
    right: bool  # check the character after
    prefix: bool  # trailing `*`: extend over the rest of the word


@dataclass(frozen=True, slots=True)
class _Term:
    label: str
    entity: str | None
    regexes: tuple[tuple[str, Regex], ...]

    @property
    def kind(self) -> str:
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
        self.terms.append(_Term(label, spellings[0] if entity_spellings else None, ()))
        for spelling in spellings:
            self._add(number, spelling.strip())
        return number

    def _add(self, term: int, spelling: str) -> None:
        if is_regex_term(spelling):
            return
        if is_acronym(spelling):
            for variant in {spelling, spelling[0] + spelling[1:].lower()}:
                key = _Key(term, spelling, len(variant), True, True, False)
                self.acronyms.setdefault(normalize_cased(variant), []).append(key)
            return
        prefix = spelling.endswith("*")
        text = normalize(spelling.rstrip("*").rstrip())
        if not text:
            return
        key = _Key(
            term, spelling, len(text), not is_unspaced(text[0]), not is_unspaced(text[-1]), prefix
        )
        self.phrases.setdefault(text, []).append(key)


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
    for end, keys in automaton.iter(text):
        for key in keys:
            start = end - key.length + 1
            if key.term in found and found[key.term].position <= start:
                continue
            if key.left and start > 0 and text[start - 1].isalnum():
                continue
            if key.right and not key.prefix and end + 1 < len(text) and text[end + 1].isalnum():
                continue
            term = terms[key.term]
            found[key.term] = TermHit(
                term.label, key.spelling, field_name, start, term.entity, term.kind
            )


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rules of a config, compiled once."""

    rules: tuple[CompiledRule, ...]
    terms: tuple[_Term, ...]
    by_term: dict[int, tuple[int, ...]]
    regex_terms: tuple[int, ...]
    phrases: ahocorasick.Automaton | None
    acronyms: ahocorasick.Automaton | None

    @classmethod
    def from_config(cls, config: Config, default_chat: str = "stdout") -> RuleSet:
        """Compile every rule; a rule without a destination goes to ``default_chat``."""
        entities = {normalize(name): (name, *aliases) for name, aliases in config.entities.items()}
        builder = _Builder(entities)
        rules = tuple(
            _compile_rule(i, r, config.chat_of(r) or default_chat, builder)
            for i, r in enumerate(config.rules)
        )
        # A rule can fire only if one of its `all` terms is found (any one: all are needed),
        # or, without `all`, one of its `any` terms; index it under the fewest terms that say so.
        by_term: dict[int, list[int]] = {}
        for rule in rules:
            triggers = (
                (max(rule.all, key=lambda t: len(builder.terms[t].label)),)
                if rule.all
                else rule.any
            )
            for term in set(triggers):
                by_term.setdefault(term, []).append(rule.index)
        return cls(
            rules=rules,
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
            text = normalize(raw)
            _scan(self.phrases, text, found, name, self.terms)
            if self.acronyms is not None:
                _scan(self.acronyms, normalize_cased(raw), found, name, self.terms)
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
        def first(term: int) -> TermHit | None:
            where = found.get(term, {})
            return next((where[f] for f in rule.fields if f in where), None)

        if rule.feeds and not (rule.feeds & labels):
            return Verdict(rule, False, "not one of its feeds")
        all_hits = [first(t) for t in rule.all]
        missing = [self.terms[t].label for t, h in zip(rule.all, all_hits, strict=True) if not h]
        if missing:
            return Verdict(rule, False, "missing: " + ", ".join(missing))
        any_hits = [h for h in (first(t) for t in rule.any) if h]
        if rule.any and not any_hits:
            return Verdict(rule, False, "none of its `any` terms")
        blocked = [h for h in (first(t) for t in rule.none) if h]
        if blocked:
            return Verdict(rule, False, "blocked by " + ", ".join(h.term for h in blocked))
        hits = tuple(h for h in [*all_hits, *any_hits] if h)
        return Verdict(rule, True, "fires", hits)

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


def _compile_rule(index: int, rule: RuleConfig, chat: str, builder: _Builder) -> CompiledRule:
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
