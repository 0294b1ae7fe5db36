"""The config file: declared once, typed, validated at start-up with key paths and line numbers.

PyYAML, pydantic and ruamel.yaml are imported only inside this package. Its modules, in the
order a config goes through them:

- ``durations``: ``90s``, ``5m``, ``48h`` parsed and spelled back;
- ``model``: the typed pydantic model, every key with its default and its own check (its parts:
  ``values``, the value types; ``sections``; ``feed``; ``rule``, a rule and a chat's settings);
- ``references``: checks across keys (unique URLs and names, rules naming known feeds);
- ``load``: YAML read with the line of every key, problems located, the bot token;
- ``watch``: the ConfigWatcher that reloads an edited file;
- ``schema``: the key listing of ``check --schema``;
- ``specs``: the rules and entities as the rules engine's specs (``alerts.rules``);
- ``edit``: feeds appended to the file's own text, comments and layout kept (``feeds import``).

Callers import from here (``from alerts.config import Config, loads``).
"""

from __future__ import annotations

from alerts.config.durations import format_duration, parse_duration
from alerts.config.load import (
    check_runnable,
    config_warnings,
    load,
    loads,
    read_token,
    runnable_problems,
)
from alerts.config.model import (
    Chat,
    Config,
    DedupConfig,
    Duration,
    FeedConfig,
    HttpUrl,
    ItemsConfig,
    MessageConfig,
    PollingConfig,
    RuleConfig,
    Section,
    TelegramConfig,
    Term,
)
from alerts.config.schema import schema_lines
from alerts.config.specs import rule_specs
from alerts.config.watch import ConfigWatcher, needs_restart
from alerts.errors import ConfigError

__all__ = [
    "Chat",
    "Config",
    "ConfigError",
    "ConfigWatcher",
    "DedupConfig",
    "Duration",
    "FeedConfig",
    "HttpUrl",
    "ItemsConfig",
    "MessageConfig",
    "PollingConfig",
    "RuleConfig",
    "Section",
    "TelegramConfig",
    "Term",
    "check_runnable",
    "config_warnings",
    "format_duration",
    "load",
    "loads",
    "needs_restart",
    "parse_duration",
    "read_token",
    "rule_specs",
    "runnable_problems",
    "schema_lines",
]
