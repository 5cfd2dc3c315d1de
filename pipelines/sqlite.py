"""SQLite writer: articles into ``SQLITE_PATH``, batched, flushed on close.

Settings: ``SQLITE_PATH``, ``SQLITE_BATCH_SIZE``, ``SQLITE_FLUSH_SECONDS`` (see
``crawler/settings.py``). Stats: ``sqlite/items``, ``sqlite/batches``.
"""

from __future__ import annotations

import logging
import time

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.storage import article_row, open_database, upsert_articles

logger = logging.getLogger(__name__)


class SQLiteWriterPipeline:
    def __init__(self, path: str, batch_size: int = 200, flush_seconds: float = 5.0, stats=None):
        self.path = path
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.stats = stats
        self.db = None
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
        return cls(path, batch_size, settings.getfloat("SQLITE_FLUSH_SECONDS", 5.0), crawler.stats)

    def open_spider(self):
        self.db = open_database(self.path)
        logger.info("Writing articles to %s", self.path)

    def process_item(self, item):
        if not self.batch:
            self.batch_started = time.monotonic()
        self.batch.append(article_row(ItemAdapter(item).asdict()))
        if len(self.batch) >= self.batch_size or time.monotonic() - self.batch_started >= self.flush_seconds:
            self.flush()
        return item

    def flush(self):
        if not self.batch:
            return
        upsert_articles(self.db, self.batch)
        if self.stats is not None:
            self.stats.inc_value("sqlite/items", len(self.batch))
            self.stats.inc_value("sqlite/batches")
        self.batch = []

    def close_spider(self):
        self.flush()
        if self.db is not None:
            self.db.conn.close()
