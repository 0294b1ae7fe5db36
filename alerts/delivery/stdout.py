"""The printing destination: alerts written to stdout for ``--dry-run``, no token, and the demo."""

from __future__ import annotations

import json
import sys
from typing import IO

from alerts.message.render import to_plain
from alerts.models import Alert


class StdoutDestination:
    """Prints alerts instead of sending them: no token, ``--dry-run`` and the demo."""

    def __init__(self, jsonl: bool = False, stream: IO[str] | None = None) -> None:
        self.jsonl = jsonl
        self.stream = stream or sys.stdout
        self.count = 0

    async def start(self) -> None:
        """Nothing to prepare."""

    async def send(self, alert: Alert) -> int | None:
        """Print one alert, human-readable or as one JSON line."""
        self.count += 1
        if self.jsonl:
            record = {
                "chat": alert.chat,
                "rule": alert.rule,
                "title": alert.title,
                "link": alert.link,
                "text": alert.text,
            }
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            rule = f"── alert {self.count} → {alert.chat} "
            self.stream.write(f"{rule}{'─' * max(3, 72 - len(rule))}\n{to_plain(alert.text)}\n\n")
        self.stream.flush()
        return None

    async def edit(self, alert: Alert, message_id: int, text: str) -> None:
        """Printed messages cannot change; printed alerts have no message id to edit anyway."""

    async def admin_notice(self, admins: list[int], text: str) -> None:
        """Printing mode has no admins to tell; the log line is the notice."""

    async def close(self) -> None:
        """Nothing to release."""
