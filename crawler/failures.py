"""Failed requests: the reasons, the exception components raise, and the ``failures`` table.

A request fails for good when its retries are used up (a 503 burst longer than
``RETRY_TIMES``, a stalled connection, a dropped body), when it is answered with
an HTTP error that is not retried (404), or when a component refuses it (a
redirect loop or one to another site, a private address, a body too big). The
crawler then writes one row into ``failures`` (see :mod:`crawler.extensions.failures`)
and counts ``failures/<reason>``. The reasons:

=========================  ======================================================
``http_<status>``          an HTTP error status after its retries (``http_503``, ``http_404``)
``timeout``                no complete answer within ``DOWNLOAD_TIMEOUT``, every attempt
``data_loss``              the connection closed before ``Content-Length`` bytes arrived
``truncated_body``         a gzip/deflate body that ends before its compressed stream does
``connection_lost``        the connection failed otherwise (reset, closed before an answer)
``connection_refused``     nothing listens on the port
``dns``                    the host name does not resolve
``too_large``              the body, or what it inflates to, exceeds ``DOWNLOAD_MAXSIZE``
``retry_after_too_long``   a 429/503 asking to wait longer than ``RETRY_AFTER_MAX_DELAY``
``redirect_loop``          a redirect back to a URL of its own chain
``redirect_limit``         more than ``REDIRECT_MAX_TIMES`` redirects
``redirect_offsite``       a redirect to a host outside the crawl (and the profile's ``redirect_domains``)
``redirect_scheme``        a redirect to a non-http(s) URL (``ftp:``, ``javascript:``, ``file:``)
``private_address``        a host that is, or resolves to, a private, loopback or link-local address
``download_error``         any other download exception (its class in ``detail``)
``spider_error``           the spider's callback raised
``item_error``             a pipeline raised on the page's item
=========================  ======================================================

What is *not* a failure: links robots.txt forbids (``robotstxt/forbidden``), offsite
links (``offsite/filtered``), duplicates, trap limits (``traps/*``), pages that are no
article (``extract/dropped/*``). They are policy, counted in the stats.

Nothing here imports a Scrapy component: components raise :class:`CrawlFailure`,
the spider's errback sends :data:`request_failed`, the extension listens.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as tx_error
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

# Sent by the news spider's errback for every request that failed for good:
# send_catch_log(request_failed, failure=Failure, request=Request, spider=Spider).
request_failed = object()


class CrawlFailure(IgnoreRequest):
    """A request given up on by one of the project's components, with the reason to record."""

    def __init__(self, reason: str, detail: str = "", status: int | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class Failed:
    """What one failure records: reason, last HTTP status (None without an answer), detail."""

    reason: str
    status: int | None = None
    detail: str = ""


def classify(exc: BaseException) -> Failed | None:
    """The :class:`Failed` record of an exception a request ended with, or None when
    the request was dropped on purpose (robots.txt, offsite, duplicates), which is no failure.

    >>> classify(CrawlFailure("redirect_loop", "http://a.cn/x", 301))
    Failed(reason='redirect_loop', status=301, detail='http://a.cn/x')
    >>> classify(DownloadTimeoutError("Getting http://a.cn/ took longer than 30 seconds.")).reason
    'timeout'
    >>> classify(IgnoreRequest("Forbidden by robots.txt")) is None
    True
    """
    if isinstance(exc, CrawlFailure):
        return Failed(exc.reason, exc.status, exc.detail)
    if isinstance(exc, HttpError):
        status = exc.response.status
        return Failed(f"http_{status}", status, exc.response.headers.get("Location", b"").decode("latin-1"))
    detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    if isinstance(exc, IgnoreRequest):
        # Scrapy's own refusals: only its size limit during decompression (br, zstd; gzip
        # and deflate are checked before, by crawler.downloadermiddlewares.compression).
        if "DOWNLOAD_MAXSIZE" in str(exc):
            return Failed("too_large", None, detail)
        if "max redirections" in str(exc):
            return Failed("redirect_limit", None, detail)
        return None
    for kinds, reason in _DOWNLOAD_ERRORS:
        if isinstance(exc, kinds):
            return Failed(reason, None, detail)
    return Failed("download_error", None, detail)


_DOWNLOAD_ERRORS = (
    ((DownloadTimeoutError, tx_error.TimeoutError), "timeout"),
    ((ResponseDataLossError,), "data_loss"),
    ((DownloadCancelledError,), "too_large"),   # the only cancel in a crawl: DOWNLOAD_MAXSIZE
    ((DownloadConnectionRefusedError, tx_error.ConnectionRefusedError), "connection_refused"),
    ((CannotResolveHostError, tx_error.DNSLookupError), "dns"),
    ((DownloadFailedError, ResponseFailed, ResponseNeverReceived, tx_error.ConnectionLost,
      tx_error.ConnectionDone, tx_error.ConnectError), "connection_lost"),
)


def chain_start(request) -> str:
    """The URL the crawler was sent to: the first of a redirect chain, else the request's."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def attempts(request) -> int:
    """How many times the request was sent: one plus its retries."""
    return request.meta.get("retry_times", 0) + 1


SCHEMA = """
CREATE TABLE IF NOT EXISTS failures (
    url TEXT PRIMARY KEY,        -- the URL the crawler was sent to (first of a redirect chain), canonical form
    reason TEXT NOT NULL,        -- see crawler.failures: http_503, timeout, redirect_offsite …
    attempts INTEGER NOT NULL,   -- requests sent for it in the last run it failed in (1 + retries)
    runs INTEGER NOT NULL,       -- how many runs it failed in
    last_status INTEGER,         -- HTTP status of the last answer; NULL when none came
    detail TEXT,                 -- the exception, the redirect target, the size …
    first_failed_at TEXT NOT NULL,
    last_failed_at TEXT NOT NULL,
    run_id INTEGER               -- crawl_runs.id of the last run it failed in
);
CREATE INDEX IF NOT EXISTS failures_reason ON failures (reason);
CREATE INDEX IF NOT EXISTS failures_run ON failures (run_id);
"""

_UPSERT = (
    "INSERT INTO failures (url, reason, attempts, runs, last_status, detail, first_failed_at, last_failed_at,"
    " run_id) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET reason = excluded.reason,"
    " attempts = CASE WHEN failures.run_id IS excluded.run_id THEN failures.attempts + excluded.attempts"
    " ELSE excluded.attempts END, runs = failures.runs + (failures.run_id IS NOT excluded.run_id),"
    " last_status = excluded.last_status,"
    " detail = excluded.detail, last_failed_at = excluded.last_failed_at, run_id = excluded.run_id"
)


def ensure_table(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


def write(conn: sqlite3.Connection, rows: list[tuple], resolved: list[str]) -> None:
    """One transaction: upsert the failure ``rows`` (url, reason, attempts, last_status,
    detail, failed_at, run_id) and delete the rows of URLs that have since been fetched."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(_UPSERT, [(url, reason, n, status, detail, at, at, run) for
                                   url, reason, n, status, detail, at, run in rows])
        conn.executemany("DELETE FROM failures WHERE url = ?", [(url,) for url in resolved])


__all__ = ["CrawlFailure", "Failed", "SCHEMA", "attempts", "chain_start", "classify", "ensure_table",
           "request_failed", "write"]
