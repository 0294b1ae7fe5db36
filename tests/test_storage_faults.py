"""Storage faults: a locked database, a full disk, a read-only directory. A clear error, no
alert marked sent that was not sent, no pending alert lost, and recovery when the fault clears.

The store itself, SQLite only (the fault is SQLite's write lock): every write method fails as a
StoreError and changes nothing while another connection holds the lock, every read goes on.

Tests and CI run as root, where chmod makes nothing read-only: the full disk is a small tmpfs
mounted by the test, and the read-only case is a tmpfs remounted read-only.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.errors import StoreError
from alerts.store import Store, connection
from tests.fakes.feeds import FeedServer, rss
from tests.helpers import Bot, item
from tests.stores import CALLS, WRITES, fill_store

ROOT = Path(__file__).resolve().parent.parent


def test_a_locked_database_fails_the_poll_and_loses_nothing(
    tmp_path: Path, feeds: FeedServer
) -> None:
    bot = Bot(tmp_path, feeds, '  - {{url: "{base}/f.xml"}}')
    feeds.set("/f.xml", rss([item(1, "Calm")]))
    bot.once()
    feeds.set("/f.xml", rss([item(2, "Earthquake hits"), item(1, "Calm")]))
    other = sqlite3.connect(bot.config.state, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the database
    try:
        assert bot.poll().status == "error"
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert bot.once() == 0  # the lock is gone: the same item is found again, and alerted
    assert bot.alerts() == ["**Earthquake hits**"]


def mounted(mount: Path, options: str) -> None:
    """A tmpfs at ``mount``; a skip where mounting is not allowed (a failure in CI)."""
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a tmpfs: {done.stderr!r}")
        pytest.skip("cannot mount a tmpfs here")


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted(mount, "size=2m")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:  # ENOSPC: the disk is full
        pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_fails_cleanly_and_recovers(tiny_disk: Path, feeds: FeedServer) -> None:
    bot = Bot(tiny_disk, feeds, '  - {{url: "{base}/f.xml"}}')
    feeds.set("/f.xml", rss([item(1, "Calm")]))
    bot.once()
    feeds.set("/f.xml", rss([item(n, f"Earthquake number {n} strikes") for n in range(2, 40)]))
    filler = fill(tiny_disk)
    code = bot.once()
    assert code in (0, 75)  # no crash; whatever could not be written is tried again later
    printed_while_full = bot.alerts()
    filler.unlink()
    bot.once()
    bot.once()
    titles = bot.alerts()
    expected = [f"**Earthquake number {n} strikes**" for n in range(2, 40)]
    assert sorted(set(titles)) == sorted(expected)  # every alert, none lost
    repeats = len(titles) - len(set(titles))
    assert repeats <= len(printed_while_full)  # only a print whose record failed is repeated
    assert bot.store.counts()["pending"] == 0
    bot.store.close()


def test_a_read_only_state_directory_is_a_clear_error(tmp_path: Path, feeds: FeedServer) -> None:
    # A read-only mount refuses root too, so the bot runs as the test's own user: nothing of the
    # checkout has to be readable by another user (a clone in a 0700 folder passes as well).
    home = tmp_path / "ro"
    home.mkdir()
    mounted(home, "size=1m")
    try:
        feeds.set("/f.xml", rss([item(1, "Calm")]))
        config = home / "config.yaml"
        config.write_text(
            f'telegram: {{chat: "@alerts"}}\nfeeds: [{{url: "{feeds.url("/f.xml")}"}}]\n'
            "rules: [{name: q, any: [earthquake]}]\n"
        )
        subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)
        run = subprocess.run(
            [sys.executable, str(ROOT / "bot.py"), "run", "--once", "--config", str(config)],
            capture_output=True, text=True, timeout=60, cwd=home,
            env={k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
        )  # fmt: skip
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)
    assert run.returncode == 1, run.stderr
    assert "state" in run.stderr and "cannot" in run.stderr
    assert "Traceback" not in run.stderr


def dump(path: Path) -> list[str]:
    """Every row and table of a state file, as SQL."""
    db = sqlite3.connect(path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


@pytest.mark.parametrize("method", sorted(CALLS))
def test_a_locked_state_file_fails_each_write_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 0)  # fail at once, not after 5 s
    path = tmp_path / "state.db"
    store = Store(path)
    filled = fill_store(store)
    before = dump(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        if method in WRITES:
            with pytest.raises(StoreError, match="locked"):
                CALLS[method](store, filled)
        else:
            CALLS[method](store, filled)  # WAL: a reader never waits for the writer
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert dump(path) == before
    CALLS[method](store, filled)  # the lock is gone: the same call works
    if method in WRITES:
        assert dump(path) != before  # and writes what it failed to write
    store.close()
