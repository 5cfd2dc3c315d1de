"""SQLite writer: articles into ``SQLITE_PATH``, batched, deduplicated, flushed on close.

Each batch is one transaction (``crawler.storage.ArticleWriter``): every item is
new, updated, unchanged or a duplicate of a stored article, and the seen-state
(``article_urls``) is committed with the items it covers.

Settings: ``SQLITE_PATH``, ``SQLITE_BATCH_SIZE``, ``SQLITE_FLUSH_SECONDS``,
``DEDUP_ENABLED``, ``DEDUP_NEAR_THRESHOLD``, ``DEDUP_BANDS``, ``DEDUP_MIN_BANDS`` (see
``crawler/settings.py``). Stats: ``sqlite/items``, ``sqlite/batches``,
``sqlite/new``, ``sqlite/updated``, ``sqlite/unchanged``, ``sqlite/duplicate``,
``sqlite/failed`` (an item that could not be stored, logged; the rest of its batch is).
"""

from __future__ import annotations

import logging
import time

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.storage import ArticleWriter, open_database

logger = logging.getLogger(__name__)


class SQLiteWriterPipeline:
    def __init__(self, path: str, batch_size: int = 200, flush_seconds: float = 5.0, stats=None,
                 dedup: bool = True, near_threshold: float = 0.8, bands: int = 16, min_bands: int = 2):
        self.path = path
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.stats = stats
        self.dedup = (dedup, near_threshold, bands, min_bands)
        self.db = None
        self.writer: ArticleWriter | None = None
        self.batch: list[dict] = []
        self.batch_started = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        path = settings.get("SQLITE_PATH")
        if not path:
            raise NotConfigured("SQLITE_PATH is empty: set it to the database file, e.g. -s SQLITE_PATH=output/news.db")
        batch_size = settings.getint("SQLITE_BATCH_SIZE", 200)
        if batch_size < 1:
            raise NotConfigured(f"SQLITE_BATCH_SIZE must be at least 1, got {batch_size}")
        threshold = settings.getfloat("DEDUP_NEAR_THRESHOLD", 0.8)
        if not 0 < threshold <= 1:
            raise NotConfigured(f"DEDUP_NEAR_THRESHOLD must be in (0, 1], got {threshold}")
        return cls(path, batch_size, settings.getfloat("SQLITE_FLUSH_SECONDS", 5.0), crawler.stats,
                   settings.getbool("DEDUP_ENABLED", True), threshold, settings.getint("DEDUP_BANDS", 16),
                   settings.getint("DEDUP_MIN_BANDS", 2))

    def open_spider(self):
        self.db = open_database(self.path)
        self.writer = ArticleWriter(self.db, *self.dedup)
        logger.info("Writing articles to %s", self.path)

    def process_item(self, item):
        if not self.batch:
            self.batch_started = time.monotonic()
        self.batch.append(ItemAdapter(item).asdict())
        if len(self.batch) >= self.batch_size or time.monotonic() - self.batch_started >= self.flush_seconds:
            self.flush()
        return item

    def flush(self):
        if not self.batch:
            return
        counts = self.writer.write(self.batch)
        if self.stats is not None:
            self.stats.inc_value("sqlite/items", len(self.batch))
            self.stats.inc_value("sqlite/batches")
            for outcome, n in counts.items():
                self.stats.inc_value(f"sqlite/{outcome}", n)
        self.batch = []

    def close_spider(self):
        try:
            self.flush()
        finally:
            if self.db is not None:
                self.db.conn.close()
