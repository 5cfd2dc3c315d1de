"""The ``news`` spider: section pages, list pages, pagination and breadcrumbs to articles.

    scrapy crawl news -a start_url=http://www.example.gov.cn/

Allowed domains are the start URL's host (``www.`` dropped so sub-hosts of the
portal count too). From list pages every link is followed; from article pages
only the breadcrumb trail, which is how sections that no navigation shows are
found (set ``NEWS_FOLLOW_ARTICLE_LINKS`` to follow everything). Whether a page
is an article is :func:`crawler.extraction.page_kind`'s call.

Stats: ``news/pages/article``, ``news/pages/list``, ``news/skipped/non_html``,
``extract/dropped/<reason>``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from ..extraction import ExtractionError, extract_article, page_kind
from ..urls import canonical_url


def _domain_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    if not host:
        raise ValueError(f"start_url {url!r} has no host: give a full URL such as http://www.example.gov.cn/")
    return host[4:] if host.startswith("www.") else host


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, start_url: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not start_url:
            raise ValueError("the news spider needs a start page: scrapy crawl news -a start_url=http://www.example.gov.cn/")
        self.start_urls = [u.strip() for u in start_url.split(",") if u.strip()]
        for url in self.start_urls:
            if urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"start_url {url!r} is not an http(s) URL")
        self.allowed_domains = sorted({_domain_of(u) for u in self.start_urls})
        self._links = LinkExtractor(allow_domains=None, unique=True)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.follow_article_links = crawler.settings.getbool("NEWS_FOLLOW_ARTICLE_LINKS")
        return spider

    def _request(self, url: str) -> scrapy.Request:
        # Tracking parameters (?utm_source=…&from=timeline) never change the page:
        # request the canonical form so one article is fetched once.
        return scrapy.Request(canonical_url(url), callback=self.parse)

    def parse(self, response):
        stats = self.crawler.stats
        if not isinstance(response, HtmlResponse):
            stats.inc_value("news/skipped/non_html")
            self.logger.info("Skipped non-HTML response (%s) %s",
                             response.headers.get("Content-Type", b"").decode("latin-1"), response.url)
            return
        content_type = response.headers.get("Content-Type")
        kind = page_kind(response.url, response.body, content_type)
        stats.inc_value(f"news/pages/{kind}")
        if kind == "list":
            for link in self._links.extract_links(response):
                yield self._request(link.url)
            return

        try:
            article = extract_article(
                response.url, response.body, content_type=content_type, status=response.status,
                fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            )
        except ExtractionError as exc:
            stats.inc_value(f"extract/dropped/{exc.reason}")
            self.logger.warning("Dropped page: %s", exc)
            article = None
        if article is not None:
            yield article
            for crumb in article.breadcrumb:
                if crumb["url"]:
                    yield self._request(crumb["url"])
        if self.follow_article_links:
            for link in self._links.extract_links(response):
                yield self._request(link.url)
