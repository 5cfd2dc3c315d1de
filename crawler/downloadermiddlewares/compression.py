"""gzip and deflate bodies checked before Scrapy decompresses them: complete, and not a bomb.

Enabled by ``COMPRESSION_CHECK_ENABLED``; runs just before Scrapy's
``HttpCompressionMiddleware``. Scrapy's ``gunzip`` keeps what it could inflate of a
stream that ends early, so a gzip body cut short inside a complete HTTP response (a
proxy or CMS that failed mid-write) reaches the spider as half a page, and half an
article would be stored. Here the stream is inflated (output discarded, memory bounded)
to see whether it ends where it should:

- it stops before its end: the request is retried like a dropped connection
  (``RETRY_TIMES``), then given up with reason ``truncated_body``;
- it inflates past ``DOWNLOAD_MAXSIZE`` (a gzip bomb: 70 KB → 64 MB): refused at once with
  reason ``too_large``, before anything is kept in memory (Scrapy would stop there too,
  with an unrecorded ``IgnoreRequest``).

Bodies that do not inflate at all are left to Scrapy. Stats: ``compression/truncated``,
``compression/too_large``.
"""

from __future__ import annotations

import zlib

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured

from ..failures import CrawlFailure

_CHUNK = 1 << 20


def inflate_state(body: bytes, encoding: str, max_size: int) -> str:
    """``"ok"``, ``"truncated"``, ``"too_large"`` or ``"corrupt"`` for a gzip/deflate body.

    >>> import gzip
    >>> packed = gzip.compress(b"<p>" * 5000)
    >>> inflate_state(packed, "gzip", 0), inflate_state(packed[:40], "gzip", 0), inflate_state(packed, "gzip", 100)
    ('ok', 'truncated', 'too_large')
    """
    wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
    decoder = zlib.decompressobj(wbits)
    data, total, members = body, 0, 0
    while True:
        try:
            out = decoder.decompress(data, _CHUNK)
        except zlib.error:
            if members:
                return "ok"  # garbage after a complete stream: ignored, as Scrapy does
            if wbits == zlib.MAX_WBITS and total == 0:  # "deflate" that is raw deflate
                wbits, decoder, data = -zlib.MAX_WBITS, zlib.decompressobj(-zlib.MAX_WBITS), body
                continue
            return "corrupt"
        total += len(out)
        if max_size and total > max_size:
            return "too_large"
        if decoder.eof:
            members += 1
            rest = decoder.unused_data
            if wbits > zlib.MAX_WBITS and rest.strip(b"\0"):  # another gzip member follows
                decoder, data = zlib.decompressobj(wbits), rest
                continue
            return "ok"
        data = decoder.unconsumed_tail
        if not data and not out:
            return "truncated"


class CompressionCheckMiddleware:
    def __init__(self, crawler, max_size: int):
        self.crawler = crawler
        self.max_size = max_size

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("COMPRESSION_CHECK_ENABLED") or not settings.getbool("COMPRESSION_ENABLED"):
            raise NotConfigured("COMPRESSION_CHECK_ENABLED (or COMPRESSION_ENABLED) is off")
        return cls(crawler, settings.getint("DOWNLOAD_MAXSIZE"))

    def process_response(self, request, response, spider=None):
        encodings = response.headers.getlist("Content-Encoding")
        if request.method == "HEAD" or not response.body or not encodings:
            return response
        encoding = encodings[-1].decode("latin-1").strip().lower()
        if encoding not in ("gzip", "x-gzip", "deflate"):
            return response
        max_size = request.meta.get("download_maxsize", self.max_size)
        state = inflate_state(response.body, encoding, max_size)
        stats = self.crawler.stats
        if state == "too_large":
            stats.inc_value("compression/too_large")
            raise CrawlFailure("too_large", f"{len(response.body)} B of {encoding} inflate past DOWNLOAD_MAXSIZE "
                                            f"({max_size} B)", response.status)
        if state == "truncated":
            stats.inc_value("compression/truncated")
            retry = get_retry_request(request, spider=self.crawler.spider, reason="truncated_body")
            if retry is not None:
                return retry
            raise CrawlFailure("truncated_body", f"{len(response.body)} B of {encoding} end before the stream does",
                               response.status)
        return response
