"""A real PostgreSQL server for the tests: started once per session on a free port of
127.0.0.1 in a temporary directory, stopped at the end; or, with ``ALERTS_TEST_DATABASE_URL``
set, a server someone else runs.

PostgreSQL refuses to run as root, and CI runs as root: then initdb and the server run as an
unprivileged user (``postgres``, which Debian's package creates, else ``nobody``), in a
directory it owns. The binaries are looked for on PATH, then in Debian's
/usr/lib/postgresql/*/bin (``scripts/ensure-test-tools`` installs them). When none is found or
the server does not start, ``start`` raises ``Unavailable`` with the reason, and the tests
that need PostgreSQL are skipped with it.

Each test gets its own schema (``fresh_url``): as empty as a new database, made in a few
milliseconds, and dropped at the end.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

ENV_URL = "ALERTS_TEST_DATABASE_URL"
START_TIMEOUT_S = 60


class Unavailable(Exception):
    """PostgreSQL cannot be found or started here; the message says why."""


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                      else 0)  # fmt: skip
    if not versions:
        raise Unavailable("no PostgreSQL binaries (pg_ctl) on PATH or in /usr/lib/postgresql")
    return versions[-1].parent


def _user() -> pwd.struct_passwd | None:
    """Whom the server runs as: None for the current user, unless that is root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise Unavailable("running as root, and no postgres or nobody user to run PostgreSQL as")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running server: the URL of its ``alerts`` database (no password: trust auth)."""

    url: str
    version: str

    def fresh_url(self) -> str:
        """The URL of a new, empty schema of the database (``drop`` removes it)."""
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[arg-type]
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}options={quote(f'-csearch_path={schema}')}"

    def drop(self, url: str) -> None:
        """Remove a schema made by ``fresh_url``."""
        schema = url.rpartition("search_path%3D")[2]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[arg-type]


def _run(args: list[str], user: pwd.struct_passwd | None, log: Path | None = None) -> None:
    env = {**os.environ, "LC_ALL": "C", "HOME": "/tmp"}
    kwargs: dict[str, object] = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} \
        if user else {}  # fmt: skip
    out = log.open("ab") if log else subprocess.PIPE
    try:
        done = subprocess.run(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                              timeout=START_TIMEOUT_S, check=False, **kwargs)  # type: ignore[call-overload]  # fmt: skip
    finally:
        if log:
            out.close()  # type: ignore[union-attr]
    if done.returncode != 0:
        said = log.read_text(errors="replace") if log else done.stdout.decode(errors="replace")
        raise Unavailable(f"{Path(args[0]).name} failed: {said.strip()[-500:]}")


@contextlib.contextmanager
def start() -> Iterator[Server]:
    """A server for the session, stopped (and its files removed) at the end."""
    if os.environ.get(ENV_URL):
        yield Server(os.environ[ENV_URL], _version(os.environ[ENV_URL]))
        return
    bindir, user = _bindir(), _user()
    home = Path(tempfile.mkdtemp(prefix="alerts-pg-"))
    data, log, port = home / "data", home / "server.log", _free_port()
    if user:
        os.chown(home, user.pw_uid, user.pw_gid)
    try:
        _run([str(bindir / "initdb"), "-D", str(data), "-U", "alerts", "--auth=trust",
              "--no-sync", "-E", "UTF8", "--locale=C"], user)  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {home} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
              "-w", "-t", str(START_TIMEOUT_S), "start"], user)  # fmt: skip
        try:
            base = f"postgresql://alerts@127.0.0.1:{port}"
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute("CREATE DATABASE alerts")
            yield Server(f"{base}/alerts", _version(f"{base}/alerts"))
        finally:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                 user)  # fmt: skip
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _version(url: str) -> str:
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            return str(conn.execute("SHOW server_version").fetchall()[0][0])
    except psycopg.Error as e:
        raise Unavailable(f"cannot connect to {url}: {e}") from e
