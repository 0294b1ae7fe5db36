"""What the message shows of an item's title and link; pure, standard library only.

Policy:

- **A title suffix that repeats the source is dropped** (" | GMA News Feed", " - BBC News", " |
  Fox News"): the source is named in the message already. The suffix is what follows the last
  " | ", " - ", " – ", " — " or " :: "; it repeats the source when, in lower case and without
  accents, it has a distinctive word (not "news", "feed", "online", "live", "tv", "the", "channel",
  "official", "latest", a domain ending) and either its words run together are part of the
  source's (its name or host run together: "Fox News" in "foxnews.com") or its distinctive
  words are all among the source's ("BBC News" for "bbc.co.uk"; "GMA News Feed" for "GMA
  News"). At least two words of the title stay.
- **The link shown is the link without tracking parameters**: a query parameter is left out of
  the link text exactly when dedup's normalisation (``alerts.dedup.links.normalize_link``, the
  one definition of "the same page") leaves it out, so ``?ns_mchannel=rss&ito=1490`` or
  ``utm_*`` never show; the rest of the link is shown as the feed gave it. The href stays the
  feed's link.
"""

from __future__ import annotations

import re

from alerts.dedup.links import normalize_link
from alerts.text.normalize import normalize

_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|::)\s+")
_WORD = re.compile(r"[^\W_]+")
_GENERIC = frozenset(
    "news feed feeds rss online live tv the channel official latest headlines video videos"
    " com co uk org net www".split()
)
MAX_QUERY_PARAMETERS = 100  # each one costs a normalisation of the link


def message_title(title: str, source: str) -> str:
    """``title`` without a suffix that only repeats ``source``."""
    separators = list(_SEPARATOR.finditer(title))
    if not separators:
        return title
    last = separators[-1]
    if len(_WORD.findall(title[: last.start()])) < 2:
        return title
    return title[: last.start()] if _repeats(title[last.end() :], source) else title


def _repeats(suffix: str, source: str) -> bool:
    words = _WORD.findall(normalize(suffix))
    known = _WORD.findall(normalize(source))
    distinctive = set(words) - _GENERIC
    if not distinctive or not known:
        return False  # " - News" names no source
    return "".join(words) in "".join(known) or distinctive <= set(known)


def shown_link(link: str) -> str:
    """``link`` without the query parameters that dedup's normalisation drops as tracking."""
    base, mark, query = link.partition("?")
    if not mark or not query:
        return link
    query, hash_mark, fragment = query.partition("#")
    params = query.split("&")
    if len(params) > MAX_QUERY_PARAMETERS:
        return link
    same = normalize_link(link)
    kept = [
        p
        for i, p in enumerate(params)
        if normalize_link(_with_query(base, [*params[:i], *params[i + 1 :]])) != same
    ]
    shown = _with_query(base, kept)
    return shown + hash_mark + fragment


def _with_query(base: str, params: list[str]) -> str:
    return f"{base}?{'&'.join(params)}" if params else base
