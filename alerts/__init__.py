"""News alert bot: watches feeds and tells a Telegram chat once per matching story.

A poll of one feed is one trip down this line (``pipeline.poll_feed``)::

    scheduler ──> fetch ──> parse ──> rules ──> dedup ──> render ──> outbox ──> notify
      (when)      (HTTP)  (feedparser) (what     (rapidfuzz) (message) (SQLite)  (Telegram)
                                        matters)
                     \\_____________________ store (SQLite) _____________________/

Stages pass the frozen dataclasses of ``alerts.models`` to each other; each third-party
library is imported by exactly one module (httpx and its aiohttp transport: fetch, feedparser:
parse, which runs in the child processes of parse_worker, rapidfuzz: dedup, python-telegram-bot:
notify, PyYAML and pydantic: config, uvloop: cli).
"""
