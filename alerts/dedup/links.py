"""Link normalisation: one link for the copies of one page.

Two links are the same story when they differ only in the scheme, a ``www.`` prefix, a default
port, a trailing slash, the fragment, the order of the query parameters, or tracking
parameters (``utm_*``, ``fbclid``, ``gclid`` and the like) that feeds and share buttons add.
The path keeps its case: servers may tell ``/News`` from ``/news``. Pure, standard library only.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|ocid|cmpid|ref"
    r"|ns_\w+|at_\w+|ito|xtor|smid|cmp|icid|igshid|mkt_tok|yclid|_hs\w+)$"  # BBC, NYT, Guardian...
)


def normalize_link(link: str) -> str:
    """A link without the parts that differ between copies of one page."""
    if not link:
        return ""
    parts = urlsplit(link.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(k.lower())
    ]
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("", host, path, urlencode(sorted(query)), ""))
