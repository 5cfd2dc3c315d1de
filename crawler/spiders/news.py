"""The ``news`` spider: section pages, list pages, pagination and breadcrumbs to articles.

    scrapy crawl news -a start_url=http://www.example.gov.cn/
    scrapy crawl news -a site=NAME [-a start_url=URL]

Allowed domains are the start URL's host (``www.`` dropped so sub-hosts of the
portal count too). From list pages every link is followed; from article pages
only the breadcrumb trail, which is how sections that no navigation shows are
found (set ``NEWS_FOLLOW_ARTICLE_LINKS`` to follow everything). Whether a page
is an article is :func:`crawler.extraction.page_kind`'s call.

With ``-a site=NAME`` (a profile in ``crawler/profiles/``, or a path to one; see
:mod:`crawler.profiles` and the README's "Site profiles") the crawl takes the
profile's start URLs and allowed domains, its URL patterns decide articles and
lists before ``page_kind`` does, its deny patterns are never followed, its
tracking parameters are dropped, and extraction gets the profile. A
``start_url`` given as well wins over the profile's start URLs, and the allowed
domains then come from it. A profile that does not load stops the crawl before
it starts, with the file, key and problem.

Incremental crawls: an article link whose article is already stored (its URL is
in ``article_urls``, seen less than ``NEWS_RECRAWL_AGE_HOURS`` ago) is not requested
again, unless ``-a full=1``. List pages are always fetched; when every article a
list page links to is known, its pagination links are not followed
(``NEWS_STOP_PAGINATION_ON_KNOWN``), if the previous run of the same crawl finished.
A known article due for a re-crawl is requested with its stored validators
(If-None-Match / If-Modified-Since); a 304 answer costs no body and changes nothing. The state is the database (:mod:`crawler.seen`).

Every request has :meth:`NewsSpider.errback`, which reports what failed for good to
the failures table (:mod:`crawler.failures`); requests carry ``meta["kind"]``
(``article`` or ``list``) for the trap limits (:mod:`crawler.traps`).

Stats: ``news/pages/article``, ``news/pages/list``, ``news/skipped/non_html``,
``news/skipped/denied``, ``extract/dropped/<reason>``, ``incremental/skipped_known``,
``incremental/pagination_stopped``, ``incremental/conditional_requests``,
``incremental/not_modified``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from ..extraction import page_kind
from ..extraction.profile import decode_for_profile
from ..failures import request_failed
from ..offload import worker_pool
from ..profiles import Profile, ProfileError, load_profile
from ..seen import SeenState
from ..tasks import extract_page
from ..urls import canonical_url

# Pagination links: by their text (下一页, 尾页, page numbers) or their URL (index_2.html, ?page=3).
_PAGER_TEXT = re.compile(r"^\s*(?:下一页|下页|上一页|上页|尾页|末页|首页|\d{1,4}|next|prev|previous|last|[>»›]+|[<«‹]+)\s*$", re.I)
_PAGER_URL = re.compile(r"(?:index_\d+\.s?html?$|[?&](?:page|p|pageno|pageindex)=\d+)", re.I)


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _is_pager(link) -> bool:
    return bool(_PAGER_TEXT.match(link.text or "") or _PAGER_URL.search(link.url))


def _domain_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    if not host:
        raise ValueError(f"start_url {url!r} has no host: give a full URL such as http://www.example.gov.cn/")
    return host[4:] if host.startswith("www.") else host


class NewsSpider(scrapy.Spider):
    name = "news"
    # 304 Not Modified answers a conditional re-crawl: handled, not an error.
    handle_httpstatus_list = [304]
    # Set by the repair pipeline when it opens (pipelines/repair.py): its ``simplified``
    # flag, and the extraction task repairs the article too (crawler.tasks.repair_ahead).
    repair_ahead: bool | None = None

    def __init__(self, start_url: str | None = None, site: str | None = None, full: str | None = None,
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        # -a full=1: fetch every article again, known or not.
        self.full = str(full or "").lower() in ("1", "true", "yes")
        # Set by the crawl-run recorder: did the last run of this crawl finish? Only
        # then may pagination stop at known articles (after a kill, pages past the
        # kill point were never seen). Unknown counts as no.
        self.previous_run_finished = False
        self.profile: Profile | None = None
        if site:
            try:
                self.profile = load_profile(site)
            except ProfileError as exc:
                # Re-raised from here so the report ends with the message, not load_profile's frames.
                raise ProfileError(str(exc)) from None
        if start_url:
            self.start_urls = [u.strip() for u in start_url.split(",") if u.strip()]
            for url in self.start_urls:
                if urlsplit(url).scheme not in ("http", "https"):
                    raise ValueError(f"start_url {url!r} is not an http(s) URL")
            self.allowed_domains = sorted({_domain_of(u) for u in self.start_urls})
        elif self.profile is not None:
            self.start_urls = list(self.profile.start_urls)
            self.allowed_domains = list(self.profile.allowed_domains)
        else:
            raise ValueError("the news spider needs a start page: scrapy crawl news -a start_url=http://www.example.gov.cn/"
                             " (or a site profile: -a site=NAME)")
        self._extra_tracking = self.profile.tracking_params if self.profile else frozenset()
        self._links = LinkExtractor(allow_domains=None, unique=True)

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        # -s REDIS_URL=…: this crawl is a worker of a distributed crawl (crawler/distributed/):
        # scrapy-redis's queue and dupefilter, items to Redis, no database of its own.
        if settings.get("REDIS_URL"):
            from ..distributed import worker_settings

            worker_settings(settings)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.follow_article_links = settings.getbool("NEWS_FOLLOW_ARTICLE_LINKS")
        spider.stop_on_known = settings.getbool("NEWS_STOP_PAGINATION_ON_KNOWN")
        spider.pagination_limit = settings.getint("NEWS_PAGINATION_LIMIT")
        spider.workers = worker_pool(crawler)  # PROCESS_WORKERS processes extract the articles (crawler.offload)
        spider.seen = SeenState(settings.get("SQLITE_PATH"), timedelta(hours=settings.getfloat("NEWS_RECRAWL_AGE_HOURS")))
        crawler.signals.connect(spider.seen.close, signal=signals.spider_closed)
        return spider

    async def start(self):
        # As Scrapy's default (start URLs are never filtered as duplicates), with the errback.
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.errback, dont_filter=True)

    def errback(self, failure):
        """Every request's errback: a request given up on (retries used up, an HTTP error, a
        refused redirect …) is reported to the failure recorder (crawler/extensions/failures.py),
        then left to Scrapy as if there were no errback (stats, logging)."""
        self.crawler.signals.send_catch_log(request_failed, failure=failure, request=failure.request, spider=self)
        return failure

    def _canonical(self, url: str) -> str:
        """The URL to request and look up: canonical form, then the profile's folds
        (print views and mobile hosts onto the article's URL)."""
        url = canonical_url(url, extra_tracking=self._extra_tracking)
        return canonical_url(self.profile.fold(url), extra_tracking=self._extra_tracking) if self.profile else url

    def _plan(self, url: str) -> tuple[str, str, bool, dict]:
        """(URL to request, "article" or "list", known, validators) for a link; known: an
        article that is stored and fresh; validators: the headers that ask whether a stored
        one changed (neither with -a full=1). One seen-state lookup per article link."""
        target, kind = self._canonical(url), self._url_kind(url)
        if self.full or kind != "article":
            return target, kind, False, {}
        return target, kind, *self.seen.lookup(target)

    def _url_kind(self, url: str) -> str:
        kind = self.profile.url_kind(url) if self.profile is not None else None
        return kind or page_kind(url)

    def _request(self, url: str, plan: tuple[str, str, bool, dict] | None = None) -> scrapy.Request | None:
        """The request for a link, or None when the profile denies it or the article is known."""
        if self.profile is not None and self.profile.denies(url):
            self.crawler.stats.inc_value("news/skipped/denied")
            return None
        # Tracking parameters (?utm_source=…&from=timeline) never change the page:
        # the canonical form is requested, so one article is fetched once.
        target, kind, known, headers = plan or self._plan(url)
        if known:
            self.crawler.stats.inc_value("incremental/skipped_known")
            return None
        if headers:  # a stored article due again asks "changed since?"
            self.crawler.stats.inc_value("incremental/conditional_requests")
        # meta "kind": the trap middleware (crawler/traps.py) never counts articles as a list's variants.
        return scrapy.Request(target, callback=self.parse, errback=self.errback, headers=headers, meta={"kind": kind})

    def _follow(self, urls, meta: dict | None = None, plans: dict | None = None):
        for url in urls:
            request = self._request(url, plans.get(url) if plans else None)
            if request is not None:
                if meta:
                    request.meta.update(meta)
                yield request

    def kind_of(self, url: str, body: bytes, content_type) -> str:
        """``"article"`` or ``"list"``: the profile's URL patterns first, then the generic rules."""
        if self.profile is not None:
            kind = self.profile.url_kind(url)
            if kind:
                return kind
            if self.profile.charset:  # the prose test must read the page as extraction will
                return page_kind(url, decode_for_profile(body, content_type, self.profile).text)
        return page_kind(url, body, content_type)

    def parse(self, response):
        """A list page's links now (a generator); an article page's item and breadcrumb links
        once it has been extracted (a coroutine, awaiting the worker pool)."""
        stats = self.crawler.stats
        if response.status == 304:
            stats.inc_value("incremental/not_modified")
            return [{"seen_again": response.url}]  # the writer marks the article seen
        if not isinstance(response, HtmlResponse):
            stats.inc_value("news/skipped/non_html")
            self.logger.info("Skipped non-HTML response (%s) %s",
                             response.headers.get("Content-Type", b"").decode("latin-1"), response.url)
            return []
        content_type = response.headers.get("Content-Type")
        kind = self.kind_of(response.url, response.body, content_type)
        stats.inc_value(f"news/pages/{kind}")
        if kind == "list":
            return self._parse_list(response)
        return self._parse_article(response, content_type)

    def _parse_list(self, response):
        stats = self.crawler.stats
        links = self._links.extract_links(response)
        plans = {link.url: self._plan(link.url) for link in links}
        articles = [plan for plan in plans.values() if plan[1] == "article"]
        if (self.stop_on_known and not self.full and self.previous_run_finished and articles
                and all(known for _, _, known, _ in articles)):
            # Nothing new on this page: the pages after it are older still.
            if any(_is_pager(link) for link in links):
                stats.inc_value("incremental/pagination_stopped")
                links = [link for link in links if not _is_pager(link)]
        # Pagination keeps the list's depth (crawler.middlewares) but counts its own
        # hops, so that a list of 500 pages is walked and an endless one is not.
        hops = response.meta.get("pager_hops", 0) + 1
        pagers = [link for link in links if _is_pager(link)]
        if pagers and hops > self.pagination_limit:
            stats.inc_value("news/skipped/pagination_limit", len(pagers))
            pagers = []
        yield from self._follow((link.url for link in links if not _is_pager(link)), plans=plans)
        yield from self._follow((link.url for link in pagers), {"pager": True, "pager_hops": hops}, plans)

    async def _parse_article(self, response, content_type) -> list:
        # In a worker process when PROCESS_WORKERS > 0: the reactor goes on fetching meanwhile.
        # A coroutine returning a list, not an async generator: Scrapy's spider middlewares
        # then take the output as a plain list, which costs it less per page.
        article, dropped = await self.workers.run(
            extract_page, response.url, response.body, content_type, response.status,
            datetime.now(timezone.utc).isoformat(timespec="seconds"), self.profile, self.repair_ahead)
        output = []
        if dropped is not None:
            reason, message = dropped
            self.crawler.stats.inc_value(f"extract/dropped/{reason}")
            self.logger.warning("Dropped page: %s", message)
        if article is not None:
            article.redirected_from = list(response.meta.get("redirect_urls", []))
            article.etag = _header(response, "ETag")
            article.last_modified = _header(response, "Last-Modified")
            output.append(article)
            output.extend(self._follow(crumb["url"] for crumb in article.breadcrumb if crumb["url"]))
        if self.follow_article_links:
            output.extend(self._follow(link.url for link in self._links.extract_links(response)))
        return output
