"""The digest keys' values as the config spells them: a schedule and quiet hours; pure.

- ``digest: 1h`` (:class:`Every`): a period every interval (1 minute to 1 day), counted from
  midnight in ``message.timezone``: ``1h`` sends at 09:00, 10:00, ...; ``90m`` at 00:00,
  01:30, ... 22:30 (a period that does not divide the day ends at midnight).
- ``digest: [08:00, 18:00]`` (:class:`Times`): at each listed time of day, in
  ``message.timezone``.
- ``quiet: "22:00-07:00"`` (:class:`Quiet`): from the first time to the second, across
  midnight when the second is earlier.

YAML 1.1 reads an unquoted ``18:00`` as the base-60 integer 1080 (``08:00``, with its leading
zero, stays a string): in a list of times, a whole number under 1440 is read back as minutes
after midnight, so ``[08:00, 18:00]`` means what it says, quoted or not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta

from alerts.config.durations import format_duration, parse_duration

_TIME = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")
_MINUTES_A_DAY = 1440
SHORTEST, LONGEST = timedelta(minutes=1), timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Every:
    """A digest every ``interval``, counted from local midnight."""

    interval: timedelta

    def __str__(self) -> str:
        return format_duration(self.interval)


@dataclass(frozen=True, slots=True)
class Times:
    """A digest at each of these local times of day (sorted, each once)."""

    times: tuple[time, ...]

    def __str__(self) -> str:
        return "[" + ", ".join(t.strftime("%H:%M") for t in self.times) + "]"


Schedule = Every | Times


@dataclass(frozen=True, slots=True)
class Quiet:
    """Quiet hours: from ``start`` (included) to ``end`` (excluded), local time."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_time(value: object) -> time:
    """``HH:MM`` (24-hour clock), or the minutes YAML 1.1 made of an unquoted one."""
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _MINUTES_A_DAY:
        return time(*divmod(value, 60))
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None:
        shown = f"{value // 60}:{value % 60:02d}" if isinstance(value, int) else repr(value)
        raise ValueError(f"not a time of day like 08:00 or 18:30: {shown}")
    return time(int(match.group(1)), int(match.group(2)))


def parse_schedule(value: object) -> Schedule:
    """``1h`` (a period) or ``[08:00, 18:00]`` (times of day)."""
    if isinstance(value, Every | Times):
        return value
    if isinstance(value, list):
        if not value:
            raise ValueError("an empty list of times: give at least one, e.g. [08:00]")
        return Times(tuple(sorted({parse_time(v) for v in value})))
    try:
        interval = parse_duration(value)
    except ValueError:
        raise ValueError(f"not a period like 1h or a list of times like [08:00, 18:00]: "
                         f"{value!r}") from None  # fmt: skip
    if not SHORTEST <= interval <= LONGEST:
        raise ValueError("a digest period is 1m to 1d; for a daily digest give its time, "
                         "e.g. [08:00]")  # fmt: skip
    return Every(interval)


def parse_quiet(value: object) -> Quiet:
    """``"22:00-07:00"``: quiet from the first time to the second."""
    if isinstance(value, Quiet):
        return value
    parts = value.split("-") if isinstance(value, str) else []
    if len(parts) != 2:
        raise ValueError(f'not quiet hours like "22:00-07:00": {value!r}')
    start, end = parse_time(parts[0]), parse_time(parts[1])
    if start == end:
        raise ValueError("quiet hours that start and end at the same time")
    return Quiet(start, end)
