"""What a destination is: one protocol that the courier sends through (Telegram, stdout).

A destination returns Telegram's message id (or None) from ``send`` and raises
:class:`~alerts.errors.NotifyError` with ``permanent``/``retry_after``/``new_chat`` set from the
Bot API's answer (table in ``shared/telegram-notes.md``). ``courier.Courier`` decides what to
do with that; destinations never retry on their own.
"""

from __future__ import annotations

from typing import Protocol

from alerts.models import Alert


class Destination(Protocol):
    """Where alerts go."""

    async def start(self) -> None:
        """Prepare (log in); raise NotifyError when impossible."""

    async def send(self, alert: Alert) -> int | None:
        """Deliver one alert; return the message id, or raise NotifyError."""

    async def edit(self, alert: Alert, message_id: int, text: str) -> None:
        """Replace the text of a sent alert's message; raise NotifyError."""

    async def close(self) -> None:
        """Release connections."""

    async def admin_notice(self, admins: list[int], text: str) -> None:
        """Tell the operators something (a bad config edit); best effort, never raises."""
