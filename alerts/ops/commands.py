"""The operators' bot commands: what each one does, given the running service's state.

``/status`` (as ``bot.py status``), ``/rules`` (rules and their destinations), ``/explain
<text>`` (as ``bot.py explain``), ``/redrive`` (failed alerts pending again), ``/pause`` and
``/resume`` (stop and restart posting; alerts queue in the outbox meanwhile, and a pause
survives restarts), ``/mute NAME [24h]``, ``/unmute NAME`` and ``/mutes`` (``ops.mutes``,
which also answers the buttons under alerts). ``/mute`` and ``/unmute`` act as soon as they
arrive, in the order of the presses around them (``IMMEDIATE``); only their reply is paced.
Who may use them is decided by ``telegram.CommandListener``, from the current config's
admins; when each runs, and how replies are paced, by ``ops.replies``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from alerts.ops.explain import explain_text
from alerts.ops.mutes import Clock, MuteActions, utc_now
from alerts.ops.status import status_text
from alerts.pipeline import Context
from alerts.store import PAUSED_KEY

Handler = Callable[[str], Awaitable[str]]
IMMEDIATE = frozenset({"mute", "unmute"})  # run on arrival, in update order with presses


class AdminCommands:
    """Command handlers bound to a service: ``current`` gives its Context, ``wake`` its courier."""

    def __init__(
        self, current: Callable[[], Context], wake: Callable[[], None], clock: Clock = utc_now
    ) -> None:
        self.current = current
        self.wake = wake
        self.clock = clock
        self.muting = MuteActions(current, clock)

    def table(self) -> dict[str, tuple[str, Handler]]:
        """Command name -> (description for setMyCommands, handler)."""
        return {
            "status": ("feeds, alerts pending and failed, uptime", self.status),
            "rules": ("the watch rules and where they post", self.rules),
            "explain": ("/explain <text>: which rules fire on it", self.explain),
            "redrive": ("retry the alerts Telegram refused", self.redrive),
            "pause": ("stop posting; alerts wait", self.pause),
            "resume": ("post again, starting with what waited", self.resume),
            "mute": ("/mute NAME [24h]: a rule or feed is recorded, not alerted",
                     self.muting.mute_command),
            "unmute": ("/unmute NAME: it alerts again", self.muting.unmute_command),
            "mutes": ("what is muted, until when, and what it held back",
                      self.muting.list_command),
        }  # fmt: skip

    async def status(self, _: str) -> str:
        """As ``bot.py status``."""
        ctx = self.current()
        return status_text(ctx.store, ctx.config, self.clock(), running=True)

    async def rules(self, _: str) -> str:
        """Each rule, its terms and its destination."""
        ctx = self.current()
        lines = []
        for rule in ctx.config.rules:
            parts = [f"{key}: {', '.join(getattr(rule, key))}" for key in ("all", "any", "none")
                     if getattr(rule, key)]  # fmt: skip
            if rule.feeds:
                parts.append(f"feeds: {', '.join(rule.feeds)}")
            lines.append(f"{rule.name} -> {ctx.config.chat_of(rule)}\n  " + "; ".join(parts))
        return "\n".join(lines) or "No rules."

    async def explain(self, text: str) -> str:
        """Every rule's verdict on a text (taken as both title and content)."""
        if not text:
            return "Usage: /explain <text of a story>"
        ctx = self.current()
        return explain_text(ctx.rules, text, text, frozenset())

    async def redrive(self, _: str) -> str:
        """Failed alerts become pending again."""
        count = self.current().store.redrive()
        self.wake()
        return f"{count} failed alert(s) are pending again."

    async def pause(self, _: str) -> str:
        """Stop posting until /resume."""
        self.current().store.set_meta(PAUSED_KEY, datetime.now(UTC).isoformat())
        return "Posting paused: alerts wait in the outbox. /resume to post again."

    async def resume(self, _: str) -> str:
        """Post again."""
        store = self.current().store
        store.set_meta(PAUSED_KEY, None)
        self.wake()
        return f"Posting resumed: {store.counts()['pending']} alert(s) waiting go out now."
