"""What the bot tells an observer of its work (metrics, health), in its own result types.

The pipeline tells ``polled`` each trip's ``PollResult``; the courier tells ``delivered`` each
outcome of a send (``Delivery``); matches withheld by a mute are counted in the PollResult.
Nothing here imports a metrics library: ``alerts.monitor`` holds the observer that feeds
``alerts.metrics`` and ``alerts.health``, and it is loaded only when ``metrics.listen`` is set.
Without it, ``QUIET`` observes nothing, at the cost of one method call per event.

A failed trip's reason is one of a few kinds (``failure_kind``), never the error's text, so a
metric labelled by it keeps a small, fixed set of series whatever the servers answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from alerts.errors import AlertsError, FetchError, ParseError, TripError
from alerts.models import PollResult

Outcome = Literal["sent", "failed", "retry"]
FAILURE_KINDS = ("http_4xx", "http_5xx", "timeout", "network", "too_large", "parse", "bug")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outcome of the courier for ``chat``: an alert sent, an alert refused for good
    (failed), or a transient failure to retry; ``retry_after`` is set by Telegram's 429."""

    chat: str
    outcome: Outcome
    retry_after: float | None = None


class Observer(Protocol):
    """Told of the bot's events as they happen, in the event loop; must not block."""

    def polled(self, result: PollResult) -> None:
        """One feed's trip is over (written, or failed to be)."""

    def delivered(self, delivery: Delivery) -> None:
        """One send (or edit) to Telegram ended so."""


class Quiet:
    """The observer of a bot without metrics: nothing is kept."""

    def polled(self, result: PollResult) -> None:
        """Nothing."""

    def delivered(self, delivery: Delivery) -> None:
        """Nothing."""


QUIET: Observer = Quiet()


def failure_kind(error: AlertsError) -> str:
    """The kind of a trip's failure, one of ``FAILURE_KINDS``: by HTTP status class, the
    fetch's own limits (timeout, size), any other failure to reach the server (network), a
    body that is no feed (parse), or an unexpected exception (bug)."""
    if isinstance(error, ParseError):
        return "parse"
    if isinstance(error, TripError) or not isinstance(error, FetchError):
        return "bug"
    if error.status is not None:
        return "http_4xx" if error.status < 500 else "http_5xx"
    if error.reason.startswith("timed out"):
        return "timeout"
    if error.reason.startswith("body larger than"):
        return "too_large"
    return "network"
