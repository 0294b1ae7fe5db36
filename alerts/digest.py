"""Digests, quiet hours, urgent rules and caps: where a match goes, and when a digest is due; pure.

Policy (the README says the same):

- **Where a match goes** (:meth:`Router.route`), for a match to a chat at ``now``, in order:

  1. every rule that fired has a ``digest``: held for the first one's digest (``rule:NAME``);
  2. an ``urgent`` rule fired: sent at once; silently (``disable_notification``) when the chat
     is in its quiet hours. The chat's digest and quiet hours do not hold it;
  3. the chat has a ``digest``: held for it (``chat``);
  4. the chat is in its quiet hours: held for the digest sent when they end (``quiet``);
  5. otherwise sent at once, unless every rule that fired has ``max_per_hour``: then it counts
     against the first one's cap (below).

  A match that several rules fire on is sent at once if any of them would send it at once: a
  held alert is a late alert, so holding needs every rule to ask for it.
- **Caps count clock hours** of ``message.timezone`` (10:00 to 10:59). The first N alerts of a
  rule to a chat in the hour go out as usual; the rest are held, and rolled into one digest at
  the end of that hour (11:00). A rule then sends at most N + 1 messages in a clock hour, and
  2N + 1 in the worst minute across a boundary (N at 10:59, N and the digest at 11:00). A
  rolling hour would hold any 60 minutes to N, but its end moves with every alert: there would
  be no one "end of the hour" to send the digest at. The count is taken in the store's write
  of each alert (``alerts.store.digests``), so the alerts of concurrent trips are all counted.
- **When a digest is due** (:func:`due_at`): at the end of the period of its oldest held
  match: the next time of its schedule after it (``1h``: multiples of the period from local
  midnight; ``[08:00, 18:00]``: the next listed time), the end of the quiet hours it was held
  in, or the end of the clock hour it overflowed in. A digest that falls due in its chat's quiet
  hours waits until they end. A digest whose setting a reload removed is due at once. Due times
  are computed from stored times, never kept in timers: a digest that fell due while the bot
  was down is due when it starts.
- A digest lists every match held for it when it is made, as one message or, past Telegram's
  4096 characters, several (``alerts.message.digest``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from alerts.config import Config, RuleConfig
from alerts.config.model import ChatConfig
from alerts.config.schedule import Every, Quiet, Schedule
from alerts.models import Alert, Hold, Match, StoryKey

RULE, CHAT, QUIET, CAP = "rule:", "chat", "quiet", "cap:"  # what a held match waits for
HOUR = timedelta(hours=1)


def _local(zone: ZoneInfo, day: datetime, at: time) -> datetime:
    return datetime.combine(day.date(), at, tzinfo=zone)


def quiet_end(quiet: Quiet, zone: ZoneInfo, at: datetime) -> datetime | None:
    """The end of the quiet hours ``at`` is in (UTC), or None when it is not in them."""
    local = at.astimezone(zone)
    now = local.time()
    inside = (quiet.start <= now < quiet.end) if quiet.start < quiet.end else (
        now >= quiet.start or now < quiet.end)  # fmt: skip
    if not inside:
        return None
    end = _local(zone, local, quiet.end)
    if end <= local:
        end = _local(zone, local + timedelta(days=1), quiet.end)
    return end.astimezone(UTC)


def next_boundary(schedule: Schedule, zone: ZoneInfo, after: datetime) -> datetime:
    """The first time of ``schedule`` strictly after ``after`` (UTC)."""
    local = after.astimezone(zone)
    midnight = _local(zone, local, time(0))
    tomorrow = _local(zone, local + timedelta(days=1), time(0))
    if isinstance(schedule, Every):
        elapsed = local.replace(tzinfo=None) - midnight.replace(tzinfo=None)  # wall-clock time
        periods = elapsed // schedule.interval + 1
        return min(midnight + periods * schedule.interval, tomorrow).astimezone(UTC)
    for day in (local, local + timedelta(days=1)):
        for at in schedule.times:
            candidate = _local(zone, day, at)
            if candidate > local:
                return candidate.astimezone(UTC)
    raise AssertionError("a list of times has a time tomorrow")  # Times is never empty


def hour_start(zone: ZoneInfo, at: datetime) -> datetime:
    """The start of the clock hour (in ``zone``) that ``at`` is in, as UTC."""
    return at.astimezone(zone).replace(minute=0, second=0, microsecond=0).astimezone(UTC)


class Router:
    """Where each match of a trip at ``now`` goes: at once, or held for which digest."""

    def __init__(self, config: Config, now: datetime) -> None:
        self.config, self.now = config, now
        self.zone = ZoneInfo(config.message.timezone)
        self.rules = {r.name: r for r in config.rules}

    def route(self, alert: Alert, match: Match) -> tuple[Alert, Hold | None]:
        """The alert as it goes out (silenced, for an urgent one in quiet hours) and its hold,
        None when it goes out at once and counts against no cap (see the policy)."""
        rules = [self.rules[r.rule] for r in match.rules if r.rule in self.rules]
        chat = self.config.chat_settings(match.chat)
        published = match.item.published
        if rules and all(r.digest is not None for r in rules):
            return alert, Hold(digest=RULE + rules[0].name, published=published)
        quiet = chat.quiet is not None and quiet_end(chat.quiet, self.zone, self.now) is not None
        if any(r.urgent for r in rules):
            alert = replace(alert, disable_notification=True) if quiet else alert
        elif chat.digest is not None or quiet:
            return alert, Hold(digest=CHAT if chat.digest else QUIET, published=published)
        return alert, self._cap(rules, published)

    def _cap(self, rules: list[RuleConfig], published: datetime | None) -> Hold | None:
        if not rules or not all(r.max_per_hour for r in rules):
            return None
        first = rules[0]
        return Hold(cap_rule=first.name, cap=first.max_per_hour or 0,
                    since=hour_start(self.zone, self.now), overflow=CAP + first.name,
                    published=published)  # fmt: skip


def route_all(config: Config, alerts: Sequence[tuple[Alert, StoryKey]],
              matches: Mapping[str, Match], now: datetime) -> tuple[
                  tuple[tuple[Alert, StoryKey], ...], tuple[tuple[str, Hold], ...]]:  # fmt: skip
    """A trip's alerts as they go out, and the holds of those that wait or count against a cap."""
    router = Router(config, now)
    out, holds = [], []
    for alert, key in alerts:
        routed, hold = router.route(alert, matches[alert.key])
        out.append((routed, key))
        if hold is not None:
            holds.append((alert.key, hold))
    return tuple(out), tuple(holds)


