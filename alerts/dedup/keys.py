"""A story's comparable form (``StoryKey``) and the identities that make two stories one
without judging their titles.

A story is compared by its comparable title (``words``), its normalised link (``links``), and
its guid within its feed. The same normalised link is the same story across feeds; the same
guid is the same story within a feed, and across feeds only when the guid is itself a URL
(guids like "1" or "article-12" repeat across feeds).
"""

from __future__ import annotations

from functools import lru_cache

from alerts.dedup.links import normalize_link
from alerts.dedup.words import comparable_title
from alerts.models import StoryKey


def story_key(
    title: str, link: str, feed_url: str = "", guid: str = "", lead: str = ""
) -> StoryKey:
    """The comparable form of a story (its guid identifies it within ``feed_url``), with its
    raw title and the lead of its summary (plain text) for the guards and the semantic stage."""
    return StoryKey(comparable_title(title), normalize_link(link), feed_url, guid, title, lead)


def identity_guid(key: StoryKey) -> tuple[str, str] | None:
    """The guid's identity: global when it is a URL, else only within its feed."""
    if not key.guid:
        return None
    if key.guid.startswith(("http://", "https://")):
        return ("", _guid_link(key.guid))
    return (key.feed_url, key.guid)


@lru_cache(maxsize=1 << 16)
def _guid_link(guid: str) -> str:
    # A story's guid is looked up once per chat and per trip-mate (``window.find``), and a
    # link costs some 30 microseconds to normalise.
    return normalize_link(guid)
