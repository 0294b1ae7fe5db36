"""The value types of the config model: each an annotated type with its own check (a URL, a chat,
a duration, an interval, a rule term, a network, a time zone, a digest schedule, quiet hours).

A bad value raises ValueError with the reason; pydantic puts the key path in front of it.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, PlainValidator

from alerts.config.durations import parse_duration
from alerts.config.schedule import Quiet, Schedule, parse_quiet, parse_schedule
from alerts.target import CHAT_FORMS, Target
from alerts.text.normalize import normalize
from alerts.text.regex import compile_regex, is_regex_term


def _http_url(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not an http(s) URL")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) URL")
    return value.strip()


def _network(value: object) -> str:
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=False))
    except ValueError as e:
        raise ValueError(f"not an IP network or address: {value!r}") from e


def _chat(value: object) -> str:
    """A destination, ``@channelname`` or a numeric id, ``/TOPIC`` added for a forum topic."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return str(Target.parse(value))
    raise ValueError(f"not a chat: {CHAT_FORMS}")


def _timezone(value: object) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {value!r}") from e
    return str(value)


def _term(value: str) -> str:
    if not normalize(value.rstrip().rstrip("*")):
        raise ValueError("empty term")
    reason = _regex_problem(value)
    if reason is not None:
        raise ValueError(reason)
    return value


MIN_INTERVAL = timedelta(seconds=1)


def _interval(value: timedelta) -> timedelta:
    # 0s made a failing feed retry every second: its backoff, a multiple of the interval, stayed
    # 0, and the scheduler runs a 0 interval each second. `check` warns below a minute (lint).
    if value < MIN_INTERVAL:
        raise ValueError(f"must be at least {MIN_INTERVAL.seconds}s: a failing feed backs off "
                         "in multiples of its interval")  # fmt: skip
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Interval = Annotated[timedelta, BeforeValidator(parse_duration), AfterValidator(_interval)]
Term = Annotated[str, AfterValidator(_term)]
HttpUrl = Annotated[str, BeforeValidator(_http_url)]
Chat = Annotated[str, BeforeValidator(_chat)]
Network = Annotated[str, BeforeValidator(_network)]
TimeZone = Annotated[str, BeforeValidator(_timezone)]  # an IANA name, e.g. Europe/Berlin
# ``digest: 1h`` or ``digest: [08:00, 18:00]``; ``quiet: "22:00-07:00"`` (``config.schedule``).


def _schedule(value: object) -> Schedule | None:
    return None if value is None else parse_schedule(value)


def _quiet(value: object) -> Quiet | None:
    return None if value is None else parse_quiet(value)


DigestSchedule = Annotated[Schedule | None, PlainValidator(_schedule)]
QuietHours = Annotated[Quiet | None, PlainValidator(_quiet)]


def _regex_problem(term: str) -> str | None:
    """Why a ``/.../`` term is not a valid RE2 regular expression, or None."""
    if not is_regex_term(term):
        return None
    try:
        compile_regex(term.strip()[1:-1])
    except ValueError as e:
        return str(e)
    return None
