"""Retries of 429 and 503 answers wait for their ``Retry-After`` (RFC 9110 §10.2.3).

Enabled by ``RETRY_AFTER_ENABLED``. Scrapy's ``RetryMiddleware`` retries a 429 or 503
at once (at a lower priority); a server that says how long to wait is asked again only
after that many seconds (or at that HTTP date). The wait holds this request only: other
requests to the site go on, at the pace ``DOWNLOAD_DELAY``/AutoThrottle set. A wait
longer than ``RETRY_AFTER_MAX_DELAY`` is not made: the request is given up at once with
reason ``retry_after_too_long`` (:mod:`crawler.failures`), to be fetched by a later run,
rather than holding the crawl for an hour. When the request has no retries left, there is
nothing to wait for and Scrapy's retry gives up as usual. Stats: ``retry_after/waited``,
``retry_after/seconds``, ``retry_after/too_long``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from ..failures import CrawlFailure


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or HTTP-date), or None.

    >>> retry_after_seconds(b"120"), retry_after_seconds("soon")
    (120.0, None)
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc))
    30.0
    """
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware:
    def __init__(self, crawler, max_delay: float, max_retry_times: int, codes: frozenset[int]):
        self.crawler = crawler
        self.max_delay = max_delay
        self.max_retry_times = max_retry_times
        self.codes = codes

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("RETRY_AFTER_ENABLED") or not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("RETRY_AFTER_ENABLED (or RETRY_ENABLED) is off")
        retried = {int(c) for c in settings.getlist("RETRY_HTTP_CODES")}
        return cls(crawler, settings.getfloat("RETRY_AFTER_MAX_DELAY"), settings.getint("RETRY_TIMES"),
                   frozenset({429, 503} & retried))

    async def process_response(self, request, response, spider=None):
        if response.status not in self.codes or request.meta.get("dont_retry", False):
            return response
        delay = retry_after_seconds(response.headers.get("Retry-After"))
        retries_left = request.meta.get("max_retry_times", self.max_retry_times) - request.meta.get("retry_times", 0)
        if delay is None or retries_left <= 0:
            return response
        stats = self.crawler.stats
        if delay > self.max_delay:
            stats.inc_value("retry_after/too_long")
            raise CrawlFailure("retry_after_too_long",
                               f"Retry-After {delay:.0f} s > RETRY_AFTER_MAX_DELAY {self.max_delay:.0f} s",
                               response.status)
        stats.inc_value("retry_after/waited")
        stats.inc_value("retry_after/seconds", delay)
        from twisted.internet import reactor

        await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        return response  # RetryMiddleware, next in line, retries it now