def due_at(config: Config, chat: str, digest: str, oldest: datetime) -> datetime:
    """When the digest ``digest`` of ``chat`` whose oldest held match came at ``oldest`` is
    due (UTC); at ``oldest`` (at once) when its setting is gone from the config."""
    zone = ZoneInfo(config.message.timezone)
    settings = config.chat_settings(chat)
    due = _period_end(config, settings, digest, zone, oldest) or oldest
    if settings.quiet is not None:
        due = quiet_end(settings.quiet, zone, due) or due
    return due.astimezone(UTC)


def _period_end(config: Config, chat: ChatConfig, digest: str, zone: ZoneInfo,
                oldest: datetime) -> datetime | None:  # fmt: skip
    if digest == QUIET:
        return quiet_end(chat.quiet, zone, oldest) if chat.quiet is not None else None
    if digest == CHAT:
        return next_boundary(chat.digest, zone, oldest) if chat.digest is not None else None
    if digest.startswith(CAP):
        return hour_start(zone, oldest) + HOUR
    name = digest.removeprefix(RULE)
    rule = next((r for r in config.rules if r.name == name), None)
    if digest.startswith(RULE) and rule is not None and rule.digest is not None:
        return next_boundary(rule.digest, zone, oldest)
    return None


def label(config: Config, chat: str, digest: str) -> str:
    """What a digest's heading calls it."""
    if digest == QUIET:
        quiet = config.chat_settings(chat).quiet
        return f"Quiet hours ({quiet})" if quiet is not None else "Quiet hours"
    if digest == CHAT:
        return "Digest"
    if digest.startswith(CAP):
        name = digest.removeprefix(CAP)
        cap = next((r.max_per_hour for r in config.rules if r.name == name), None)
        return f"{name}: more this hour" + (f" (over {cap} an hour)" if cap else "")
    return f"Digest: {digest.removeprefix(RULE)}"
