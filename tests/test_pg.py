"""PostgreSQL only: what is about the database, not about a store (the Protocol's tests run on
both backends in test_store*.py): its schema against SQLite's, migrations by concurrent
openers, errors without the password, the run lock, and where the state is configured."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest

from alerts.config import loads
from alerts.errors import ConfigError, StoreError
from alerts.store import Store, open_store, pg_schema, schema
from alerts.store.factory import redact
from alerts.store.pg_store import PgStore


def _columns_pg(url: str) -> dict[str, set[str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name != 'schema_version'"
        ).fetchall()
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    return found


def test_both_backends_have_the_same_tables_and_columns(tmp_path: Path, pg_url: str) -> None:
    Store(tmp_path / "s.db").close()
    PgStore(pg_url).close()
    with sqlite3.connect(tmp_path / "s.db") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        sqlite_columns = {t: {r[1] for r in db.execute(f"PRAGMA table_info({t})")} for t in tables}
    assert _columns_pg(pg_url) == sqlite_columns
    assert pg_schema.SCHEMA_VERSION == schema.SCHEMA_VERSION


def test_concurrent_openers_migrate_once(pg_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            PgStore(pg_url).close()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(pg_url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    assert versions == list(range(1, pg_schema.SCHEMA_VERSION + 1))


def test_a_database_from_a_newer_bot_is_refused(pg_url: str) -> None:
    PgStore(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("INSERT INTO schema_version (version) VALUES (99)")
    with pytest.raises(StoreError, match="schema version 99 is newer"):
        PgStore(pg_url)


def test_errors_name_the_database_without_its_password(pg_url: str) -> None:
    secret = "s3cr3t-pw"
    url = pg_url.replace("alerts@", f"alerts:{secret}@").replace("/alerts?", "/no_such_db?")
    with pytest.raises(StoreError) as raised:
        PgStore(url)
    assert secret not in str(raised.value)
    assert raised.value.path == redact(url)
    assert "no_such_db" in str(raised.value)
    assert redact(f"postgresql://u:{secret}@h/db?password={secret}&sslmode=require") == (
        "postgresql://u@h/db?sslmode=require"
    )


def test_workers_share_the_database_and_status_sees_them(pg_url: str) -> None:
    first = PgStore(pg_url, lock=True)
    try:
        second = PgStore(pg_url, lock=True)  # a second worker (issue 18): shared, not refused
        reader = PgStore(pg_url)  # status and the command line read on
        assert reader.in_use()
        first.close()
        assert reader.in_use()  # the second worker still runs
        second.close()
        assert not reader.in_use()
        reader.close()
    finally:
        first.close()


def test_a_password_in_the_state_url_is_refused_by_its_key_and_line() -> None:
    with pytest.raises(ConfigError) as raised:
        loads("items: {}\nstate: postgresql://bot:hunter2@db/alerts\n")
    (problem,) = raised.value.problems
    assert (problem.path, problem.line) == ("state", 2)
    assert "DATABASE_URL" in problem.message
    assert "hunter2" not in str(raised.value)
    assert loads("state: postgresql://bot@db/alerts\n").state == "postgresql://bot@db/alerts"
    with pytest.raises(ConfigError, match="not a database this bot supports"):
        loads("state: mysql://bot@db/alerts\n")


def test_database_url_wins_over_the_configs_state(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = loads("state: state.db\n", base_dir=tmp_path)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    store = open_store(config.state)
    try:
        assert isinstance(store, PgStore)
    finally:
        store.close()
    assert not (tmp_path / "state.db").exists()
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(StoreError, match="DATABASE_URL"):
        open_store(config.state)
