"""Shared fixtures: a feed server and a fake Bot API on 127.0.0.1 (helpers live in helpers.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Specs: PTB 22 warns on RetryAfter durations unless this is set (shared/telegram-notes.md).
os.environ.setdefault("PTB_TIMEDELTA", "true")

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    """A running feed server."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def telegram(request: pytest.FixtureRequest) -> Iterator[FakeBotAPI]:
    """A running fake Bot API; it accepts the test module's ``BOT_TOKEN``, if it sets one."""
    token = getattr(request.module, "BOT_TOKEN", None)
    api = FakeBotAPI(token=token) if token else FakeBotAPI()
    with api:
        yield api
