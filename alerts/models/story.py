"""What matching and dedup pass on: the terms and rules that fired on an item, the match for
one chat, the story as dedup compares it, and the window's stories with their vectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from alerts.models.feed import FeedItem

TermKind = Literal["entity", "phrase", "regex"]  # what a rule term is (``TermHit.kind``)
Vector = bytes  # a story's text embedded: int8 codes of a unit vector (``dedup.vectors``)


@dataclass(frozen=True, slots=True)
class TermHit:
    """One term of a rule that matched: the term as written, the spelling that matched
    (an entity's name or alias, the phrase, or the pattern), the field and the position
    (a character offset in the normalised field text)."""

    term: str
    matched: str
    field: str
    position: int
    entity: str | None = None
    kind: TermKind = "phrase"


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that fired on an item, with the terms that made it fire."""

    rule: str
    chat: str
    hits: tuple[TermHit, ...]
    silent: bool = False


@dataclass(frozen=True, slots=True)
class Match:
    """A FeedItem with the rules that fired on it, all for one destination chat."""

    item: FeedItem
    chat: str
    rules: tuple[RuleHit, ...]


@dataclass(frozen=True, slots=True)
class StoryKey:
    """What dedup compares: a story's comparable title and normalised link, and where it came
    from (a guid identifies a story within its feed)."""

    title: str
    link: str
    feed_url: str = ""
    guid: str = ""
    # The story as a reader sees it, for the guards that read case (names) and for the
    # semantic stage (``dedup.semantic``): the raw title and the lead of its summary.
    raw_title: str = ""
    lead: str = ""


@dataclass(frozen=True, slots=True)
class ClusterJoin:
    """A retelling of an alerted story from another source: it joins that story's cluster."""

    alert_key: str
    source: str
    feed_url: str
    item_id: str


@dataclass(frozen=True, slots=True)
class WindowEntry:
    """A story the trip alerts to ``chat``: the window takes it once the store committed it,
    with the vectors of its title and lead when the trip computed them (``dedup.semantic``)."""

    chat: str
    key: StoryKey
    alert_key: str
    at: float
    source: str
    title_vec: Vector | None = None
    lead_vec: Vector | None = None


@dataclass(frozen=True, slots=True)
class StoryVectors:
    """Vectors a trip computed for a story already in the window that had none (None: still
    none), written with the trip so that neither this run nor a restart computes them again."""

    alert_key: str
    title_vec: Vector | None = None
    lead_vec: Vector | None = None
