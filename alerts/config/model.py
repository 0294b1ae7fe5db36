"""The typed config model: every section, key, default and per-key check, declared once.

Every key has a default except the ones a user must choose (feed URLs, rule terms). Unknown keys
are errors (``extra="forbid"``), so a typo never silently disables a setting. Checks that span
keys (duplicate URLs, rules naming unknown feeds) live in ``references``, on the raw data.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainValidator,
    PrivateAttr,
    model_validator,
)

from alerts.config.durations import parse_duration
from alerts.config.listen import MetricsConfig
from alerts.config.schedule import Quiet, Schedule, parse_quiet, parse_schedule
from alerts.config.section import Section as Section  # its home; imported from here too
from alerts.config.state import STATE_HELP, State
from alerts.target import CHAT_FORMS, Target, bare_chat
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
# ``digest: 1h`` or ``digest: [08:00, 18:00]``; ``quiet: "22:00-07:00"`` (``config.schedule``).


def _schedule(value: object) -> Schedule | None:
    return None if value is None else parse_schedule(value)


def _quiet(value: object) -> Quiet | None:
    return None if value is None else parse_quiet(value)


DigestSchedule = Annotated[Schedule | None, PlainValidator(_schedule)]
QuietHours = Annotated[Quiet | None, PlainValidator(_quiet)]


class TelegramConfig(Section):
    chat: Chat | None = Field(None, description="default destination: @channel, id, or CHAT/TOPIC")
    admins: list[int] = Field(default_factory=list, description="user ids allowed bot commands")
    api_url: HttpUrl | None = Field(
        None, description="a self-hosted Bot API server, passed to PTB as base_url"
    )
    link_preview: bool = Field(False, description="let Telegram show a preview of the link")


class PollingConfig(Section):
    interval: Interval = Field(timedelta(minutes=5), description="time between polls of a feed")
    jitter: Duration = Field(timedelta(seconds=30), description="random delay added to each poll")
    timeout: Duration = Field(timedelta(seconds=20), description="total time limit of one fetch")
    max_bytes: int = Field(10_000_000, gt=0, description="largest feed body read, in bytes")
    max_redirects: int = Field(5, ge=0, description="redirects followed before giving up")
    concurrency: int = Field(20, gt=0, description="feeds fetched at the same time")
    backoff_max: Duration = Field(
        timedelta(hours=6), description="longest wait before retrying a failing feed"
    )
    broken_after: Duration = Field(
        timedelta(hours=6), description="tell the admins when a feed has failed this long"
    )
    article_private_networks: list[Network] = Field(
        default_factory=list,
        description="private networks article pages may come from (self-hosted sites), e.g. "
        "[192.168.1.0/24]; pages elsewhere than on public addresses are refused",
    )


class ItemsConfig(Section):
    max_age: Duration = Field(
        timedelta(days=7), description="older items are never alerted (0s: no limit)"
    )
    retention: Duration = Field(
        timedelta(days=30), description="seen items and sent alerts are forgotten after this"
    )


class DedupConfig(Section):
    window: Duration = Field(timedelta(hours=48), description="how long a story is remembered")
    threshold: float = Field(
        88.0, ge=0, le=100, description="similarity (0-100) at which two titles are one story"
    )
    max_edits: int = Field(
        3, ge=0, description="edits of a sent alert to list other sources (0: never edit)"
    )
    semantic: bool = Field(
        True, description="also compare stories by meaning, with a local model (false: titles only)"
    )
    semantic_threshold: float = Field(
        0.95, gt=0, le=1, description="cosine (0-1] at which two stories are one by meaning"
    )
    semantic_model: str = Field(
        "", description="empty: the bundled model; else the folder of a model2vec model"
    )


class MessageConfig(Section):
    summary_chars: int = Field(280, ge=40, le=3000, description="longest summary, in characters")
    timezone: Annotated[str, BeforeValidator(_timezone)] = Field(
        "UTC", description="IANA time zone of the publication time shown"
    )


class FeedAuth(Section):
    """HTTP Basic credentials of a feed (RFC 7617), the password out of the file."""

    user: str = Field(description="user name for HTTP Basic auth")
    password_env: str | None = Field(
        None, description="environment variable holding the password (keeps it out of the file)"
    )
    _password: str = PrivateAttr("")

    @model_validator(mode="after")
    def _read_password(self) -> FeedAuth:
        if self.password_env is not None:
            password = os.environ.get(self.password_env)
            if password is None:
                raise ValueError(f"environment variable {self.password_env} is not set")
            self._password = password
        return self

    @classmethod
    def from_url(cls, user: str, password: str) -> FeedAuth:
        """Credentials that were written into a feed's URL (``user:password@``)."""
        auth = cls(user=user)
        auth._password = password
        return auth

    @property
    def basic(self) -> tuple[str, str]:
        """User and password, for the Authorization header."""
        return self.user, self._password


