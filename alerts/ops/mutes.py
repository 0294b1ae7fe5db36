"""Mutes as the operators drive them: the buttons under an alert, a press on one, and the
``/mute``, ``/unmute`` and ``/mutes`` commands, on the running service's store and config.

What a mute silences and for how long is the policy of ``alerts.mutes``; this module reads and
writes the store for it. Its clock is a parameter, so that a mute's expiry is tested without
waiting a day. Who may press is checked before (``telegram.CommandListener``).

Crash safety: a press is one store transaction (the mute, or its end), then the answer, then
the new buttons. A bot killed in between has the mute stored and the old buttons shown; a
press Telegram hands out again after a restart (its update was not yet confirmed) acts again,
and acting twice is acting once: a mute again is the same mute, an unmute again ends nothing.
Nothing is sent to the chat by a press, so nothing can be sent twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from alerts.logs import event
from alerts.message.notices import span
from alerts.models import Alert, Mute, MuteButton, MuteKind
from alerts.mutes import (
    MUTE_FOR,
    Keyboard,
    Pressed,
    active,
    expiry,
    keyboard,
    mute_length,
    rules_of,
    wants_buttons,
)
from alerts.store import StoreType

if TYPE_CHECKING:  # status (``bot.py status``) imports this module without the pipeline
    from alerts.pipeline import Context

log = logging.getLogger("alerts.ops.mutes")

Clock = Callable[[], datetime]
TOO_OLD = "This button is too old. Use /mute or /unmute."
USAGE = "Usage: /mute NAME [24h]: a rule, or a feed by its name, for a while (1m to 30d)"


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def when(at: datetime) -> str:
    """A moment as status shows it."""
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def mute_lines(store: StoreType, now: datetime) -> list[str]:
    """One line per active mute, for ``/status`` and ``/mutes``."""
    return [_line(store, m, now) for m in active(store.mutes(), now)]


def _line(store: StoreType, mute: Mute, now: datetime) -> str:
    name = f'"{mute.target}"'
    if mute.kind == "story":
        entry = store.alert_of(mute.target)
        name = f'"{entry.alert.title}"' if entry else "(an alert no longer kept)"
    held = f", {mute.held} match(es) held back" if mute.kind != "story" else ", no more edits"
    return (f"  MUTED    {mute.kind} {name} until {when(mute.until)} "
            f"({span(mute.until - now)} left){held}")  # fmt: skip


class MuteActions:
    """Buttons, presses and mute commands of a service: ``current`` gives its Context."""

    def __init__(self, current: Callable[[], Context], clock: Clock = utc_now) -> None:
        self.current = current
        self.clock = clock

    # ------------------------------------------------------------ buttons

    def keyboard(self, alert: Alert) -> Keyboard | None:
        """The buttons under an alert (None: none), their actions stored first."""
        ctx, now = self.current(), self.clock()
        if not wants_buttons(ctx.config, alert):
            return None
        rows, buttons = keyboard(alert, ctx.store.mutes(), now)
        ctx.store.save_buttons(buttons, now)
        return rows

    def press(self, user: int, data: str) -> Pressed:
        """An admin pressed the button ``data``: mute or unmute, and the message's new row."""
        store, now = self.current().store, self.clock()
        button = store.button(data)
        if button is None:
            return Pressed(TOO_OLD, alert=True)
        if button.action == "mute":
            answer = self._mute(button, user, now)
        else:
            answer = self._unmute(button, user)
        entry = store.alert_of(button.alert_key)
        if entry is None:
            return Pressed(answer)
        return Pressed(answer, keyboard=self.keyboard(entry.alert), chat=entry.alert.chat)

    def _mute(self, button: MuteButton, user: int, now: datetime) -> str:
        targets = self._targets(button.kind, button.target)
        if not targets:
            return f"Rule {button.target} is no longer in the config: nothing to mute."
        until = expiry(button.kind, now, self.current().config.dedup.window)
        for target in targets:
            self._start(Mute(button.kind, target, until, user, button.alert_key), now)
        what = "story" if button.kind == "story" else f"{button.kind} {', '.join(targets)}"
        return f"Muted {what} until {when(until)}."

    def _unmute(self, button: MuteButton, user: int) -> str:
        ended = [self._end(button.kind, t, user) for t in self._targets(button.kind, button.target)]
        what = "story" if button.kind == "story" else f"{button.kind} {button.target}"
        return f"Unmuted {what}." if any(ended) else f"The mute of {what} had already ended."

    def _targets(self, kind: MuteKind, target: str) -> tuple[str, ...]:
        """What a button's target names: the configured rules of an alert's rule text."""
        if kind != "rule":
            return (target,)
        return rules_of(target, (r.name for r in self.current().config.rules))

    def _start(self, mute: Mute, now: datetime) -> None:
        self.current().store.mute(mute, now)
        event(log, logging.INFO, "muted", kind=mute.kind, target=mute.target,
              until=when(mute.until), by=mute.by)  # fmt: skip

    def _end(self, kind: MuteKind, target: str, by: int | None) -> bool:
        """End a mute; whether one was active."""
        ended = self.current().store.unmute(kind, target)
        if ended is not None:
            event(log, logging.INFO, "unmuted", kind=kind, target=target, by=by)
        return ended is not None and ended.until > self.clock()

    # ------------------------------------------------------------ commands

    async def mute_command(self, text: str) -> str:
        """``/mute NAME [DURATION]``: a rule, or a feed by its name, for a while (24h)."""
        name, length = _name_and_length(text)
        if not name or length is None:
            return USAGE
        found = self._named(name)
        if found is None:
            return f"No rule or feed is named {name}. /rules lists the rules."
        now = self.clock()
        self._start(Mute(found[0], found[1], now + length), now)
        return (f"Muted {found[0]} {found[1]} for {span(length)}, until {when(now + length)}: "
                "its matches are recorded, not alerted. /unmute to end it.")  # fmt: skip

    async def unmute_command(self, text: str) -> str:
        """``/unmute NAME``: end the mute of a rule or a feed."""
        name = text.strip()
        if not name:
            return "Usage: /unmute NAME (a rule or a feed; /mutes lists the mutes)"
        for mute in active(self.current().store.mutes(), self.clock()):
            if mute.kind != "story" and mute.target.casefold() == name.casefold():
                self._end(mute.kind, mute.target, None)
                return f"Unmuted {mute.kind} {mute.target}: it alerts again."
        return f"{name} is not muted. /mutes lists the mutes."

    async def list_command(self, _: str) -> str:
        """``/mutes``: what is muted, until when, and what each mute held back."""
        lines = mute_lines(self.current().store, self.clock())
        return "\n".join([f"Mutes: {len(lines)}", *lines]) if lines else "Nothing is muted."

    def _named(self, name: str) -> tuple[MuteKind, str] | None:
        """The rule, else the feed, of this name (case aside)."""
        config, key = self.current().config, name.casefold()
        for rule in config.rules:
            if rule.name.casefold() == key:
                return "rule", rule.name
        for feed in config.feeds:
            if feed.display_name.casefold() == key:
                return "source", feed.display_name
        return None


def _name_and_length(text: str) -> tuple[str, timedelta | None]:
    """``NAME [DURATION]`` split: a last word that is a duration is the mute's length."""
    name, _, last = text.strip().rpartition(" ")
    if name and (length := mute_length(last)) is not None:
        return name.strip(), length
    if name and last[:1].isdigit() and last[-1:].isalpha():
        return name.strip(), None  # a duration out of bounds: say how long a mute may be
    return text.strip(), MUTE_FOR
