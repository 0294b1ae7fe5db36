"""Shared fixtures: a feed server and a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Specs: PTB 22 warns on RetryAfter durations unless this is set (shared/telegram-notes.md).
os.environ.setdefault("PTB_TIMEDELTA", "true")

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def shared_path(relative: str) -> Path:
    """A file under ../shared; skips the test where it is absent, except in CI (fails)."""
    path = SHARED / relative
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing in CI")
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    """A running feed server."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def telegram() -> Iterator[FakeBotAPI]:
    """A running fake Bot API server."""
    with FakeBotAPI() as api:
        yield api
