"""Shared fixtures: a feed server and a fake Bot API on 127.0.0.1, and a store on each backend
(helpers live in helpers.py)."""

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
from tests.imports import HOOK
from tests.stores import BACKENDS, Backend


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


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory where every process the test starts writes its modules at exit."""
    hook, out = tmp_path / "hook", tmp_path / "modules"
    hook.mkdir()
    out.mkdir()
    (hook / "sitecustomize.py").write_text(HOOK)
    paths = [str(hook), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    monkeypatch.setenv("ALERTS_IMPORTS_DIR", str(out))
    return out
