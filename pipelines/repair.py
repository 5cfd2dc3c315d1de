"""Repair pipeline: an article's text fields repaired together, as one document.

Runs ``crawler.repair.repair_document`` over title, body, editor, author, source,
section, keywords and breadcrumb names; records which fixers changed the item
(``repairs``) and what could not be recovered (``repair_flags``); adds
Simplified forms of title and body (OpenCC t2s) where they differ, so that
Traditional mirrors can be searched and deduplicated against Simplified
originals. The original text is what the other fields keep.

Settings: ``REPAIR_ENABLED``, ``REPAIR_SIMPLIFIED``. Stats: ``repair/<fixer>``
(items each fixer changed), ``repair/flagged/<flag>``, ``repair/items_changed``.
"""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.repair import repair_document, to_simplified

logger = logging.getLogger(__name__)

TEXT_FIELDS = ("title", "body", "editor", "author", "source", "section")


class RepairPipeline:
    def __init__(self, simplified: bool = True, stats=None):
        self.simplified = simplified
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("REPAIR_ENABLED", True):
            raise NotConfigured("REPAIR_ENABLED is off")
        return cls(crawler.settings.getbool("REPAIR_SIMPLIFIED", True), crawler.stats)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        if "seen_again" in adapter:  # a 304 marker, no text to repair
            return item
        present = [f for f in TEXT_FIELDS if adapter.get(f)]
        keywords = list(adapter.get("keywords") or [])
        crumbs = [dict(c) for c in adapter.get("breadcrumb") or []]
        texts = [adapter[f] for f in present] + keywords + [c["name"] for c in crumbs]

        result = repair_document(texts)
        fixed = iter(result.texts)
        for name in present:
            adapter[name] = next(fixed)
        if keywords:
            adapter["keywords"] = [next(fixed) for _ in keywords]
        for crumb in crumbs:
            crumb["name"] = next(fixed)
        if crumbs:
            adapter["breadcrumb"] = crumbs
        adapter["repairs"] = result.repairs
        adapter["repair_flags"] = result.flags

        if self.simplified:
            for name in ("title", "body"):
                text = adapter.get(name) or ""
                simple = to_simplified(text)
                adapter[f"{name}_simplified"] = simple if simple != text else None

        if self.stats is not None:
            for fixer in result.repairs:
                self.stats.inc_value(f"repair/{fixer}")
            for flag in result.flags:
                self.stats.inc_value(f"repair/flagged/{flag}")
            if result.repairs:
                self.stats.inc_value("repair/items_changed")
        if result.flags:
            logger.info("Repair flagged %s: %s", result.flags, adapter.get("url"))
        return item
