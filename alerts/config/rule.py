"""The config of one watch rule (``rules:``) and of one destination chat (``chats:``): what
matches, where it goes, and how it is held (buttons, digests, quiet hours, caps)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from alerts.config.section import Section
from alerts.config.values import Chat, DigestSchedule, QuietHours, Term


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
