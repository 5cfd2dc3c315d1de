"""Failure recorder: every request the crawl gave up on, in the ``failures`` table of ``SQLITE_PATH``.

Enabled by ``FAILURES_ENABLED``; the reasons and the table are described in
:mod:`crawler.failures` and the README ("Hostile web"). It listens to:

- ``request_failed`` (:mod:`crawler.failures`), sent by the news spider's errback with
  the failure a request ended with: retries used up, an HTTP error, a refusal by one
  of the project's middlewares (redirects, private addresses, sizes, truncated bodies);
- ``spider_error`` (a callback raised) and ``item_error`` (a pipeline raised);
- ``response_received``: a URL that answers again is taken out of the table.

One row per URL (its canonical form; for a redirect chain, the URL the crawler was
sent to), upserted: ``attempts`` and ``last_status`` are those of the last run it failed
in, ``runs`` counts the runs, ``first_failed_at`` stays. Rows are written in batches of
``FAILURES_BATCH_SIZE``, one transaction each, or once the oldest waiting row is
``FAILURES_FLUSH_SECONDS`` old, and when the spider closes; a ``kill -9`` loses at most
one batch, which the next run records again. Stats: ``failures/count``,
``failures/<reason>``, ``failures/resolved``.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import datetime, timezone

from scrapy import signals
from scrapy.exceptions import NotConfigured

from .. import failures
from ..storage import connect
from ..urls import canonical_url

logger = logging.getLogger(__name__)


class FailureRecorder:
    def __init__(self, crawler, path: str, batch_size: int = 100, flush_seconds: float = 5.0):
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = path
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.conn: sqlite3.Connection | None = None
        # url -> row to upsert, or None: the URL answered since, its row goes.
        self.pending: dict[str, tuple | None] = {}
        self.pending_since = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("FAILURES_ENABLED"):
            raise NotConfigured("FAILURES_ENABLED is off")
        path = settings.get("SQLITE_PATH")
        if not path:
            raise NotConfigured("SQLITE_PATH is empty: failures are recorded in the crawl database")
        batch_size = settings.getint("FAILURES_BATCH_SIZE")
        if batch_size < 1:
            raise NotConfigured(f"FAILURES_BATCH_SIZE must be at least 1, got {batch_size}")
        ext = cls(crawler, path, batch_size, settings.getfloat("FAILURES_FLUSH_SECONDS"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.request_failed, signal=failures.request_failed)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    # ------------------------------------------------------------------ signals
    def spider_opened(self, spider):
        self.conn = connect(self.path, search_index=False)
        failures.ensure_table(self.conn)

    def spider_closed(self, spider, reason):
        try:
            self.flush()
        finally:
            if self.conn is not None:
                self.conn.close()
                self.conn = None

    def request_failed(self, failure, request, spider=None):
        failed = failures.classify(failure.value)
        if failed is not None:
            self.record(request, failed)

    def spider_error(self, failure, response, spider=None):
        request = getattr(response, "request", None)
        if request is not None:
            status = getattr(response, "status", None)
            self.record(request, failures.Failed("spider_error", status, _describe(failure.value)))

    def item_error(self, item, response, spider=None, failure=None):
        request = getattr(response, "request", None)
        if request is not None:
            exc = failure.value if failure is not None else None
            self.record(request, failures.Failed("item_error", getattr(response, "status", None), _describe(exc)))

    def response_received(self, response, request, spider=None):
        if (200 <= response.status < 300 or response.status == 304) and self.conn is not None:
            url = canonical_url(failures.chain_start(request))
            if url in self.pending or self.conn.execute("SELECT 1 FROM failures WHERE url = ?", (url,)).fetchone():
                self._queue(url, None)
                self.stats.inc_value("failures/resolved")
        self._maybe_flush()

    # ------------------------------------------------------------------ writing
    def record(self, request, failed: failures.Failed) -> None:
        url = canonical_url(failures.chain_start(request))
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._queue(url, (url, failed.reason, failures.attempts(request), failed.status, failed.detail[:1000],
                          now, self._run_id()))
        self.stats.inc_value("failures/count")
        self.stats.inc_value(f"failures/{failed.reason}")
        logger.info("Failure recorded: %s %s (%s attempt(s), last status %s) %s", failed.reason, url,
                    failures.attempts(request), failed.status, failed.detail)
        self._maybe_flush()

    def _queue(self, url: str, row: tuple | None) -> None:
        if not self.pending:
            self.pending_since = time.monotonic()
        previous = self.pending.get(url)
        if row is not None and previous is not None and previous[6] == row[6]:
            # Failed twice in this run (a start URL is never filtered): the attempts add up.
            row = row[:2] + (previous[2] + row[2],) + row[3:]
        self.pending[url] = row

    def _maybe_flush(self) -> None:
        if self.pending and (len(self.pending) >= self.batch_size
                             or time.monotonic() - self.pending_since >= self.flush_seconds):
            self.flush()

    def flush(self) -> None:
        if not self.pending or self.conn is None:
            return
        rows = [row for row in self.pending.values() if row is not None]
        resolved = [url for url, row in self.pending.items() if row is None]
        try:
            failures.write(self.conn, rows, resolved)
        except sqlite3.Error:
            # A failure record is worth less than the crawl: count it, log it, go on.
            self.stats.inc_value("failures/write_error")
            logger.warning("Could not write %d failure rows to %s", len(self.pending), self.path, exc_info=True)
        self.pending = {}

    def _run_id(self) -> int | None:
        from .runs import CrawlRunRecorder

        try:
            recorder = self.crawler.get_extension(CrawlRunRecorder)
        except RuntimeError:  # no extension manager: a component test
            return None
        return getattr(recorder, "run_id", None)


def _describe(exc) -> str:
    return f"{type(exc).__name__}: {exc}" if exc is not None else ""
