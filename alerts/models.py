"""The values passed between pipeline stages; no I/O and no third-party imports here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from alerts.target import Target, split_destination

# What a trip did (``PollResult.status``): "ok" a changed body was recorded; "not_modified" a
# 304; "unchanged" the same body as last time; "failed" a fetch or parse error (backoff);
# "gone" a 410 (polling stops); "backoff" skipped, its next poll after failures is ahead;
# "error" our own fault (the store, or a bug), logged loudly.
TripStatus = Literal["ok", "not_modified", "unchanged", "failed", "gone", "backoff", "error"]
HealthChange = Literal["broken", "recovered", "gone"]
TermKind = Literal["entity", "phrase", "regex"]  # what a rule term is (``TermHit.kind``)
MuteKind = Literal["rule", "source", "story"]  # what a mute silences (``alerts.mutes``)
Vector = bytes  # a story's text embedded: int8 codes of a unit vector (``dedup.vectors``)


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A 200 answer to a feed request (a 304 is not a FetchedFeed)."""

    url: str
    final_url: str
    body: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry as parse normalised it: plain values, nothing from feedparser."""

    feed_url: str
    item_id: str
    title: str
    link: str
    content_html: str
    published: datetime | None
    feed_name: str = ""


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
class Alert:
    """A rendered message for one destination; ``key`` makes its delivery idempotent.
    ``chat`` is the destination as configured, ``CHAT`` or ``CHAT/TOPIC`` (a forum topic)."""

    key: str
    chat: str
    rule: str
    title: str
    link: str
    text: str
    disable_notification: bool = False
    link_preview: bool = False
    source: str = ""

    @property
    def target(self) -> Target:
        """``chat`` in its parts: Telegram's chat id and the forum topic (``alerts.target``)."""
        return split_destination(self.chat)


@dataclass(frozen=True, slots=True)
class ClusterJoin:
    """A retelling of an alerted story from another source: it joins that story's cluster."""

    alert_key: str
    source: str
    feed_url: str
    item_id: str


