"""SQLite writer: articles into ``SQLITE_PATH``, batched, deduplicated, flushed on close.

Each batch is one transaction (``crawler.storage.ArticleWriter``): every item is
new, updated, unchanged or a duplicate of a stored article, and the seen-state
(``article_urls``) is committed with the items it covers.

Where the writing happens: with ``SQLITE_WRITER_PROCESS`` (the default) in the
crawl's first worker process (``PROCESS_WORKERS``, :mod:`crawler.offload`, running
:func:`crawler.tasks.write_batch`), so that fingerprints, index tokens and SQL never
take Scrapy's thread: a full batch is handed over and the next one fills while it
is written; batches are written one at a time, in order. When two are waiting to be
written, items wait too (Scrapy then stops downloading): memory stays bounded
however far the writer falls behind. (One process for the
extraction and the writing: on two cores the crawl's thread has the other.) A batch that cannot be
written (the disk full, the database locked past SQLite's timeout) is logged and
counted as failed items; the crawl goes on. Without it, on Scrapy's
thread, as ``flush()`` (which the distributed writer, ``scrapy drain``, calls to
commit before it acknowledges a batch).

Settings: ``SQLITE_PATH``, ``SQLITE_BATCH_SIZE``, ``SQLITE_FLUSH_SECONDS``,
``SQLITE_WRITER_PROCESS``, ``DEDUP_ENABLED``, ``DEDUP_NEAR_THRESHOLD``, ``DEDUP_BANDS``,
``DEDUP_MIN_BANDS`` (see ``crawler/settings.py``). Stats: ``sqlite/items``,
``sqlite/batches``, ``sqlite/new``, ``sqlite/updated``, ``sqlite/unchanged``,
``sqlite/duplicate``, ``sqlite/failed`` (an item that could not be stored, logged; the
rest of its batch is). What the writer logs in the worker process reaches Scrapy's log
(crawler.offload forwards it).
"""

from __future__ import annotations

import logging
import time

from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import defer

from crawler.items import as_dict
from crawler.offload import WorkerPool, worker_pool
from crawler.storage import ArticleWriter, open_database
from crawler.tasks import close_writer, open_writer, write_batch

logger = logging.getLogger(__name__)

# Batches handed to the writer process and not yet written, at most: with this many,
# every new item waits until one is written (one being written, one waiting).
MAX_BATCHES_HANDED = 2


class SQLiteWriterPipeline:
    def __init__(self, path: str, batch_size: int = 200, flush_seconds: float = 5.0, stats=None,
                 dedup: bool = True, near_threshold: float = 0.8, bands: int = 16, min_bands: int = 2,
                 process: WorkerPool | None = None):
        self.path = path
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.stats = stats
        self.dedup = (dedup, near_threshold, bands, min_bands)
        # The crawl's worker pool when the writing happens there (SQLITE_WRITER_PROCESS), else
        # None: the database on this thread.
        self.process = process if isinstance(process, WorkerPool) and process.processes else None
        self.db = None
        self.writer: ArticleWriter | None = None
        self.batch: list[dict] = []
        self.batch_started = 0.0
        # Batches handed to the writer process, not yet written: what each one's end is awaited
        # by (one awaitable per batch, shared by every item waiting for it).
        self._writing: list = []

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
                   settings.getint("DEDUP_MIN_BANDS", 2),
                   worker_pool(crawler) if settings.getbool("SQLITE_WRITER_PROCESS", False) else None)  # unset: in place

    def open_spider(self):
        if self.process is None:
            self.db = open_database(self.path)
            self.writer = ArticleWriter(self.db, *self.dedup)
            logger.info("Writing articles to %s", self.path)
            return None
        return self._open_process()

    async def _open_process(self) -> None:
        # Opened (schema, search index) before the first page: a database that cannot be
        # written stops the crawl here, with SQLite's error.
        # Untimed: opening may rebuild an index of an earlier version (minutes on a large database).
        await self.process.run(open_writer, str(self.path), self.dedup, first=True, timed=False)
        logger.info("Writing articles to %s (from a worker process)", self.path)

    def process_item(self, item):
        if self.process is not None and len(self._writing) >= MAX_BATCHES_HANDED:
            # The writer is behind: every item waits (and holds its response, so Scrapy stops
            # downloading), or items would pile up in memory faster than they are written.
            return self._add_when_written(item)
        return self._add(item)

    async def _add_when_written(self, item):
        while len(self._writing) >= MAX_BATCHES_HANDED:
            await self._writing[0]
        return self._add(item)

    def _add(self, item):
        if not self.batch:
            self.batch_started = time.monotonic()
        # A shallow copy: asdict() walks every nested value looking for items (~0.2 ms an article).
        self.batch.append(as_dict(item))
        if len(self.batch) >= self.batch_size or time.monotonic() - self.batch_started >= self.flush_seconds:
            if self.process is None:
                self.flush()
            else:
                self._hand_over()
        return item

    def flush(self):
        """Write the batch now, on this thread (without a writer process)."""
        if self.process is not None:
            raise RuntimeError("flush() writes on Scrapy's thread: not with SQLITE_WRITER_PROCESS on")
        if not self.batch:
            return
        counts = self.writer.write(self.batch)
        self._count(len(self.batch), counts)
        self.batch = []

    def _hand_over(self) -> None:
        """Send the batch to the writer process now: it runs its tasks in the order sent, so
        batches are written in the order handed over."""
        batch, self.batch = self.batch, []
        if batch:
            written = deferred_from_coro(self._write(batch))  # an asyncio task: started in creation order
            written.addErrback(self._write_failed, len(batch))
            # Converted once, after the callbacks above: its waiters wake when it is off the list.
            done = maybe_deferred_to_future(written)
            self._writing.append(done)
            written.addBoth(lambda _: self._writing.remove(done))

    def _write_failed(self, failure, items: int) -> None:
        logger.error("A batch of %d items was not written to %s: %s", items, self.path, failure.getErrorMessage())
        if self.stats is not None:
            self.stats.inc_value("sqlite/failed", items)

    async def _write(self, batch: list[dict]) -> None:
        try:
            counts = await self.process.run(write_batch, str(self.path), self.dedup, batch, first=True)
        except Exception as exc:  # the database is locked, full, gone …: said, counted, the crawl goes on
            logger.error("Could not write a batch of %d items to %s: %s", len(batch), self.path, exc)
            counts = {"failed": len(batch)}
        self._count(len(batch), counts)

    def _count(self, items: int, counts: dict) -> None:
        if self.stats is not None:
            self.stats.inc_value("sqlite/items", items)
            self.stats.inc_value("sqlite/batches")
            for outcome, n in counts.items():
                self.stats.inc_value(f"sqlite/{outcome}", n)

    def close_spider(self):
        if self.process is None:
            try:
                self.flush()
            finally:
                if self.db is not None:
                    self.db.conn.close()
            return None
        return self._close_process()

    async def _close_process(self) -> None:
        self._hand_over()
        while self._writing:
            await self._writing[0]
        await self.process.run(close_writer, str(self.path), first=True)  # the pool closes with the spider
