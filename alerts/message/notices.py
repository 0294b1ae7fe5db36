"""What the operators (``telegram.admins``) are told, and when; pure.

A feed broken for ``polling.broken_after`` is reported once, and once more when it works again;
a 410 Gone is reported at once (its polling stops); an alert Telegram refused for good is
reported once per chat and reason. Each notice has a key, so the outbox queues it once even
across restarts (``store`` writes it ``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from alerts.logs import redact
from alerts.models import FeedState, HealthChange, Notice


def span(delta: timedelta) -> str:
    """``45s``, ``12m``, ``3h 5m``, ``2d 4h``."""
    seconds = int(max(0, delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else f"{secs}s"


def to_admins(admins: list[int], key: str, title: str, text: str) -> tuple[Notice, ...]:
    """One notice per admin, each keyed by the event and the admin; URLs' secrets redacted."""
    title, text = redact(title), redact(text)
    body = f"<b>{html.escape(title, quote=False)}</b>\n{html.escape(text, quote=False)}"
    return tuple(Notice(f"{key}:{admin}", str(admin), title, body) for admin in admins)


def health_notices(
    admins: list[int],
    change: HealthChange,
    feed_url: str,
    feed_name: str,
    state: FeedState,
    broken_after: timedelta,
    now: datetime,
) -> tuple[Notice, ...]:
    """The notices for a feed's change of health; ``state`` is the feed after this trip."""
    if change == "gone":  # once ever: the key has no time in it
        return to_admins(admins, f"feed-gone:{feed_url}", f"Feed gone: {feed_name}",
                         f"{feed_url} answered 410 Gone and is no longer polled; remove it "
                         "from the config or give its new address.")  # fmt: skip
    stamp = int(now.timestamp())
    if change == "broken":
        return to_admins(admins, f"feed-broken:{feed_url}:{stamp}", f"Feed broken: {feed_name}",
                         f"{feed_url} has failed for {span(broken_after)} or more "
                         f"({state.error_streak} failures in a row); last error: "
                         f"{state.last_error}. The bot keeps retrying.")  # fmt: skip
    return to_admins(admins, f"feed-recovered:{feed_url}:{stamp}",
                     f"Feed recovered: {feed_name}", f"{feed_url} works again.")  # fmt: skip


def refused_notices(admins: list[int], chat: str, reason: str) -> tuple[Notice, ...]:
    """Telegram refused alerts for good: once per chat and reason."""
    return to_admins(admins, f"refused:{chat}:{reason}", f"Telegram refused alerts for {chat}",
                     f"{reason}. The alerts are kept: fix the cause (is the bot an administrator "
                     "of the channel, allowed to post?), then /redrive.")  # fmt: skip
