"""The ``metrics:`` section: where the service answers Prometheus scrapes and ``/healthz``.

Off by default (``listen`` null): nothing listens. ``listen`` is ``HOST:PORT``, ``[IPv6]:PORT``
or a bare ``PORT``, which listens on 127.0.0.1 only: metrics name feeds and chats, so they are
not offered to the network unless an address says so (a container that publishes the port
listens on 0.0.0.0). The host is an IP address or ``localhost``, never a name to resolve at
start-up; port 0 takes any free port (the port taken is logged).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import BeforeValidator, Field

from alerts.config.section import Section

LOOPBACK = "127.0.0.1"


def listen_address(value: object) -> tuple[str, int]:
    """``HOST:PORT``, ``[IPv6]:PORT`` or ``PORT`` as (host, port); ValueError says why not."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]") if sep else LOOPBACK
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"not HOST:PORT with a port 0-65535: {value!r}")
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError as e:
            raise ValueError(f"the host must be an IP address or localhost: {host!r}") from e
    return host, int(port)


def _listen(value: object) -> str:
    host, port = listen_address(value)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


Listen = Annotated[str, BeforeValidator(_listen)]


class MetricsConfig(Section):
    listen: Listen | None = Field(
        None,
        description="address of /metrics and /healthz, e.g. 127.0.0.1:9108 (a bare port: "
        "127.0.0.1); null: off",
    )

    @property
    def address(self) -> tuple[str, int] | None:
        """Where to listen, or None (off)."""
        return None if self.listen is None else listen_address(self.listen)
