"""What each feed of an OPML file becomes in the config: a pure decision, one per feed.

The policy:

- A feed whose URL the config already has is skipped, with a line saying so. URLs are compared
  as the config keys its feeds: without the ``user:password@`` that the config moves into
  ``auth``, and with the scheme and host in lower case and a default port dropped (RFC 3986
  6.2.2-6.2.3: they do not change the resource). Path and query are compared as written, since a
  server may tell ``/feed`` from ``/feed/``. A URL met twice in the file is added once.
- A URL the config would refuse (not http or https, no host) is skipped with the reason, so one
  stray outline does not block a list of a thousand.
- Tags are the feed's folders and categories (each component of a ``News/Tech`` path, outermost
  first), then every ``--tag``, each once: rules name feeds by tag (``feeds: [tech]``).
- The name is the OPML title, or none when the title is empty, the URL itself or the host
  name (Miniflux writes the URL for a feed without a title; with no name the config shows the
  host name anyway, so an exported feed without a name comes back without one). The config
  refuses two feeds of one name, so a name already taken becomes ``Title (host)``, then
  ``Title (host) 2`` and so on; each renaming is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from alerts.config import Config, FeedConfig
from alerts.opml.read import OpmlFeed

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class NewFeed:
    """A feed to append to the config's ``feeds:``, as it will be written."""

    url: str
    name: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """What became of one OPML feed: ``feed`` to add (or None: skipped), and ``note``, the line
    to print about it ("" for a feed added as it was)."""

    url: str
    feed: NewFeed | None
    note: str


def url_key(url: str) -> str | None:
    """A URL as the config compares feeds, or None for one the config would refuse."""
    try:
        bare = FeedConfig(url=url).url  # the config's own check, credentials moved out
    except ValueError:  # pydantic's ValidationError is a ValueError
        return None
    parts = urlsplit(bare)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return None
    netloc = host if port in (None, DEFAULT_PORTS.get(parts.scheme.lower())) else f"{host}:{port}"
    if ":" in host:  # an IPv6 literal keeps its brackets
        netloc = netloc.replace(host, f"[{host}]", 1)
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=netloc))


def plan_import(
    found: Iterable[OpmlFeed], config: Config, extra_tags: Sequence[str] = ()
) -> Iterator[Decision]:
    """One decision per OPML feed, in the file's order, against ``config`` as it stands."""
    known = {url_key(f.url): i for i, f in enumerate(config.feeds)}
    names = {f.name for f in config.feeds if f.name is not None}
    added: set[str] = set()
    for entry in found:
        key = url_key(entry.url)
        if key is None:
            yield Decision(entry.url, None, "skipped: not an http(s) URL the config accepts")
        elif key in known:
            yield Decision(entry.url, None, f"skipped: already in the config (feeds[{known[key]}])")
        elif key in added:
            yield Decision(entry.url, None, "skipped: listed twice in the file")
        else:
            added.add(key)
            yield _added(entry, names, extra_tags)


def _added(entry: OpmlFeed, names: set[str], extra_tags: Sequence[str]) -> Decision:
    """The feed to add; records its name in ``names``."""
    tags = tuple(dict.fromkeys((*entry.tags, *extra_tags)))
    wanted = _name(entry)
    name = _unique(wanted, _host(entry.url), names) if wanted is not None else None
    if name is not None:
        names.add(name)
    note = f"renamed: {wanted!r} is taken, added as {name!r}" if name != wanted else ""
    return Decision(entry.url, NewFeed(entry.url, name, tags), note)


def _name(entry: OpmlFeed) -> str | None:
    title = entry.title.strip()
    if not title or title == entry.url or title.lower() == _host(entry.url):
        return None
    return title


def _unique(name: str, host: str, names: set[str]) -> str:
    candidate, n = name, 1
    while candidate in names:
        candidate = f"{name} ({host})" if n == 1 else f"{name} ({host}) {n}"
        n += 1
    return candidate


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
