"""Crawl-delay: the pause a site's robots.txt asks for between two requests, honoured.

Enabled by ``CRAWL_DELAY_ENABLED`` (and only with ``ROBOTSTXT_OBEY``). Scrapy reads
robots.txt for its Allow/Disallow rules and ignores ``Crawl-delay``; this extension
takes the delay from the parsed file (``robots_parsed`` signal; Protego understands the
line) for the crawl's user agent and makes it the floor of that host's download slot:
``slot.delay`` is raised to it and its random jitter (``DOWNLOAD_DELAY_JITTER``) turned
off, so two requests to the host never start closer together than the delay, whatever
``CONCURRENT_REQUESTS_PER_DOMAIN``. AutoThrottle may raise the delay further but no longer
lowers it below the floor (it is put back after every response and before every request).
Delays above ``CRAWL_DELAY_MAX`` seconds are cut to it, with a warning: a file asking
for an hour between pages would otherwise stop a scheduled crawl from ever finishing.
Stats: ``crawl_delay/hosts`` (hosts with a delay), ``crawl_delay/capped``.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)


class CrawlDelay:
    def __init__(self, crawler, max_delay: float, user_agent: str):
        self.crawler = crawler
        self.max_delay = max_delay
        self.user_agent = user_agent
        self.delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("CRAWL_DELAY_ENABLED") or not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured("CRAWL_DELAY_ENABLED (or ROBOTSTXT_OBEY) is off")
        ext = cls(crawler, settings.getfloat("CRAWL_DELAY_MAX"),
                  settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT") or "*")
        crawler.signals.connect(ext.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(ext.apply, signal=signals.request_reached_downloader)
        crawler.signals.connect(ext.apply, signal=signals.response_downloaded)
        return ext

    @staticmethod
    def _key(request) -> str:
        return request.meta.get("download_slot") or urlparse_cached(request).hostname or ""

    def robots_parsed(self, robotparser, request):
        crawl_delay = getattr(robotparser, "crawl_delay", None)
        delay = crawl_delay(self.user_agent) if callable(crawl_delay) else None
        if not delay or delay <= 0:
            return
        key = self._key(request)
        if delay > self.max_delay:
            self.crawler.stats.inc_value("crawl_delay/capped")
            logger.warning("robots.txt of %s asks for Crawl-delay %s s; waiting CRAWL_DELAY_MAX (%s s) instead",
                           key, delay, self.max_delay)
            delay = self.max_delay
        self.delays[key] = float(delay)
        self.crawler.stats.inc_value("crawl_delay/hosts")
        logger.info("Honouring robots.txt Crawl-delay of %s: %.1f s between requests", key, delay)
        self.apply(request=request)

    def apply(self, request, response=None, spider=None):
        if not self.delays:
            return
        key = self._key(request)
        delay = self.delays.get(key)
        if delay is None:
            return
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            if hasattr(slot, "jitter"):  # Scrapy >= 2.19; before, the flag below
                slot.jitter = 0.0
            else:
                slot.randomize_delay = False
