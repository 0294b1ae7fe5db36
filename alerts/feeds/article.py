"""Article text for feeds that carry only titles or stubs; the only module importing trafilatura.

A feed with ``fetch_article: true`` gets, for each new item whose content is a stub (under
``STUB_CHARS`` characters of text), its article page fetched with the same limits as feeds and
its main text extracted by trafilatura (precision first: navigation, comments and footers are
left out). The page comes from a public address only (``Fetcher.fetch_page``): a link to
loopback or a private network is refused and logged (``article_refused``). The page failing,
being refused, or extraction failing in any way (trafilatura raising, or not importing for a
missing dependency) leaves the item as it was: an alert is never held back for want of a
summary.
"""

from __future__ import annotations

import html
import logging
from dataclasses import replace

from alerts.errors import AddressRefused, FetchError
from alerts.feeds.fetch import Fetcher
from alerts.logs import event
from alerts.models import FeedItem, FetchedFeed
from alerts.text.html import html_to_text

log = logging.getLogger("alerts.feeds.article")

STUB_CHARS = 300
MAX_ARTICLES_PER_POLL = 20


def is_stub(item: FeedItem) -> bool:
    """Whether an item carries too little text to summarise."""
    return bool(item.link) and len(html_to_text(item.content_html)) < STUB_CHARS


def extract_text(page: bytes, url: str) -> str | None:
    """The main text of an article page, one paragraph per line, or None."""
    # Imported here: it costs a quarter of a second at start-up, for the few feeds that use it.
    import trafilatura

    text = trafilatura.extract(
        page.decode("utf-8", "replace"), url=url, favor_precision=True,
        include_comments=False, include_tables=False,
    )  # fmt: skip
    return text.strip() or None if text else None


def as_html(text: str) -> str:
    """Extracted plain text as the HTML that FeedItem.content_html holds."""
    return "".join(f"<p>{html.escape(p)}</p>" for p in text.splitlines() if p.strip())


async def fetch_article(fetcher: Fetcher, item: FeedItem) -> FeedItem:
    """The item with its article's text as content, or unchanged if that fails."""
    try:
        page = await fetcher.fetch_page(item.link)
    except AddressRefused as e:
        event(log, logging.WARNING, "article_refused", feed_url=item.feed_url, link=item.link,
              reason=e.reason)  # fmt: skip
        return item
    except FetchError as e:
        event(log, logging.INFO, "article_failed", feed_url=item.feed_url, link=item.link,
              error=e.reason)  # fmt: skip
        return item
    text = _extracted(item, page) if page is not None else None
    if not text:
        return item
    return replace(item, content_html=as_html(text))


def _extracted(item: FeedItem, page: FetchedFeed) -> str | None:
    """The page's text, or None when extraction fails, whatever the reason."""
    try:
        return extract_text(page.body, page.final_url)
    except Exception as e:  # trafilatura's own faults, or an ImportError: the item keeps its text
        event(log, logging.WARNING, "article_extraction_failed", feed_url=item.feed_url,
              link=item.link, error=f"{type(e).__name__}: {e}")  # fmt: skip
        return None
