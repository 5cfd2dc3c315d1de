"""Crawl-run recorder: one ``crawl_runs`` row per crawl, with the crawl's stats.

Enabled by ``CRAWL_RUNS_ENABLED``; writes into ``SQLITE_PATH``. The row holds the
spider's arguments, start and end, how the crawl ended and every Scrapy stat as
JSON, and the counts people ask for first: new, updated, unchanged and duplicate
articles, pages dropped by reason, errors. ``select json_extract(stats,
'$."extract/dropped/no_title"') from crawl_runs`` answers anything else after the fact.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from scrapy import signals
from scrapy.exceptions import NotConfigured

from ..storage import connect, last_run_finished, record_run


class CrawlRunRecorder:
    def __init__(self, crawler, path: str):
        self.crawler = crawler
        self.path = path
        self.started_at: str | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("CRAWL_RUNS_ENABLED"):
            raise NotConfigured("CRAWL_RUNS_ENABLED is off")
        path = crawler.settings.get("SQLITE_PATH")
        if not path:
            raise NotConfigured("SQLITE_PATH is empty: crawl runs are recorded in the crawl database")
        ext = cls(crawler, path)
        ext.retry_codes = frozenset(int(c) for c in crawler.settings.getlist("RETRY_HTTP_CODES"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @staticmethod
    def run_args(spider) -> str:
        args = {k: v for k, v in vars(spider).items() if k in ("start_urls", "allowed_domains")}
        profile = getattr(spider, "profile", None)
        if profile is not None:
            args["site"] = profile.name
        return json.dumps(args, ensure_ascii=False)

    def spider_opened(self, spider):
        # The row is written now and completed at the end: a run killed on the way
        # leaves it without finish_reason, and the next run knows not to trust
        # "all known, stop paginating" (what came after the kill was never seen).
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        args = self.run_args(spider)
        db = connect(self.path)
        try:
            spider.previous_run_finished = last_run_finished(db, spider.name, args)
            self.run_id = record_run(db, {"spider": spider.name, "args": args, "started_at": self.started_at})
        finally:
            db.close()

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats.get_stats()
        db = connect(self.path)
        try:
            record_run(db, {
                "spider": spider.name,
                "args": self.run_args(spider),
                "started_at": self.started_at,
                "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "finish_reason": reason,
                "items_stored": stats.get("sqlite/items", 0),
                "new": stats.get("sqlite/new", 0),
                "updated": stats.get("sqlite/updated", 0),
                "unchanged": stats.get("sqlite/unchanged", 0),
                "duplicates": stats.get("sqlite/duplicate", 0),
                "dropped": json.dumps(dropped_counts(stats), ensure_ascii=False, sort_keys=True),
                "errors": error_count(stats, self.retry_codes),
                "stats": json.dumps(stats, ensure_ascii=False, default=str, sort_keys=True),
            }, self.run_id)
        finally:
            db.close()


def dropped_counts(stats: dict) -> dict[str, int]:
    """Pages and links left out, by reason: ``extract/dropped/<reason>``, ``news/skipped/<reason>``,
    ``incremental/<reason>``."""
    dropped = {}
    for key, value in stats.items():
        for prefix in ("extract/dropped/", "news/skipped/", "incremental/skipped_"):
            if key.startswith(prefix):
                dropped[key[len(prefix):]] = value
    return dropped


def error_count(stats: dict, retry_codes: frozenset[int]) -> int:
    """Requests that failed for good: retries exhausted (connection errors and retried
    statuses such as 500), HTTP errors not retried (404), spider exceptions."""
    prefix = "httperror/response_ignored_status_count/"
    http = sum(v for k, v in stats.items()
               if k.startswith(prefix) and int(k[len(prefix):]) not in retry_codes)
    return stats.get("retry/max_reached", 0) + http + stats.get("spider_exceptions/count", 0)
