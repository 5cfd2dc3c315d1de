"""Spider traps: links that would lead a crawl on for ever through pages that are not news.

``TrapMiddleware``, a spider middleware enabled by ``TRAP_ENABLED``, drops requests
the spider yields when they match a trap; each drop is counted as ``traps/<rule>``
and the first one per path or shape is logged. The rules, each with its setting:

``path_segments`` (``TRAP_MAX_PATH_SEGMENTS``)
    a URL path of more segments than this (``/a/b/c/…``): ever-deeper paths.
``repeated_segment`` (``TRAP_MAX_SEGMENT_REPEATS``)
    a path in which one segment occurs more often than this (``/deep/more/more/more/``,
    ``/a/b/a/b/a/``): relative links resolved against the wrong base, the classic
    trap of broken templates (Heritrix's ``PathologicalPathDecideRule``).
``query_variants`` (``TRAP_MAX_QUERY_VARIANTS``)
    a list page that links to itself with a new query string, again and again
    (``list?t=1`` → ``list?t=2&sort=new`` → …): links to the page's own path count
    one variant per distinct query, pagination parameters (``page``, ``p``, ``pn``,
    ``start`` …) left out, so ``list?page=N`` is one variant (``NEWS_PAGINATION_LIMIT``
    bounds pages). Past the limit, new variants of that path are dropped.
``calendar`` (``TRAP_MAX_CALENDAR_DATES``)
    an endless calendar: dated pages (``/calendar/2024-01-05/``, ``?date=20240105``) that
    link to more dated pages of the same shape, one day or month further each time. Dates
    are counted per shape (the URL with its date taken out); past the limit, new dates of
    that shape are dropped. Only links from a dated page count, so a page that lists
    dated archives directly is never cut.

Articles are never counted by the last two rules (the spider marks each request with
``meta["kind"]``): a site whose articles are ``show.php?id=N`` on the same path as its
lists needs an ``article`` URL pattern in its profile, or the query rule would take its
articles for a list's variants. Session ids in URLs are dropped by canonicalisation
(:mod:`crawler.urls`) before any rule sees them; ``DEPTH_LIMIT`` and Scrapy's
``URLLENGTH_LIMIT`` bound the rest.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

from scrapy import Request
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)

# Query parameters that only page through a list (compared lower-case).
PAGER_PARAMS = frozenset({"page", "p", "pn", "pageno", "page_no", "pageindex", "pagenum", "pagenumber",
                          "curpage", "currentpage", "cur_page", "start", "offset"})
# A calendar date in a URL: 2024-01-05, 2024/01/05, 2024-01/05, 20240105, 2024-01, 202401.
_DATE = re.compile(r"(?<!\d)(?:19|20)\d{2}([-_./]?)(?:0[1-9]|1[0-2])(?:[-_./]?(?:0[1-9]|[12]\d|3[01]))?(?!\d)")
_DATE_PARAMS = frozenset({"date", "day", "month", "year", "d", "m", "y", "ym", "ymd", "riqi"})


def dated(url: str) -> tuple[str, str] | None:
    """(shape, date) of a URL that carries a calendar date, else None. The shape is the URL
    with the date taken out of the path and query (date parameters included).

    >>> dated("http://a.cn/calendar/2024-01-05/")
    ('a.cn/calendar/{date}/', '2024-01-05')
    >>> dated("http://a.cn/events.php?year=2024&month=1&cat=3")
    ('a.cn/events.php?cat=3&month={date}&year={date}', '2024|1')
    >>> dated("http://a.cn/list?page=2") is None
    True
    """
    parts = urlsplit(url)
    found = []

    def take(match: re.Match) -> str:
        found.append(match.group(0))
        return "{date}"

    path = _DATE.sub(take, parts.path)
    pairs = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in _DATE_PARAMS and value.replace("-", "").isdigit():
            found.append(value)
            pairs.append(f"{name}={{date}}")
        else:
            pairs.append(f"{name}={_DATE.sub(take, value)}")
    if not found:
        return None
    query = "&".join(sorted(pairs))
    return f"{parts.hostname}{path}" + (f"?{query}" if query else ""), "|".join(found)


def query_variant(url: str) -> str:
    """The query of ``url`` without its pagination parameters, sorted: what makes a list variant.

    >>> query_variant("http://a.cn/list?page=3&sort=new&t=9")
    'sort=new&t=9'
    """
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    return "&".join(sorted(f"{k}={v}" for k, v in pairs if k.lower() not in PAGER_PARAMS))


class TrapMiddleware:
    def __init__(self, stats, max_segments: int, max_repeats: int, max_variants: int, max_dates: int):
        self.stats = stats
        self.max_segments = max_segments
        self.max_repeats = max_repeats
        self.max_variants = max_variants
        self.max_dates = max_dates
        self.variants: dict[str, set[str]] = {}
        self.dates: dict[str, set[str]] = {}
        self.logged: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("TRAP_ENABLED"):
            raise NotConfigured("TRAP_ENABLED is off")
        return cls(crawler.stats, settings.getint("TRAP_MAX_PATH_SEGMENTS"), settings.getint("TRAP_MAX_SEGMENT_REPEATS"),
                   settings.getint("TRAP_MAX_QUERY_VARIANTS"), settings.getint("TRAP_MAX_CALENDAR_DATES"))

    def process_spider_output(self, response, result, spider=None):
        for item in result:
            if not isinstance(item, Request) or self._allowed(item, response):
                yield item

    async def process_spider_output_async(self, response, result, spider=None):
        async for item in result:
            if not isinstance(item, Request) or self._allowed(item, response):
                yield item

    def _drop(self, rule: str, key: str, request: Request) -> bool:
        self.stats.inc_value(f"traps/{rule}")
        if (rule, key) not in self.logged:
            self.logged.add((rule, key))
            logger.info("Spider trap (%s): not following %s (first of its kind: %s)", rule, request.url, key)
        return False

    def _allowed(self, request: Request, response) -> bool:
        parts = urlsplit(request.url)
        segments = [s for s in parts.path.split("/") if s]
        if self.max_segments and len(segments) > self.max_segments:
            return self._drop("path_segments", parts.path, request)
        if (self.max_repeats and len(set(segments)) < len(segments)  # (a repeat at all: rare)
                and Counter(segments).most_common(1)[0][1] > self.max_repeats):
            return self._drop("repeated_segment", parts.path, request)
        if request.meta.get("kind") == "article" or response is None:
            return True
        source = urlsplit(response.url)
        if self.max_variants and parts.query and (parts.hostname, parts.path) == (source.hostname, source.path):
            key = f"{parts.hostname}{parts.path}"
            seen = self.variants.setdefault(key, set())
            variant = query_variant(request.url)
            if variant not in seen:
                if len(seen) >= self.max_variants:
                    return self._drop("query_variants", key, request)
                seen.add(variant)
        if self.max_dates:
            target = dated(request.url)
            if target is not None and dated(response.url) is not None:
                shape, date = target
                seen = self.dates.setdefault(shape, set())
                if date not in seen:
                    if len(seen) >= self.max_dates:
                        return self._drop("calendar", shape, request)
                    seen.add(date)
        return True
