"""Getting feeds in: fetch (the only httpx), parse (the only feedparser, run in child processes
by ``parse_pool``), and the article fetch for title-only items."""
