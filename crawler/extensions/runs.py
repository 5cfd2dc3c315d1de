"""Crawl-run recorder: one ``crawl_runs`` row per crawl, with the crawl's stats.

Enabled by ``CRAWL_RUNS_ENABLED``; writes into ``SQLITE_PATH``. The row holds the
spider's arguments, start and end, how the crawl ended and every Scrapy stat as
JSON, so ``select json_extract(stats, '$."extract/dropped/no_title"') from crawl_runs``
answers "what was dropped and why" after the fact.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from scrapy import signals
from scrapy.exceptions import NotConfigured

from ..storage import open_database, record_run


class CrawlRunRecorder:
    def __init__(self, crawler, path: str):
        self.crawler = crawler
        self.path = path
        self.started_at: str | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("CRAWL_RUNS_ENABLED"):
            raise NotConfigured("CRAWL_RUNS_ENABLED is off")
        path = crawler.settings.get("SQLITE_PATH")
        if not path:
            raise NotConfigured("SQLITE_PATH is empty: crawl runs are recorded in the crawl database")
        ext = cls(crawler, path)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats.get_stats()
        args = {k: v for k, v in vars(spider).items() if k in ("start_urls", "allowed_domains")}
        db = open_database(self.path)
        try:
            record_run(db, {
                "spider": spider.name,
                "args": json.dumps(args, ensure_ascii=False),
                "started_at": self.started_at,
                "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "finish_reason": reason,
                "items_stored": stats.get("sqlite/items", 0),
                "stats": json.dumps(stats, ensure_ascii=False, default=str, sort_keys=True),
            })
        finally:
            db.conn.close()
