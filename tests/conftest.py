"""Shared fixtures: a feed server and a fake Bot API on 127.0.0.1, and a store on each backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Specs: PTB 22 warns on RetryAfter durations unless this is set (shared/telegram-notes.md).
os.environ.setdefault("PTB_TIMEDELTA", "true")

from alerts.store import StoreType
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.feeds import FeedServer
from tests.stores import BACKENDS, Backend

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


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """An empty database on each store backend (tests/stores.py)."""
    with BACKENDS[request.param](tmp_path) as made:
        yield made


@pytest.fixture
def store(backend: Backend) -> Iterator[StoreType]:
    """A store on each backend, closed after the test."""
    opened = backend.open()
    yield opened
    opened.close()
