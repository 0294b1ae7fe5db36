"""Telegram, the only package that imports python-telegram-bot.

- ``bot``: ``TelegramDestination``, alerts sent and edited through the Bot API, every library
  error turned into the courier's ``NotifyError`` (or ``InDoubtError``);
- ``listener``: ``CommandListener``, the admins' commands over long polling.
"""

from __future__ import annotations

from alerts.delivery.telegram.bot import TelegramDestination, Timeouts
from alerts.delivery.telegram.listener import CommandListener

__all__ = ["CommandListener", "TelegramDestination", "Timeouts"]
