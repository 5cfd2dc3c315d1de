"""Repair pipeline: an article's text fields repaired together, as one document.

Runs ``crawler.repair.repair_document`` over title, body, editor, author, source,
section, keywords and breadcrumb names; records which fixers changed the item
(``repairs``) and what could not be recovered (``repair_flags``); adds
Simplified forms of title and body (OpenCC t2s) where they differ, so that
Traditional mirrors can be searched and deduplicated against Simplified
originals. The original text is what the other fields keep.

The work itself is :func:`crawler.tasks.repair_fields`. The news spider's extraction
task computes it already (:func:`crawler.tasks.repair_ahead`: in the same trip to a
worker process as the extraction, ``PROCESS_WORKERS``), when this pipeline tells it
to (``repair_ahead`` on the spider, set when the spider opens); this pipeline then
applies that result, after checking it was computed from the item's fields as they
are. Other items are repaired here: in a worker process when the crawl has any
(:mod:`crawler.offload`), else in place.

Settings: ``REPAIR_ENABLED``, ``REPAIR_SIMPLIFIED``. Stats: ``repair/<fixer>``
(items each fixer changed), ``repair/flagged/<flag>``, ``repair/items_changed``.
"""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.offload import worker_pool
from crawler.tasks import REPAIR_INPUT, repair_fields, take_repaired_ahead

logger = logging.getLogger(__name__)


class RepairPipeline:
    def __init__(self, simplified: bool = True, stats=None, workers=None, crawler=None):
        self.simplified = simplified
        self.stats = stats
        self.workers = workers  # crawler.offload.WorkerPool; None: repair in place
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("REPAIR_ENABLED", True):
            raise NotConfigured("REPAIR_ENABLED is off")
        return cls(crawler.settings.getbool("REPAIR_SIMPLIFIED", True), crawler.stats, worker_pool(crawler),
                   crawler)

    def open_spider(self):
        # A spider that can repair with its extraction (crawler.spiders.news) is asked to.
        spider = getattr(self.crawler, "spider", None)
        if hasattr(spider, "repair_ahead"):
            spider.repair_ahead = self.simplified

    def process_item(self, item):
        """The item repaired: at once in place, or a coroutine awaiting a worker process."""
        adapter = ItemAdapter(item)
        if "seen_again" in adapter:  # a 304 marker, no text to repair
            return item
        fields = {name: adapter.get(name) for name in REPAIR_INPUT}
        ahead = take_repaired_ahead(item, fields, self.simplified)
        if ahead is not None:
            return self._apply(item, *ahead)
        if self.workers is None or not self.workers.processes:
            return self._apply(item, *repair_fields(fields, self.simplified))
        return self._repair_in_worker(item, fields)

    async def _repair_in_worker(self, item, fields: dict):
        return self._apply(item, *await self.workers.run(repair_fields, fields, self.simplified))

    def _apply(self, item, changes: dict, repairs: list[str], flags: list[str]):
        adapter = ItemAdapter(item)
        for name, value in changes.items():
            adapter[name] = value
        adapter["repairs"] = repairs
        adapter["repair_flags"] = flags
        if self.stats is not None:
            for fixer in repairs:
                self.stats.inc_value(f"repair/{fixer}")
            for flag in flags:
                self.stats.inc_value(f"repair/flagged/{flag}")
            if repairs:
                self.stats.inc_value("repair/items_changed")
        if flags:
            logger.info("Repair flagged %s: %s", flags, adapter.get("url"))
        return item
