"""The values passed between pipeline stages; no I/O and no third-party imports here.

Each kind has its module, every name importable from here (``from alerts.models import Alert``):
``feed``, a feed's answer, items and state; ``story``, the matches and the stories dedup
compares; ``delivery``, the alerts, notices and outbox entries; ``held``, the mutes and the holds
for digests; ``trip``, one trip's read, write and result; ``spec``, the rules engine's specs.
"""

from __future__ import annotations

from alerts.models.delivery import Alert, DeliveryStatus, Notice, OutboxEntry
from alerts.models.feed import FeedItem, FeedState, FetchedFeed, ItemContent
from alerts.models.held import HeldAlert, Hold, Mute, MuteButton, MuteKind
from alerts.models.spec import EntitySpec, RuleSpec
from alerts.models.story import (
    ClusterJoin,
    Match,
    RuleHit,
    StoryKey,
    StoryVectors,
    TermHit,
    TermKind,
    Vector,
    WindowEntry,
)
from alerts.models.trip import FeedForUpdate, FeedUpdateIntent, HealthChange, PollResult, TripStatus

__all__ = [
    "Alert",
    "ClusterJoin",
    "DeliveryStatus",
    "EntitySpec",
    "FeedForUpdate",
    "FeedItem",
    "FeedState",
    "FeedUpdateIntent",
    "FetchedFeed",
    "HealthChange",
    "HeldAlert",
    "Hold",
    "ItemContent",
    "Match",
    "Mute",
    "MuteButton",
    "MuteKind",
    "Notice",
    "OutboxEntry",
    "PollResult",
    "RuleHit",
    "RuleSpec",
    "StoryKey",
    "StoryVectors",
    "TermHit",
    "TermKind",
    "TripStatus",
    "Vector",
    "WindowEntry",
]
