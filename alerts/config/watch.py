"""Reload: notices edits of the config file and loads each new content once, good or bad.

A bad edit is returned as its ConfigError, so the caller keeps running on the last good config.
A good edit applies at once, except the keys that only a restart can change (``RESTART_KEYS``:
the state the service holds open, the Bot API it talks to, the address it listens on), which
keep their running values until then (``needs_restart``), and the service says so.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from alerts.config.load import check_runnable, loads
from alerts.config.model import Config
from alerts.errors import ConfigError, ConfigProblem


class ConfigWatcher:
    """Notices edits of the config file: each new content is loaded once, good or bad.

    A content is taken only when two looks in a row see it, so a file caught in the middle of
    being written (editors and ``>`` truncate first) is never mistaken for the operator's edit.
    """

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self._last = _digest(text)
        self._settling: str | None = None

    def check(self) -> Config | ConfigError | None:
        """The new Config, the ConfigError of a bad edit, or None (no change, or settling)."""
        error: OSError | UnicodeDecodeError | None = None
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            text, error = f"unreadable: {e}", e
        digest = _digest(text)
        if digest == self._last or digest != self._settling:
            self._settling = None if digest == self._last else digest
            return None
        self._last, self._settling = digest, None
        if error is not None:
            return ConfigError(str(self.path), [ConfigProblem("", None, f"cannot read: {error}")])
        try:
            config = loads(text, source=str(self.path), base_dir=self.path.resolve().parent)
            check_runnable(config, str(self.path), text)
        except ConfigError as e:
            return e
        return config


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


RESTART_KEYS = ("state", "telegram.api_url", "metrics.listen")


def needs_restart(old: Config, new: Config) -> tuple[Config, list[str]]:
    """``new`` with the running values of the restart-only keys it changed, and those keys."""
    changed = [k for k in RESTART_KEYS if _value(old, k) != _value(new, k)]
    if not changed:
        return new, []
    telegram = new.telegram.model_copy(update={"api_url": old.telegram.api_url})
    metrics = new.metrics.model_copy(update={"listen": old.metrics.listen})
    kept = new.model_copy(update={"state": old.state, "telegram": telegram, "metrics": metrics})
    return kept, changed


def _value(config: Config, key: str) -> object:
    value: object = config
    for part in key.split("."):
        value = getattr(value, part)
    return value
