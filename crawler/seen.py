"""The seen-state of incremental crawls, read from the crawl database.

The writer records every URL an article was seen at in ``article_urls`` (with
``last_seen_at``), in the same transaction as the article. The spider asks here
whether a link is an article it already has: nothing is held in memory, so the
state costs the same with 1,000 known URLs as with 1,000,000, and a killed crawl
knows exactly what it had written.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path


class SeenState:
    def __init__(self, path: str | Path | None, max_age: timedelta):
        self.path = Path(path) if path else None
        self.max_age = max_age
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is None and self.path is not None and self.path.is_file():
            # A plain connection, used only to read: a read-only one cannot open a WAL
            # database whose -shm file it may not create.
            conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
            try:
                conn.execute("SELECT 1 FROM article_urls LIMIT 1")
            except sqlite3.DatabaseError:  # not a crawl database, or one from before article_urls
                conn.close()
                return None
            self._conn = conn
        return self._conn

    def lookup(self, url: str) -> tuple[bool, dict[str, str]]:
        """What is known of ``url`` (canonical form), in one query: whether it is an article
        seen less than ``max_age`` ago (a fresh one is not requested again), and the
        conditional-request headers of its stored version (If-None-Match, If-Modified-Since;
        for the URLs the article was stored from, not those of its duplicates)."""
        conn = self._connection()
        if conn is None:
            return False, {}
        row = conn.execute(
            "SELECT u.last_seen_at, u.rule IN ('self', 'canonical_url'), a.etag, a.last_modified"
            " FROM article_urls u LEFT JOIN articles a ON a.canonical_url = u.article WHERE u.url = ?",
            (url,)).fetchone()
        if row is None:
            return False, {}
        last_seen_at, own, etag, last_modified = row
        headers = {}
        if own and etag:
            headers["If-None-Match"] = etag
        if own and last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._fresh(last_seen_at), headers

    def _fresh(self, last_seen_at) -> bool:
        try:
            seen = datetime.fromisoformat(last_seen_at)
        except (TypeError, ValueError):
            return False  # not a time we wrote: fetch again
        if seen.tzinfo is None:
            seen = seen.replace(tzinfo=timezone.utc)
        return datetime.now(timezone.utc) - seen < self.max_age

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
