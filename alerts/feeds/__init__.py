"""Getting feeds in: fetch (HTTP, over aiohttp in ``transport``), parse (the only feedparser,
run in child processes by ``parse_pool``), and the article fetch for title-only items."""
