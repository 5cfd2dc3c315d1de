"""The one writer of a distributed crawl: the item queue into SQLite, nothing lost, nothing twice.

Run by ``scrapy drain`` (:mod:`crawler.commands.drain`); documented in the README
("Distributed crawling (scrapy-redis)"). The writer is a Scrapy crawl of its own
whose spider requests nothing: its ``start()`` yields the items the workers
queued, so they go through the project's ``ITEM_PIPELINES`` in Scrapy's engine
exactly as in a single-process crawl (repair, deduplication, SQLite: the same
classes, settings and stats), and the crawl-run recorder and the run lock work
as for any crawl (the lock file is ``<SQLITE_PATH>.lock-drain``).

Nothing lost: a batch of up to ``SQLITE_BATCH_SIZE`` items is moved (``LMOVE``)
to ``<items>:processing``, yielded, and when every item of it has been through
the pipelines, every pipeline that has a ``flush()`` (the SQLite writer: it
commits its batch) is flushed; only then is the processing list deleted. A
writer killed at any point leaves its batch in the processing list, and the
next writer writes that batch first.

Nothing twice: a batch written again (killed after the commit, before the
acknowledgement; or a request a killed worker had taken, fetched again) is
stored by the same upsert, by canonical URL, with the same deduplication: the
article is ``unchanged``, not a second row.

One writer: the writer holds a lease on the queue (``<items>:writer``, renewed
every third of ``DISTRIBUTED_LEASE_SECONDS``, and taken back if it ran out during
a long commit while no other writer took it). A second writer waits up to two
lease periods (a killed writer's lease runs out by then) and otherwise stops
with finish reason ``writer_lease_held`` (exit code 75). A writer whose lease
another one took stops (``writer_lease_lost``, exit code 1) without acknowledging:
the other writes its batch again.

It stops (finish reason ``finished``) once the item queue has been empty and no
worker alive for ``DISTRIBUTED_IDLE_CLOSE_SECONDS`` (0: it runs until stopped).

Stats: ``drain/items`` (written and acknowledged), ``drain/batches``,
``drain/redriven`` (items a stopped writer had taken, written again),
``drain/invalid`` (not JSON objects: moved to ``<items>:invalid``).
"""

from __future__ import annotations

import json
import logging
import time

import scrapy
from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy_redis.connection import get_redis_from_settings
from twisted.internet import task

from . import items_key, process_name, redacted
from .state import ItemQueue, LeaseLost

logger = logging.getLogger(__name__)

# Finish reasons of a writer that found another one draining the queue, or lost its lease.
WRITER_LEASE_HELD = "writer_lease_held"
WRITER_LEASE_LOST = "writer_lease_lost"
# How long the writer sleeps when the queue is empty.
POLL_SECONDS = 0.5


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor  # the one Scrapy installed; importing it earlier would install one

    await maybe_deferred_to_future(task.deferLater(reactor, seconds, lambda: None))


