"""Shared fixtures: a feed server and a fake Bot API on 127.0.0.1, and a store on each backend
(helpers live in helpers.py)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Specs: PTB 22 warns on RetryAfter durations unless this is set (shared/telegram-notes.md).
os.environ.setdefault("PTB_TIMEDELTA", "true")
# DATABASE_URL wins over every config's state: one set for something else on this machine
# would send every test's state there. The PostgreSQL tests set it where they mean it.
os.environ.pop("DATABASE_URL", None)

from alerts.store import StoreType
from tests import pgserver
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


PG_UNAVAILABLE: list[str] = []  # why the session has no PostgreSQL server, once asked


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.Server]:
    """The session's PostgreSQL server, started when a test first needs it; without one, the
    tests that need it are skipped with the reason (and the summary says so)."""
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(pgserver.start())
        except pgserver.Unavailable as e:
            PG_UNAVAILABLE.append(str(e))
            pytest.skip(f"PostgreSQL unavailable: {e}")
        yield server


@pytest.fixture
def pg_url(pg_server: pgserver.Server) -> Iterator[str]:
    """The URL of a new, empty schema on the test server, dropped after the test."""
    url = pg_server.fresh_url()
    yield url
    pg_server.drop(url)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """An empty database on each store backend (tests/stores.py)."""
    with BACKENDS[request.param](tmp_path, lambda: request.getfixturevalue("pg_server")) as made:
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say once, at the end, that the PostgreSQL tests did not run, and why."""
    if PG_UNAVAILABLE:
        skipped = [r for r in terminalreporter.stats.get("skipped", [])
                   if "PostgreSQL unavailable" in str(r.longrepr)]  # fmt: skip
        terminalreporter.write_sep("=", "PostgreSQL", yellow=True)
        terminalreporter.write_line(
            f"{len(skipped)} test(s) SKIPPED, no PostgreSQL server: {PG_UNAVAILABLE[0]}"
            " (scripts/ensure-test-tools installs it)"
        )