class DeliveryStatus(StrEnum):
    """Where an outbox entry stands; each value is the text the store keeps."""

    PENDING = "pending"  # waiting for delivery (or for its retry)
    SENT = "sent"  # Telegram returned its message id
    FAILED = "failed"  # refused for good, kept with its reason for an operator to re-drive
    HELD = "held"  # a match waiting for its digest (``alerts.digest``), not for the courier
    DIGESTED = "digested"  # a held match listed in a digest message (queued as its own entry)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An alert as the store holds it, waiting for or done with delivery; ``sources`` are the
    other sources that carried the story (shown as "Also: ...")."""

    id: int
    alert: Alert
    status: DeliveryStatus
    attempts: int = 0
    last_error: str | None = None
    sources: tuple[str, ...] = ()
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store remembers about a feed between polls."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    error_streak: int = 0
    last_error: str | None = None
    last_success: datetime | None = None
    next_poll: datetime | None = None
    gone: bool = False
    polled_before: bool = False
    failing_since: datetime | None = None
    reported_broken: bool = False


@dataclass(frozen=True, slots=True)
class Mute:
    """A rule, a source (a feed's name) or a story (an alert key) silenced until ``until``
    (``alerts.mutes``), by whom, from which alert's button (``origin``; "": a command), and
    how many matches it held back."""

    kind: MuteKind
    target: str
    until: datetime
    by: int | None = None
    origin: str = ""
    held: int = 0


@dataclass(frozen=True, slots=True)
class MuteButton:
    """What a button under alert ``alert_key`` does (mute or unmute ``kind`` ``target``), kept
    under the short ``id`` its ``callback_data`` carries (64 bytes at most)."""

    id: str
    action: Literal["mute", "unmute"]
    kind: MuteKind
    target: str
    alert_key: str


@dataclass(frozen=True, slots=True)
class FeedForUpdate:
    """What one trip reads of its feed, in one read before the fetch: the feed's state, the
    ids of the items already seen in it (kept for ``items.retention``), and the mutes stored
    (active or not: the trip's ``now`` decides)."""

    state: FeedState
    seen: frozenset[str] = frozenset()
    mutes: tuple[Mute, ...] = ()


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to one operator (``telegram.admins``), queued in the outbox like an alert;
    ``key`` makes it once-only, across restarts too."""

    key: str
    chat: str
    title: str
    text: str


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


@dataclass(frozen=True, slots=True)
class Hold:
    """Why an alert does not simply go out at once (``alerts.digest``): it is held now for the
    digest ``digest`` names, or it counts against ``cap_rule``'s ``max_per_hour`` (``cap``) in
    the hour that began at ``since``, held for ``overflow`` once the hour has had ``cap``;
    ``published`` is the item's time, shown in the digest."""

    digest: str = ""
    cap_rule: str = ""
    cap: int = 0
    since: datetime | None = None
    overflow: str = ""
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class HeldAlert:
    """A match held for a digest, as the store holds it: what one line of the digest shows."""

    id: int
    chat: str
    title: str
    link: str
    source: str
    at: datetime  # published, or when the bot saw it
    silent: bool = False


@dataclass(frozen=True, slots=True)
class ItemContent:
    """What the store keeps of an item that could alert, for ``backtest``: what the rules and
    dedup read of it (``body``: its HTML's skeleton, ``text.skeleton``)."""

    item_id: str
    title: str
    link: str
    published: datetime | None
    body: str


@dataclass(frozen=True, slots=True)
class FeedUpdateIntent:
    """Everything one trip writes, in one store transaction, whatever the trip's outcome.

    ``status`` says which feed columns change: a changed body ("ok") sets the validators, the
    hash, the seen items, the new stories (``window``) and the vectors computed for stories
    already in the window (``vectors``); "not_modified" and "unchanged" only refresh the
    validators and ``last_success``; "failed" and "gone" count the failure and set
    ``next_poll``. Health (``failing_since``, ``reported_broken``) and the operators' notices
    are written with it, the matches mutes held back (``held``, counted per mute), and what a
    backtest needs of every item that could alert (``contents``, in the order the trip judged
    them)."""

    feed_url: str
    status: TripStatus
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    seen_ids: tuple[str, ...] = ()
    alerts: tuple[tuple[Alert, StoryKey], ...] = ()
    joins: tuple[ClusterJoin, ...] = ()
    max_edits: int = 3
    error: str | None = None
    error_streak: int = 0
    next_poll: datetime | None = None
    failing_since: datetime | None = None
    reported_broken: bool = False
    notices: tuple[Notice, ...] = ()
    window: tuple[WindowEntry, ...] = ()
    vectors: tuple[StoryVectors, ...] = ()
    held: tuple[tuple[MuteKind, str], ...] = ()  # a muted match, by the mute that held it
    holds: tuple[tuple[str, Hold], ...] = ()  # alert key -> its hold (``alerts.digest``)
    contents: tuple[ItemContent, ...] = ()


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one trip for one feed did, for logs and for ``--once`` accounting."""

    feed_url: str
    status: TripStatus
    items: int = 0
    new_items: int = 0
    alerts: int = 0
    error: str | None = None
    health: HealthChange | None = None
    # For an observer (``alerts.observe``): the failure's kind, each suppressed duplicate's
    # dedup reason ("same link" ... "same meaning"), the seconds fetching and parsing took.
    failure: str | None = None
    duplicates: tuple[str, ...] = ()
    seconds: float | None = None
    muted: int = 0  # matches recorded as muted (``alerts.mutes``), not queued


# ---------------------------------------------------------------- rule specs
# What the rules engine (``alerts.rules.RuleSet.compile``) is compiled from: plain values, so the
# matcher needs neither the config model nor YAML (``alerts.config.specs`` makes them from one).


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