class DrainSpider(scrapy.Spider):
    """Yields the items of the Redis item queue, a batch at a time, and acknowledges
    each batch once the pipelines have committed it."""

    name = "drain"

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        # The batch is acknowledged to Redis once the pipelines' flush() has committed it: the
        # SQLite writer must write on this thread, when flushed, not in a worker process.
        # Priority 50: above the command line's (40), as nothing else would be correct.
        settings.set("SQLITE_WRITER_PROCESS", False, priority=50)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.url = settings.get("REDIS_URL")
        spider.lease = settings.getfloat("DISTRIBUTED_LEASE_SECONDS", 30.0)
        spider.idle_close = settings.getfloat("DISTRIBUTED_IDLE_CLOSE_SECONDS", 30.0)
        spider.batch_size = max(1, settings.getint("SQLITE_BATCH_SIZE", 200))
        spider.queue = ItemQueue(get_redis_from_settings(settings), items_key(settings), process_name(), spider.lease)
        spider.done = 0  # items the pipelines are through with (stored, dropped or failed)
        spider.lease_lost = False
        spider.renewal = None
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider.item_done, signal=signal)
        crawler.signals.connect(spider.closed_writer, signal=signals.spider_closed)
        return spider

    def item_done(self):
        self.done += 1

    async def start(self):
        await self._acquire()
        self.renewal = task.LoopingCall(self._renew)
        self.renewal.start(self.lease / 3, now=False)
        stats = self.crawler.stats
        idle_since = None
        while True:
            if self.lease_lost:
                raise CloseSpider(WRITER_LEASE_LOST)
            try:
                redriven, batch = self.queue.take(self.batch_size)
            except LeaseLost:
                raise CloseSpider(WRITER_LEASE_LOST) from None
            if not batch:
                if self.idle_close > 0 and not self.queue.live_producers():
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since >= self.idle_close:
                        logger.info("Item queue %s empty and no worker alive for %.0f s: done",
                                    self.queue.key, self.idle_close)
                        return
                else:
                    idle_since = None
                await _sleep(POLL_SECONDS)
                continue
            idle_since = None
            if redriven:
                logger.warning("Writing again %d item(s) a stopped writer took from %s and did not acknowledge",
                               len(batch), self.queue.key)
                stats.inc_value("drain/redriven", len(batch))
            target = self.done + len(batch)
            for data in batch:
                item = self._decode(data)
                if item is None:
                    self.done += 1
                    continue
                yield item
            while self.done < target:  # the engine runs the pipelines after each yield
                await _sleep(0.005)
            self._flush()
            try:
                self.queue.ack()
            except LeaseLost:
                raise CloseSpider(WRITER_LEASE_LOST) from None
            stats.inc_value("drain/items", len(batch))
            stats.inc_value("drain/batches")

    async def _acquire(self):
        """Take the writer's lease, waiting up to two lease periods for a stopped writer's to run out."""
        deadline = time.monotonic() + 2 * self.lease
        holder = self.queue.acquire()
        if holder is not None:
            logger.info("Writer lease of %s held by %s: waiting up to %.0f s", self.queue.key, holder, 2 * self.lease)
        while holder is not None:
            if time.monotonic() >= deadline:
                logger.error("Another writer (%s) is draining %s at %s: this one stops (exit code %d).",
                             holder, self.queue.key, redacted(self.url), self.settings.getint("LOCK_EXIT_CODE", 75))
                raise CloseSpider(WRITER_LEASE_HELD)
            await _sleep(POLL_SECONDS)
            holder = self.queue.acquire()
        logger.info("Draining item queue %s at %s into %s (%d waiting)", self.queue.key, redacted(self.url),
                    self.settings.get("SQLITE_PATH"), self.queue.waiting())

    def _decode(self, data: bytes) -> dict | None:
        try:
            item = json.loads(data)
            if not isinstance(item, dict):
                raise ValueError(f"a JSON {type(item).__name__}, not an object")
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            logger.error("Item not readable (%s), kept in %s: %r", exc, self.queue.invalid, data[:200])
            self.queue.reject(data)
            self.crawler.stats.inc_value("drain/invalid")
            return None
        return item

    def _flush(self):
        """Commit what the pipelines hold back: every pipeline with a ``flush()`` is flushed."""
        for pipeline in self.crawler.engine.scraper.itemproc.middlewares:
            flush = getattr(pipeline, "flush", None)
            if callable(flush):
                flush()

    def _renew(self):
        try:
            if not self.queue.renew():
                self.lease_lost = True
                logger.error("Writer lease of %s taken by another writer (not renewed in time): stopping",
                             self.queue.key)
        except RedisError as exc:
            logger.warning("Redis error renewing the writer lease (%s); retrying", exc)

    def closed_writer(self, spider, reason):
        if self.renewal is not None and self.renewal.running:
            self.renewal.stop()
        if reason != WRITER_LEASE_HELD:
            try:
                self.queue.release()
            except RedisError as exc:
                logger.warning("Could not release the writer lease (%s): it runs out by itself", exc)
