"""Which addresses an article fetch may connect to; pure (the standard library's ``ipaddress``).

The policy: a feed's items choose their own links, so whoever writes a feed could make the bot
fetch a page on loopback or on the operator's network and publish its text (server-side request
forgery, OWASP's SSRF prevention cheat sheet). So article pages, and every redirect on the way
to one, come from public addresses only. Refused, for IPv4 and IPv6: loopback, unspecified,
link-local, multicast, private (RFC 1918, RFC 4193), reserved, and anything else that is not
global unicast (shared address space, RFC 6598; documentation ranges). An IPv6 address that
carries an IPv4 one is judged as that IPv4 address: mapped (``::ffff:127.0.0.1``, RFC 4291
§2.5.5.2) and NAT64 (``64:ff9b::/96``, RFC 6052) as that address only, 6to4 (RFC 3056) and
Teredo (RFC 4380) as both. A host name is judged by
every address it resolves to, and one refused address refuses the host. Networks the operator
lists in ``polling.article_private_networks`` may be reached anyway (a self-hosted site). Feeds
themselves are the operator's choice and are fetched wherever they are.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = IPv4Address | IPv6Address

# Checked in this order, so that 127.0.0.1 is called loopback rather than private.
_KINDS = (
    ("loopback", "is_loopback"),
    ("unspecified", "is_unspecified"),
    ("link-local", "is_link_local"),
    ("multicast", "is_multicast"),
    ("private", "is_private"),
    ("reserved", "is_reserved"),
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 §2.1: the last 32 bits are IPv4


def networks(values: Sequence[str]) -> tuple[Network, ...]:
    """The allowed networks of ``polling.article_private_networks`` (``10.0.0.0/8``, an address)."""
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def refusal(address: str, allowed: Sequence[Network] = ()) -> str | None:
    """Why an article fetch may not connect to ``address`` (an IP literal), or None if it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a scope (fe80::1%eth0) is no part
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # on the wire it is the IPv4 address
    elif ip in _NAT64:  # the IPv4 host behind DNS64 (an IPv6-only network reaching IPv4 sites)
        ip = IPv4Address(int(ip) & 0xFFFFFFFF)
    for candidate in (ip, *_embedded(ip)):
        if any(candidate in net for net in allowed):
            continue
        kind = _kind(candidate)
        if kind is not None:
            return f"{address} is a {kind} address"
    return None


def is_literal(host: str) -> bool:
    """Whether a URL's host is an IP address rather than a name."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _kind(ip: Address) -> str | None:
    for name, attribute in _KINDS:
        if getattr(ip, attribute):
            return name
    return None if ip.is_global else "non-global"


def _embedded(ip: Address) -> tuple[IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries besides its own meaning (6to4, Teredo)."""
    if isinstance(ip, IPv4Address):
        return ()
    return tuple(a for a in (ip.sixtofour, *(ip.teredo or ())) if a is not None)
