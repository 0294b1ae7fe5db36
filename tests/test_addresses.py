"""alerts/feeds/addresses.py: which addresses an article fetch may reach (issue 13, finding 5)."""

from __future__ import annotations

import pytest

from alerts.feeds.addresses import is_literal, networks, refusal


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("100.64.0.1", "non-global"),  # shared address space (RFC 6598)
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"),  # Teredo (2001::/32)
        ("::127.0.0.1", "reserved"),  # IPv4-compatible, deprecated
    ],
)
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    assert refusal(address) == f"{address} is a {kind} address"


def test_the_reserved_class_e_is_refused() -> None:
    assert refusal("240.0.0.1") in {f"240.0.0.1 is a {k} address" for k in ("private", "reserved")}


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111",
                                     "::ffff:93.184.215.14", "64:ff9b::5db8:d70e"])  # fmt: skip
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(address) is None


def test_listed_networks_are_allowed_and_only_they() -> None:
    allowed = networks(["192.168.1.0/24", "127.0.0.1", "fd00::/8"])
    assert refusal("192.168.1.20", allowed) is None
    assert refusal("::ffff:192.168.1.20", allowed) is None  # the mapped form is the same host
    assert refusal("127.0.0.1", allowed) is None
    assert refusal("fd00::5", allowed) is None
    assert refusal("192.168.2.1", allowed) == "192.168.2.1 is a private address"
    assert refusal("127.0.0.2", allowed) == "127.0.0.2 is a loopback address"


@pytest.mark.parametrize(
    ("host", "literal"),
    [("127.0.0.1", True), ("::1", True), ("fe80::1%eth0", True), ("localhost", False),
     ("news.example", False)],
)  # fmt: skip
def test_is_literal(host: str, literal: bool) -> None:
    assert is_literal(host) is literal
