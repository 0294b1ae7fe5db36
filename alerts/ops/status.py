"""What `bot.py status` and `/status` say: feeds, alerts, mutes, uptime (formatting of store
facts)."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.config import Config
from alerts.logs import redact
from alerts.message.notices import span
from alerts.models import FeedState
from alerts.ops.mutes import mute_lines
from alerts.select import NOTE_PREFIX, is_note
from alerts.store import FAILED, PAUSED_KEY, PENDING, SENT, STARTED_KEY, StoreType
from alerts.store.protocol import HELD


def ago(when: datetime | None, now: datetime) -> str:
    """A short human duration: ``3m ago``, ``2h 5m ago``, ``never``."""
    if when is None:
        return "never"
    return f"{span(now - when)} ago"


def _feed_line(name: str, state: FeedState | None, now: datetime) -> tuple[str, str]:
    kind, line = _feed_status(name, state, now)
    return kind, redact(line)  # an error can quote a URL, and a URL can carry a secret


def _feed_status(name: str, state: FeedState | None, now: datetime) -> tuple[str, str]:
    if state is None or (not state.polled_before and not state.error_streak):
        return "new", f"  NEW      {name}: not polled yet"
    if state.gone:
        return "gone", f"  GONE     {name}: {state.last_error} (remove it from the config)"
    if state.error_streak:
        retry = f", next try in {span(state.next_poll - now)}" if state.next_poll else ""
        return "failing", (
            f"  FAILING  {name}: {state.error_streak} failure(s) in a row, last error "
            f'"{state.last_error}", last success {ago(state.last_success, now)}{retry}'
        )
    success = f"last success {ago(state.last_success, now)}"
    if is_note(state):  # it works, but its new items may not alert (``alerts.select``)
        note = (state.last_error or "").removeprefix(NOTE_PREFIX)
        return "skipping", f"  SKIPPING {name}: {success}; {note}"
    return "ok", f"  ok       {name}: {success}"


def status_text(
    store: StoreType, config: Config, now: datetime | None = None, running: bool | None = None
) -> str:
    """The whole report."""
    now = now or datetime.now(UTC)
    started = store.get_meta(STARTED_KEY)
    lines = []
    if started and running is not False:
        since = datetime.fromtimestamp(float(started), UTC)
        lines.append(f"Bot: running since {since:%Y-%m-%d %H:%M} UTC (uptime {span(now - since)})")
    else:
        lines.append("Bot: not running")
    lines.append("Posting: PAUSED (/resume to restart)" if store.get_meta(PAUSED_KEY) else
                 "Posting: active")  # fmt: skip
    states = {s.url: s for s in store.feed_states()}
    counts: dict[str, int] = {}
    feed_lines = []
    for feed in config.feeds:
        kind, line = _feed_line(feed.display_name, states.get(feed.url), now)
        counts[kind] = counts.get(kind, 0) + 1
        feed_lines.append(line)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items()) or "none"
    lines.append(f"Feeds: {len(config.feeds)} ({summary})")
    lines += feed_lines
    alerts = store.counts()
    lines.append(f"Alerts: {alerts[PENDING]} pending, {alerts[FAILED]} failed, "
                 f"{alerts[SENT]} sent (kept {span(config.items.retention)})")  # fmt: skip
    held = store.held_digests()
    if held:  # matches waiting for a digest, quiet hours' end or a cap's hour (``alerts.digest``)
        lines.append(f"Held for digests: {alerts.get(HELD, 0)} match(es) in {len(held)} digest(s)")
        lines += [f"  HELD     {chat}: {digest}, oldest {ago(oldest, now)}"
                  for chat, digest, oldest in held[:5]]  # fmt: skip
    for entry in store.failed(limit=5):
        lines.append(f'  FAILED   {entry.alert.chat}: "{entry.alert.title}": {entry.last_error}'
                     " (/redrive or bot.py redrive to retry)")  # fmt: skip
    muted = mute_lines(store, now)
    if muted:  # matches of a muted rule or source are recorded, not alerted
        lines += [f"Mutes: {len(muted)} (/unmute NAME, or the Unmute button, ends one)", *muted]
    return "\n".join(lines)
