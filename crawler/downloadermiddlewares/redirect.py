"""Redirects that refuse to go where the crawl was not sent: Scrapy's ``RedirectMiddleware``
with a check of every ``Location`` before it is followed.

Replaces ``scrapy.downloadermiddlewares.redirect.RedirectMiddleware`` (same settings:
``REDIRECT_ENABLED``, ``REDIRECT_MAX_TIMES``). A redirect is refused, and the request
recorded as failed (:mod:`crawler.failures`), when it leads

- to a non-http(s) URL (``ftp:``, ``javascript:``, ``file:``): ``redirect_scheme``
  (Scrapy hands the first and last to the spider as error pages and fails on the second);
- back to a URL of its own chain (a → b → a, a → a): ``redirect_loop`` (Scrapy's duplicate
  filter drops those silently, and not at all for start URLs, which are never filtered);
- one hop past ``REDIRECT_MAX_TIMES``: ``redirect_limit``;
- to a host outside the spider's ``allowed_domains`` (sub-hosts included), unless the
  site profile's ``redirect_domains`` lists it: ``redirect_offsite`` (Scrapy's offsite
  filter drops those silently). A redirect the profile allows is marked ``allow_offsite``.

Private and loopback targets inside the crawl are left to :mod:`.addressfilter`, which
checks every request, redirected or not, before it is sent.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from w3lib.url import canonicalize_url

from ..failures import CrawlFailure

_REDIRECTS = {301, 302, 303, 307, 308}


def _same(url: str) -> str:
    return canonicalize_url(url, keep_fragments=False)


def host_regex(domains) -> re.Pattern | None:
    """Scrapy's offsite rule: a host is one of ``domains`` or a sub-host of one (None: all hosts)."""
    domains = [re.escape(d.lower()) for d in domains or () if d]
    return re.compile(rf"^(.*\.)?({'|'.join(domains)})$") if domains else None


class SafeRedirectMiddleware(RedirectMiddleware):
    def _handled(self, request, response) -> bool:
        """The 3xx is for the spider, as in Scrapy: not a redirect to follow or refuse."""
        return bool(request.meta.get("dont_redirect", False) or request.meta.get("handle_httpstatus_all", False)
                    or response.status in getattr(self.crawler.spider, "handle_httpstatus_list", ())
                    or response.status in request.meta.get("handle_httpstatus_list", ()))

    def process_response(self, request, response, spider=None):
        location = response.headers.get("Location")
        if location is not None and response.status in _REDIRECTS and not self._handled(request, response):
            target = location.decode("latin-1").strip()
            if target.startswith("//"):
                target = urlsplit(request.url).scheme + ":" + target
            # Checked before Scrapy builds the request: it hands back some (ftp:, file:) and
            # fails on others (javascript:).
            if urlsplit(urljoin(request.url, target)).scheme.lower() not in ("http", "https"):
                raise CrawlFailure("redirect_scheme", f"{request.url} -> {target[:200]}", response.status)
        try:
            result = super().process_response(request=request, response=response)
        except IgnoreRequest as exc:  # "max redirections reached"
            raise CrawlFailure("redirect_limit", f"{request.url}: more than {self.max_redirect_times} redirects "
                                                 f"from {request.meta.get('redirect_urls', [request.url])[0]}",
                               response.status) from exc
        if not isinstance(result, Request):
            return result
        chain = {_same(u) for u in result.meta.get("redirect_urls", ())}
        if _same(result.url) in chain:
            raise CrawlFailure("redirect_loop", f"{request.url} -> {result.url}", response.status)
        host = (urlsplit(result.url).hostname or "").lower()
        spider = self.crawler.spider
        allowed = host_regex(getattr(spider, "allowed_domains", None))
        if allowed is not None and not allowed.search(host):
            profile = getattr(spider, "profile", None)
            extra = host_regex(getattr(profile, "redirect_domains", ()))
            if extra is None or not extra.search(host):
                raise CrawlFailure("redirect_offsite", f"{request.url} -> {result.url}", response.status)
            result.meta["allow_offsite"] = True
        return result