class FeedConfig(Section):
    url: HttpUrl = Field(description="feed address (RSS, Atom or RDF)")
    name: str | None = Field(None, description="shown as the source; default: the host name")
    interval: Interval | None = Field(None, description="overrides polling.interval")
    tags: list[str] = Field(default_factory=list, description="names rules can refer to")
    backfill: int = Field(0, ge=0, description="on first poll, alert the newest N items")
    fetch_article: bool = Field(
        False, description="fetch the article page of items that are only a title or a stub"
    )
    auth: FeedAuth | None = Field(
        None, description="HTTP Basic auth; a user:password@ in the url is moved here"
    )

    @model_validator(mode="before")
    @classmethod
    def _credentials_out_of_the_url(cls, data: Any) -> Any:
        """``https://user:password@host/feed`` becomes the URL without them (the feed's name in
        the state, the logs and the notices) and ``auth``: aiohttp refuses a URL with both."""
        url = data.get("url") if isinstance(data, dict) else None
        if not isinstance(url, str):
            return data
        parts = urlsplit(url.strip())
        if parts.username is None and parts.password is None:
            return data
        if data.get("auth") is not None:
            raise ValueError("credentials both in the url and in auth: keep one")
        bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        auth = FeedAuth.from_url(unquote(parts.username or ""), unquote(parts.password or ""))
        return {**data, "url": bare, "auth": auth}

    @property
    def display_name(self) -> str:
        """The source name shown in alerts."""
        return self.name or (urlsplit(self.url).hostname or self.url)


class RuleConfig(Section):
    name: str = Field(description="shown in the alert as the reason")
    all: list[Term] = Field(default_factory=list, description="every term must match")
    any: list[Term] = Field(default_factory=list, description="at least one term must match")
    none: list[Term] = Field(default_factory=list, description="no term may match")
    feeds: list[str] = Field(default_factory=list, description="limit to these feed names/tags")
    fields: list[Literal["title", "content"]] = Field(
        default_factory=lambda: ["title", "content"],  # type: ignore[arg-type]
        description="where terms are looked for",
    )
    chat: Chat | None = Field(None, description="overrides telegram.chat (CHAT/TOPIC: a topic)")
    silent: bool = Field(False, description="send without a notification sound")
    buttons: bool | None = Field(None, description="admins' mute buttons; null: as chats: says")
    digest: DigestSchedule = Field(
        None, description="hold matches for one digest message per period: 1h, or times of day "
        "in message.timezone, e.g. [08:00, 18:00]",
    )  # fmt: skip
    urgent: bool = Field(
        False, description="sent at once during its chat's quiet hours (silently) and digest"
    )
    max_per_hour: int | None = Field(
        None, ge=1, description="alerts an hour sent as usual; the rest go in one digest at the "
        "end of the hour",
    )  # fmt: skip

    @model_validator(mode="after")
    def _has_terms(self) -> RuleConfig:
        if not self.all and not self.any:
            raise ValueError("a rule needs `all` or `any` terms")
        if self.urgent and self.digest is not None:
            raise ValueError("a rule cannot be both urgent and held for a digest")
        return self


class ChatConfig(Section):
    """Settings of one destination chat, keyed in ``chats:`` by the chat as rules name it.

    Features that act per chat (alert buttons, digests, quiet hours) add their keys here."""

    buttons: bool = Field(False, description="admins' mute buttons under its rules' alerts")
    digest: DigestSchedule = Field(
        None, description="hold every match to this chat for one digest per period: 1h, or "
        "times of day in message.timezone, e.g. [08:00, 18:00] (urgent rules are sent at once)",
    )  # fmt: skip
    quiet: QuietHours = Field(
        None, description='quiet hours in message.timezone, e.g. "22:00-07:00": alerts are held '
        "and sent as one digest when they end (urgent rules: at once, silently)",
    )  # fmt: skip


class Config(Section):
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    state: State = Field("alerts.db", description=STATE_HELP)
    polling: PollingConfig = Field(default_factory=PollingConfig)
    items: ItemsConfig = Field(default_factory=ItemsConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    message: MessageConfig = Field(default_factory=MessageConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    feeds: list[FeedConfig] = Field(default_factory=list)
    entities: dict[str, list[Term]] = Field(
        default_factory=dict, description="a name and its aliases"
    )
    rules: list[RuleConfig] = Field(default_factory=list)
    chats: dict[Chat, ChatConfig] = Field(
        default_factory=dict,
        description="settings per destination (CHAT or CHAT/TOPIC; a topic without its own "
        "entry takes its chat's)",
    )

    def feed(self, url: str) -> FeedConfig | None:
        """The feed with this URL, if configured."""
        return next((f for f in self.feeds if f.url == url), None)

    def chat_of(self, rule: RuleConfig) -> str | None:
        """Where a rule's alerts go."""
        return rule.chat or self.telegram.chat

    def chat_settings(self, chat: str) -> ChatConfig:
        """The settings of a destination: its ``chats:`` entry; for a topic without one, its
        chat's entry (a forum's settings hold for its topics); else the defaults."""
        return self.chats.get(chat) or self.chats.get(bare_chat(chat)) or ChatConfig()


def _regex_problem(term: str) -> str | None:
    """Why a ``/.../`` term is not a valid RE2 regular expression, or None."""
    if not is_regex_term(term):
        return None
    try:
        compile_regex(term.strip()[1:-1])
    except ValueError as e:
        return str(e)
    return None
