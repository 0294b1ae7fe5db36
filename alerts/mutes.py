"""Mutes and the buttons under an alert, pure: what a mute silences, for how long, which
buttons an alert shows and what each one does.

Policy (the README says the same):

- **What a mute silences.** A rule, a source (a feed, by the name its alerts show) or a story
  (the cluster of one alert), until its expiry; an expired mute is ignored from that moment
  (the trip's ``now``), and pruned with the other old rows.
- **Held, not alerted.** While a rule is muted, an item that only it matched is held: the item
  is seen, the match is counted on the mute (``/status``, ``/mutes``), and nothing is queued; a
  match that also fired a rule that is not muted alerts for that rule. While a source is
  muted, every match from it is held. A held item still joins the cluster of a story alerted
  before (its source is recorded), as an item that matched nothing does.
- **A muted story** gets no more edits ("Also: ..."), and no more alerts: its retellings,
  which dedup already keeps from alerting in its chat, stay silent, and the new sources are
  still recorded.
- **How long.** A button mutes a rule or a source for ``MUTE_FOR``, 24 hours: "til next day"
  is what subscribers ask for (Miniflux#2944), and a day covers one news cycle. ``/mute NAME
  DURATION`` takes any duration from a minute to ``MAX_MUTE`` (30 days, the default
  retention: a longer silence is an edit of the rule, not a mute). A story stays muted for
  ``dedup.window``: past it, dedup no longer links retellings to the story, so there is
  nothing left to silence.
- **Buttons** are shown under an alert when its rule says ``buttons: true``, or says nothing and
  its chat says ``buttons: true`` (``chats:``); never under a notice or a message that no
  configured rule made. The row is "Mute rule 24h", "Mute source 24h", "Mute story" or, while a
  mute made from this message is active, one "Unmute" button that ends it.
- **callback_data** is at most 64 bytes (Bot API), so it carries a short id alone: "m" and 12
  base32 characters of the SHA-256 of (alert key, action, kind, target), 13 bytes; the store
  maps the id to the action and its target. The id is a function of what it does, so the
  keyboard re-sent with an edit reuses the rows already stored.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from alerts.config import Config, parse_duration
from alerts.models import Alert, Match, Mute, MuteButton, MuteKind

MUTE_FOR = timedelta(hours=24)  # a button's mute of a rule or a source
MIN_MUTE = timedelta(minutes=1)
MAX_MUTE = timedelta(days=30)
MAX_CALLBACK_DATA = 64  # bytes (Specs: https://core.telegram.org/bots/api#inlinekeyboardbutton)
_ID_CHARS = 12  # 60 bits of the hash: no two buttons of a year of alerts collide
_LABELS: dict[MuteKind, str] = {
    "rule": "Mute rule 24h",
    "source": "Mute source 24h",
    "story": "Mute story",
}


@dataclass(frozen=True, slots=True)
class Button:
    """One inline button: its label and its ``callback_data``."""

    text: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]  # rows of buttons


@dataclass(frozen=True, slots=True)
class Pressed:
    """The outcome of a press: the answer shown to whoever pressed (``alert``: as a dialog),
    and the message's new keyboard (None: unchanged) in ``chat``, addressed as its alert was
    (a channel's @name and its numeric id are paced apart)."""

    answer: str
    alert: bool = False
    keyboard: Keyboard | None = None
    chat: str = ""


@dataclass(frozen=True, slots=True)
class Muted:
    """The mutes active at one moment, by kind."""

    rules: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    stories: frozenset[str] = frozenset()

    @classmethod
    def of(cls, mutes: Iterable[Mute], now: datetime) -> Muted:
        """The mutes of ``mutes`` still active at ``now``."""
        live = active(mutes, now)
        return cls(*(frozenset(m.target for m in live if m.kind == kind)
                     for kind in ("rule", "source", "story")))  # fmt: skip

    def __bool__(self) -> bool:
        return bool(self.rules or self.sources or self.stories)

    def hold(self, matches: Sequence[Match], source: str) -> tuple[list[Match], list[Held]]:
        """The matches that may alert, and the mutes that held the others back."""
        if not self or not matches:
            return list(matches), []
        if source in self.sources:
            return [], [("source", source) for _ in matches]
        kept: list[Match] = []
        held: list[Held] = []
        for match in matches:
            live = tuple(r for r in match.rules if r.rule not in self.rules)
            if len(live) == len(match.rules):
                kept.append(match)
            elif live:  # alerted for the rules that are not muted
                kept.append(replace(match, rules=live))
            else:  # counted once, on its first rule
                held.append(("rule", match.rules[0].rule))
        return kept, held


Held = tuple[MuteKind, str]
NOT_MUTED = Muted()


def active(mutes: Iterable[Mute], now: datetime) -> tuple[Mute, ...]:
    """The mutes that have not expired at ``now``, soonest to end first."""
    return tuple(sorted((m for m in mutes if m.until > now), key=lambda m: m.until))


def rules_of(alert_rule: str, names: Iterable[str]) -> tuple[str, ...]:
    """The configured rules an alert's ``rule`` text names (``render`` joins them by ", ")."""
    known = set(names)
    if alert_rule in known:
        return (alert_rule,)
    return tuple(name for name in alert_rule.split(", ") if name in known)


def wants_buttons(config: Config, alert: Alert) -> bool:
    """Whether an alert shows mute buttons: its rule's ``buttons``, else its chat's."""
    rules = {r.name: r for r in config.rules}
    named = [rules[name] for name in rules_of(alert.rule, rules)]
    if not named:
        return False  # a notice, or a message that no configured rule made
    chat = config.chat_settings(alert.chat).buttons
    return any(chat if r.buttons is None else r.buttons for r in named)


def button_id(alert_key: str, action: str, kind: MuteKind, target: str) -> str:
    """The short id a button's ``callback_data`` carries (see the policy)."""
    digest = hashlib.sha256(f"{alert_key}\0{action}\0{kind}\0{target}".encode()).digest()
    return "m" + base64.b32encode(digest).decode()[:_ID_CHARS].lower()


def target_of(alert: Alert, kind: MuteKind) -> str:
    """What a button of ``kind`` under ``alert`` mutes."""
    return {"rule": alert.rule, "source": alert.source, "story": alert.key}[kind]


def keyboard(
    alert: Alert, mutes: Iterable[Mute], now: datetime
) -> tuple[Keyboard, list[MuteButton]]:
    """The row under an alert, and what each of its buttons does (for the store)."""
    made_here = [m for m in active(mutes, now) if m.origin == alert.key]
    if made_here:
        kind = made_here[0].kind
        undo = MuteButton(button_id(alert.key, "unmute", kind, target_of(alert, kind)),
                          "unmute", kind, target_of(alert, kind), alert.key)  # fmt: skip
        return ((Button(f"Unmute {kind}", undo.id),),), [undo]
    rows = [MuteButton(button_id(alert.key, "mute", k, target_of(alert, k)), "mute", k,
                       target_of(alert, k), alert.key) for k in _LABELS]  # fmt: skip
    return (tuple(Button(_LABELS[b.kind], b.id) for b in rows),), rows


def expiry(kind: MuteKind, now: datetime, window: timedelta) -> datetime:
    """When a button's mute of ``kind`` ends: a day, or the story's dedup window."""
    return now + (window if kind == "story" else MUTE_FOR)


def mute_length(text: str) -> timedelta | None:
    """A duration written for ``/mute`` (``90m``, ``24h``, ``7d``), within bounds; None if
    the text is not one."""
    try:
        length = parse_duration(text)
    except ValueError:
        return None
    return length if MIN_MUTE <= length <= MAX_MUTE else None
