"""Downloader middlewares of the project, one per module (enabled in ``crawler/settings.py``).

- :mod:`.redirect`: Scrapy's redirects, refusing loops, long chains, other sites and
  non-http(s) targets with a recorded reason;
- :mod:`.addressfilter`: no request to a private, loopback or link-local address
  unless the crawl started on one or its profile allows it;
- :mod:`.retryafter`: a 429/503 retry waits for its ``Retry-After``;
- :mod:`.compression`: truncated gzip/deflate bodies are retried, bodies that inflate
  past ``DOWNLOAD_MAXSIZE`` refused, before Scrapy decompresses them.

Each refuses with :class:`crawler.failures.CrawlFailure`, which the failure recorder
writes into the ``failures`` table. See the README, "Hostile web".
"""
