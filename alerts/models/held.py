"""What holds a match back: a mute and the button that sets or lifts it (``alerts.mutes``), and
a hold for a digest or an hourly cap with the held match a digest lists (``alerts.digest``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

MuteKind = Literal["rule", "source", "story"]  # what a mute silences (``alerts.mutes``)


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
