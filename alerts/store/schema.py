"""The SQLite schema: numbered migrations, applied in order on open.

The file's ``PRAGMA user_version`` is the number of migrations it has had; opening a file runs
the ones it lacks, each in its own transaction with its new version, so a crash mid-upgrade
leaves the file at the last complete step. A migration, once released, is never edited: a
change to the schema is one more script at the end.
"""

from __future__ import annotations

from alerts.errors import StoreError

MIGRATIONS: list[str] = [
    """
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        etag TEXT, last_modified TEXT, content_hash TEXT,
        error_streak INTEGER NOT NULL DEFAULT 0, last_error TEXT,
        last_success REAL, next_poll REAL,
        gone INTEGER NOT NULL DEFAULT 0, polled_before INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE items (
        feed_url TEXT NOT NULL, item_id TEXT NOT NULL, seen_at REAL NOT NULL,
        PRIMARY KEY (feed_url, item_id)
    ) WITHOUT ROWID;
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY, chat TEXT NOT NULL, title TEXT NOT NULL, link TEXT NOT NULL,
        alert_key TEXT, created_at REAL NOT NULL
    );
    CREATE INDEX stories_chat_time ON stories (chat, created_at);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, chat TEXT NOT NULL,
        rule TEXT NOT NULL, title TEXT NOT NULL, link TEXT NOT NULL, text TEXT NOT NULL,
        silent INTEGER NOT NULL DEFAULT 0, link_preview INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT, message_id INTEGER, created_at REAL NOT NULL, sent_at REAL
    );
    CREATE INDEX outbox_status_chat ON outbox (status, chat, id);
    """,
    # 2: clusters. Stories remember their feed and guid (exact identity); an alert remembers
    # its source and how often its message was edited; other sources of a story are kept.
    """
    ALTER TABLE stories ADD COLUMN feed_url TEXT NOT NULL DEFAULT '';
    ALTER TABLE stories ADD COLUMN guid TEXT NOT NULL DEFAULT '';
    ALTER TABLE stories ADD COLUMN source TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN source TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN edit_pending INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outbox_edit_pending ON outbox (chat, id) WHERE edit_pending = 1;
    CREATE TABLE cluster_sources (
        alert_key TEXT NOT NULL, source TEXT NOT NULL, feed_url TEXT NOT NULL,
        item_id TEXT NOT NULL, added_at REAL NOT NULL,
        PRIMARY KEY (alert_key, source)
    ) WITHOUT ROWID;
    """,
    # 3: delivery. Every message Telegram accepted (sends and edits) is logged per chat, so the
    # pace of 20 a minute per channel holds across restarts; an alert records the moment its
    # send began, so a crash between Telegram's answer and our write can be told apart.
    """
    CREATE TABLE send_log (chat TEXT NOT NULL, at REAL NOT NULL);
    CREATE INDEX send_log_chat_at ON send_log (chat, at);
    ALTER TABLE outbox ADD COLUMN sending_at REAL;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 4: feed health. When a feed's failures began, and whether the admins were told.
    """
    ALTER TABLE feeds ADD COLUMN failing_since REAL;
    ALTER TABLE feeds ADD COLUMN reported_broken INTEGER NOT NULL DEFAULT 0;
    """,
    # 5: sends in doubt. How many of an alert's sends got no readable answer (Telegram may have
    # posted them): the courier retries such an alert once, never once per retry.
    """
    ALTER TABLE outbox ADD COLUMN doubts INTEGER NOT NULL DEFAULT 0;
    """,
    # 6: the semantic stage. A story keeps its raw title and lead (what the guards and the
    # model read) and, once computed, their vectors (int8 codes), so a restart embeds nothing
    # the window already had.
    """
    ALTER TABLE stories ADD COLUMN raw_title TEXT NOT NULL DEFAULT '';
    ALTER TABLE stories ADD COLUMN lead TEXT NOT NULL DEFAULT '';
    ALTER TABLE stories ADD COLUMN title_vec BLOB;
    ALTER TABLE stories ADD COLUMN lead_vec BLOB;
    CREATE INDEX stories_alert_key ON stories (alert_key);
    """,
    # 7: forum topics. An alert routed to a topic keeps its message_thread_id apart from its
    # chat: the chat column stays what Telegram paces, orders and migrates by (a topic shares
    # its group's 20 a minute), and the topic goes with every send of the alert.
    """
    ALTER TABLE outbox ADD COLUMN topic INTEGER;
    """,
    # 8: mutes. A rule, source or story silenced until an expiry (from a button or /mute),
    # with how many matches it held back; and what each button under an alert does, under
    # the short id its callback_data carries (64 bytes at most: the state stays here).
    """
    CREATE TABLE mutes (
        kind TEXT NOT NULL, target TEXT NOT NULL, until REAL NOT NULL, by INTEGER,
        origin TEXT NOT NULL DEFAULT '', held INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        PRIMARY KEY (kind, target)
    ) WITHOUT ROWID;
    CREATE TABLE buttons (
        id TEXT PRIMARY KEY, action TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
        alert_key TEXT NOT NULL, created_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX buttons_alert_key ON buttons (alert_key);
    """,
    # 9: digests. A match held for a digest (a schedule, quiet hours, a rule over its cap) is
    # an outbox row with status 'held', the digest it waits for (held_for) and its item's time;
    # when its digest is made it becomes 'digested', with the key of the message listing it
    # (digest_key). cap_rule names the rule whose max_per_hour an alert counts against.
    """
    ALTER TABLE outbox ADD COLUMN held_for TEXT;
    ALTER TABLE outbox ADD COLUMN cap_rule TEXT;
    ALTER TABLE outbox ADD COLUMN published REAL;
    ALTER TABLE outbox ADD COLUMN digest_key TEXT;
    CREATE INDEX outbox_held ON outbox (chat, held_for, id) WHERE status = 'held';
    CREATE INDEX outbox_cap ON outbox (chat, cap_rule, created_at) WHERE cap_rule IS NOT NULL;
    """,
    # 10: workers on one database (alerts.workers): a feed's next due poll, its poll interval
    # as the config gives it, and the lease of the worker polling it. SQLite (one process)
    # keeps the columns for ``state migrate`` and never reads them.
    """
    ALTER TABLE feeds ADD COLUMN next_due REAL;
    ALTER TABLE feeds ADD COLUMN poll_every REAL;
    ALTER TABLE feeds ADD COLUMN lease_until REAL;
    ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
    """,
    # 11: backtest. Every item that could alert is kept, for items.retention, with what the
    # rules and dedup read of it: title, link, guid (NULL when it is the link), published, the
    # skeleton of its HTML (zlib-compressed when that is smaller; store.history), when it
    # was seen, and its feed by number (a feed's URL is stored once, in item_feeds). Rows are
    # in the order the trips judged them (id); seen_at is indexed for the period and retention.
    """
    CREATE TABLE item_feeds (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE);
    CREATE TABLE item_log (
        id INTEGER PRIMARY KEY, feed INTEGER NOT NULL, seen_at REAL NOT NULL, published REAL,
        guid TEXT, title TEXT NOT NULL, link TEXT NOT NULL, body BLOB NOT NULL
    );
    CREATE INDEX item_log_seen ON item_log (seen_at);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def steps(version: int, path: str) -> list[tuple[int, list[str]]]:
    """The migrations a file at ``version`` still lacks: (its version after, its statements)."""
    if version > len(MIGRATIONS):
        raise StoreError(path, f"schema version {version} is newer than this bot")
    return [
        (number, [statement for statement in script.split(";") if statement.strip()])
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1)
    ]
