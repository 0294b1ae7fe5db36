"""The typed config model: every section, key, default and per-key check, declared once.

Every key has a default except the ones a user must choose (feed URLs, rule terms). Unknown keys
are errors (``extra="forbid"``), so a typo never silently disables a setting. Checks that span
keys (duplicate URLs, rules naming unknown feeds) live in ``references``, on the raw data.

The top-level ``Config`` is here; its parts have their own modules (``values``: the value types
and their checks; ``sections``: telegram, polling, items, dedup, message; ``feed``: a feed and its
credentials; ``rule``: a rule and a chat's settings), all importable from here as before.
"""

from __future__ import annotations

from pydantic import Field

from alerts.config.feed import FeedAuth as FeedAuth
from alerts.config.feed import FeedConfig as FeedConfig
from alerts.config.listen import MetricsConfig
from alerts.config.rule import ChatConfig as ChatConfig
from alerts.config.rule import RuleConfig as RuleConfig
from alerts.config.section import Section as Section  # its home; imported from here too
from alerts.config.sections import DedupConfig as DedupConfig
from alerts.config.sections import ItemsConfig as ItemsConfig
from alerts.config.sections import MessageConfig as MessageConfig
from alerts.config.sections import PollingConfig as PollingConfig
from alerts.config.sections import TelegramConfig as TelegramConfig
from alerts.config.state import STATE_HELP, State
from alerts.config.values import MIN_INTERVAL as MIN_INTERVAL
from alerts.config.values import Chat as Chat
from alerts.config.values import DigestSchedule as DigestSchedule
from alerts.config.values import Duration as Duration
from alerts.config.values import HttpUrl as HttpUrl
from alerts.config.values import Interval as Interval
from alerts.config.values import Network as Network
from alerts.config.values import QuietHours as QuietHours
from alerts.config.values import Term as Term
from alerts.target import bare_chat


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
