"""No request to a private, loopback or link-local address, unless the crawl was sent there.

Enabled by ``ADDRESS_FILTER_ENABLED``. A public portal that redirects (or links) to
``http://10.0.0.1/``, ``http://127.0.0.1:8080/``, ``http://169.254.169.254/`` (cloud
metadata) or to a name of its own that resolves to one of those (``intranet.example.gov.cn``
→ 10.1.2.3) would otherwise make the crawler fetch from inside its own network. Every
request to a host other than the start URLs' hosts is checked before it is sent: an IP
literal as written (also decimal and hex forms, which resolve to one), a name through the
crawl's own resolver (Scrapy's DNS cache then hands the download the same answer). An
address that is not globally routable (RFC 1918, loopback, link-local, CGNAT, unique-local,
unspecified, reserved, multicast) refuses the request with reason ``private_address``
(:mod:`crawler.failures`); no connection is made.

Allowed when the crawl itself starts on such an address (a start URL's host is a private
IP literal or ``localhost``: the sample portal on 127.0.0.1), when the site profile
says ``allow_private_addresses = true``, and for spiders without start URLs (``scrapy
fetch``, ``scrapy shell``: a URL typed by hand). A name that does not resolve is left to the
download, which fails with ``dns``.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached

from ..failures import CrawlFailure

logger = logging.getLogger(__name__)


def non_public(address: str) -> bool:
    """True for an address a public web site has no business sending a crawler to.

    >>> [non_public(a) for a in ("10.0.0.1", "127.0.0.2", "169.254.169.254", "100.64.1.1", "::1",
    ...                          "::ffff:192.168.1.1", "0.0.0.0", "203.0.113.9", "8.8.8.8")]
    [True, True, True, True, True, True, True, True, False]
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def literal_address(host: str) -> str | None:
    """The address a host names when it is an IP literal, else None.

    >>> literal_address("[::1]"), literal_address("127.0.0.1"), literal_address("news.cn")
    ('::1', '127.0.0.1', None)
    """
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def is_private_host(host: str) -> bool:
    """A host that is private by its name alone: ``localhost`` or a non-public IP literal."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    address = literal_address(host)
    return address is not None and non_public(address)


class AddressFilterMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.trusted: frozenset[str] = frozenset()
        self.allow_all = False

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ADDRESS_FILTER_ENABLED"):
            raise NotConfigured("ADDRESS_FILTER_ENABLED is off")
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider):
        hosts = {(urlsplit(u).hostname or "").lower() for u in getattr(spider, "start_urls", ())}
        self.trusted = frozenset(hosts)
        profile = getattr(spider, "profile", None)
        # No start URLs: `scrapy fetch`/`scrapy shell` of a URL typed by hand; nothing to protect.
        self.allow_all = (not hosts or bool(getattr(profile, "allow_private_addresses", False))
                          or any(is_private_host(h) for h in hosts))
        if self.allow_all:
            logger.debug("Private addresses allowed: the crawl starts on one, or its profile allows them")

    async def process_request(self, request, spider=None):
        if self.allow_all:
            return None
        host = (urlparse_cached(request).hostname or "").lower()
        if not host or host in self.trusted:
            return None
        address = literal_address(host)
        if address is None:
            from twisted.internet import reactor

            try:
                address = await maybe_deferred_to_future(reactor.resolve(host))
            except Exception:  # noqa: BLE001 - the download reports DNS errors itself
                return None
        if non_public(address):
            self.crawler.stats.inc_value("address_filter/refused")
            reasons = request.meta.get("redirect_reasons") or [None]
            status = reasons[-1] if isinstance(reasons[-1], int) else None
            raise CrawlFailure("private_address", f"{request.url}: {host} is {address}", status)
        return None
