"""The request dupefilter of distributed crawls: scrapy-redis's, bounded to one run.

``scrapy_redis.dupefilter.RFPDupeFilter`` keeps a Redis set of request
fingerprints; with ``SCHEDULER_PERSIST`` (which several workers need: the first
to stop must not empty the shared queue) the set grows with every run and never
shrinks. Here the set belongs to one run of one crawl (``<crawl>:dupefilter``,
see :mod:`crawler.distributed.state`):

- it is deleted when the run ends (the last worker leaves with nothing queued),
  so the next scheduled run starts with no fingerprints, as a single-machine run does;
- it expires ``DISTRIBUTED_RUN_TTL`` seconds (default one day) after the last
  heartbeat of a worker of the run, when a run is abandoned (every worker killed);
- its members are the 20-byte SHA-1 digests of Scrapy's own request fingerprinter
  (``REQUEST_FINGERPRINTER_CLASS``), not 40-character hex strings: the same requests
  count as duplicates as in a single-process crawl, and a run of N requests holds
  about N × 65 bytes in Redis (hex strings: N × 96; measured by
  ``tests/test_distributed.py``): 65 MB for a million requests.

Within a run the set is exact (no Bloom filter): a false positive would be a page
never fetched, an article lost. README: "Distributed crawling (scrapy-redis)".
"""

from __future__ import annotations

from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter

from . import crawl_keys


class RunDupeFilter(RFPDupeFilter):
    def __init__(self, server, key, debug=False, fingerprinter=None):
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_spider(cls, spider):
        settings = spider.settings
        return cls(get_redis_from_settings(settings), crawl_keys(settings, spider).dupefilter,
                   settings.getbool("DUPEFILTER_DEBUG"), spider.crawler.request_fingerprinter)

    def request_fingerprint(self, request) -> bytes:
        if self.fingerprinter is None:  # built without a crawler (from_settings): scrapy-redis's hex digest
            return super().request_fingerprint(request)
        return self.fingerprinter.fingerprint(request)

    def close(self, reason=""):
        """Keep the fingerprints: they are the run's, not this worker's (scrapy-redis deletes them here)."""
