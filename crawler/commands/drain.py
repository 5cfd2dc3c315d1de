"""``scrapy drain``: the one writer of a distributed crawl.

Reads the items the workers of distributed crawls (``scrapy crawl news ... -s
REDIS_URL=...``) queued in Redis and writes them into ``SQLITE_PATH`` through the
project's ``ITEM_PIPELINES`` (repair, deduplication, SQLite), acknowledging each
batch only once it is committed (:mod:`crawler.distributed.writer`). README:
"Distributed crawling (scrapy-redis)".

A Scrapy command rather than a ``python -m crawler`` one because the writer is a
Scrapy crawl: the same ``-s NAME=VALUE`` settings, ``scrapy.cfg``, logging, stats,
crawl-run row and run lock as the workers' ``scrapy crawl``.

Exit codes: 0 when it stopped because the queue stayed empty with no worker alive
(finish reason ``finished``); ``LOCK_EXIT_CODE`` (75) when another writer drains the
queue (``writer_lease_held``) or holds the database's writer lock (``lock_held``);
1 on any other ending (interrupted, lease lost, an error); 2 on wrong usage.
"""

from __future__ import annotations

import logging

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from ..extensions.lock import LOCK_HELD

logger = logging.getLogger(__name__)

WRITER_LEASE_HELD = "writer_lease_held"  # crawler.distributed.writer.WRITER_LEASE_HELD


def exit_code(stats: dict, lock_exit_code: int = 75) -> int:
    """The exit code of a writer run, from its final stats.

    >>> exit_code({"finish_reason": "finished", "drain/items": 40})
    0
    >>> exit_code({"finish_reason": "finished"})  # nothing came: not a failure for a writer
    0
    >>> exit_code({"finish_reason": "writer_lease_held"})
    75
    >>> exit_code({"finish_reason": "lock_held"})
    75
    >>> exit_code({"finish_reason": "shutdown", "drain/items": 40})
    1
    >>> exit_code({"finish_reason": "start_error"})  # the batch loop raised (a commit failed)
    1
    """
    reason = stats.get("finish_reason")
    if reason in (LOCK_HELD, WRITER_LEASE_HELD):
        return lock_exit_code
    return 0 if reason == "finished" else 1


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Write the items distributed workers queued in Redis into SQLITE_PATH (the one writer)"

    def long_desc(self) -> str:
        return ("Write the items that workers of distributed crawls (scrapy crawl news ... -s REDIS_URL=URL) "
                "queued in Redis into SQLITE_PATH, through ITEM_PIPELINES (repair, deduplication, SQLite); "
                "each batch is removed from Redis only once it is committed. Stops when the queue has been "
                "empty, with no worker alive, for DISTRIBUTED_IDLE_CLOSE_SECONDS. Example: "
                "scrapy drain -s REDIS_URL=redis://10.0.0.5:6379/0 -s SQLITE_PATH=/srv/data/news.db. "
                "Exit code 0 when done, 75 when another writer is draining, 1 on failure.")

    def run(self, args, opts) -> None:
        if args:
            raise UsageError("scrapy drain takes no arguments (settings go with -s NAME=VALUE)")
        if not self.settings.get("REDIS_URL"):
            raise UsageError("REDIS_URL is not set: scrapy drain -s REDIS_URL=redis://HOST:6379/0")
        if not self.settings.get("SQLITE_PATH"):
            raise UsageError("SQLITE_PATH is empty: the writer needs the database to write into")
        from ..distributed.writer import DrainSpider

        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(DrainSpider)
        self.crawler_process.crawl(crawler)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or crawler.stats is None:
            self.exitcode = 1
            return
        stats = crawler.stats.get_stats()
        self.exitcode = exit_code(stats, self.settings.getint("LOCK_EXIT_CODE", 75))
        if self.exitcode == 1:
            logger.error("Writer failed: finish reason %s; exit code 1", stats.get("finish_reason"))
