"""Notices to the operators (``telegram.admins``): a feed broken for long, and back; alerts that
Telegram refused. They go through the outbox like alerts (paced, retried, never lost), and each
has a key, so a notice is sent once even across restarts."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from alerts.config import FeedConfig
from alerts.models import PollResult
from alerts.ops.status import span
from alerts.store import Store

OK = ("ok", "not_modified", "unchanged")
FAILED = ("failed", "gone")


def tell_admins(
    store: Store, admins: list[int], key: str, title: str, text: str, now: datetime
) -> int:
    """Queue one notice per admin; returns how many were new."""
    body = f"<b>{html.escape(title, quote=False)}</b>\n{html.escape(text, quote=False)}"
    return sum(
        store.queue_notice(f"{key}:{admin}", str(admin), title, body, now) for admin in admins
    )


def feed_health(
    store: Store,
    admins: list[int],
    feed: FeedConfig,
    result: PollResult,
    now: datetime,
    broken_after: float,
) -> str | None:
    """After a poll: tell the admins once when a feed has been failing for ``broken_after``
    seconds, and once when it recovers. Returns the change, if any."""
    if result.status not in OK + FAILED:
        return None
    if result.status == "gone":  # 410: polling stops at once, so the admins hear at once
        tell_admins(store, admins, f"feed-gone:{feed.url}", f"Feed gone: {feed.display_name}",
                    f"{feed.url} answered 410 Gone and is no longer polled; remove it from "
                    "the config or give its new address.", now)  # fmt: skip
        return "gone"
    change = store.health_change(feed.url, result.status in OK, now,
                                 timedelta(seconds=broken_after))  # fmt: skip
    if change is None or not admins:
        return change
    state = store.feed_state(feed.url)
    stamp = int(now.timestamp())
    if change == "broken":
        since = f"{state.error_streak} failures in a row"
        tell_admins(store, admins, f"feed-broken:{feed.url}:{stamp}",
                    f"Feed broken: {feed.display_name}",
                    f"{feed.url} has failed for {span(timedelta(seconds=broken_after))} or more "
                    f"({since}); last error: {state.last_error}. The bot keeps retrying.",
                    now)  # fmt: skip
    else:
        tell_admins(store, admins, f"feed-recovered:{feed.url}:{stamp}",
                    f"Feed recovered: {feed.display_name}", f"{feed.url} works again.",
                    now)  # fmt: skip
    return change


def alert_refused(store: Store, admins: list[int], chat: str, reason: str, now: datetime) -> None:
    """Telegram refused an alert for good: tell the admins once per chat and reason."""
    tell_admins(store, admins, f"refused:{chat}:{reason}",
                f"Telegram refused alerts for {chat}",
                f"{reason}. The alerts are kept: fix the cause (is the bot an administrator "
                "of the channel, allowed to post?), then /redrive.", now)  # fmt: skip
