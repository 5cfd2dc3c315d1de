"""Distributed crawling on scrapy-redis: many worker processes, one queue, one writer.

Documented in the README ("Distributed crawling (scrapy-redis)"). Setting
``REDIS_URL`` makes a ``news`` crawl a *worker* (:func:`worker_settings`, called
from ``NewsSpider.update_settings``):

- the scheduler queue and the request dupefilter are scrapy-redis's, shared by
  every worker of the crawl (:mod:`.scheduler`, :mod:`.dupefilter`), with the
  small adapters reliability needs (:mod:`.state`);
- items go to scrapy-redis's item queue (:mod:`.pipeline`) instead of SQLite: a
  worker opens no database, takes no run lock and records no crawl run;
- ``scrapy drain`` (:mod:`crawler.commands.drain`, :mod:`.writer`) is the one
  writer: it runs the project's own ``ITEM_PIPELINES`` (repair, dedup, SQLite)
  over the queued items and acknowledges them only once they are committed.

Without ``REDIS_URL`` none of this is imported and a crawl is what it always was.
"""

from __future__ import annotations

import os
import secrets
import socket
from urllib.parse import urlsplit, urlunsplit

from ..extensions.lock import site_key
from .state import CrawlKeys

# Where a worker's items go and the writer reads them, when settings do not say.
DEFAULT_ITEMS_KEY = "cn_news:items"
DEFAULT_CRAWL_KEY = "cn_news:%(spider)s:%(site)s"


# Extensions that keep their state in SQLITE_PATH: off in a worker, which has no database.
DATABASE_EXTENSIONS = frozenset({
    "crawler.extensions.lock.RunLock",
    "crawler.extensions.runs.CrawlRunRecorder",
    "crawler.extensions.failures.FailureRecorder",
})


def worker_settings(settings) -> None:
    """Make the crawl these settings run a worker of a distributed crawl (``REDIS_URL`` set).

    Set at ``spider`` priority: above ``crawler/settings.py``, below ``-s`` on the command line.
    """
    from scrapy.utils.python import global_object_name

    priority = "spider"
    settings.set("SCHEDULER", "crawler.distributed.scheduler.Scheduler", priority)
    settings.set("DUPEFILTER_CLASS", "crawler.distributed.dupefilter.RunDupeFilter", priority)
    settings.set("ITEM_PIPELINES", {"crawler.distributed.pipeline.ItemQueuePipeline": 900}, priority)
    # The writer owns the database. A worker opens none: no seen-state (every article
    # link is followed, so pagination never stops at "all known"), no crawl_runs row,
    # no failures table, no run lock (workers of one site may share a machine).
    settings.set("SQLITE_PATH", "", priority)
    # The whole dict at spider priority: the crawler process merges the project's
    # EXTENSIONS into the crawler's again, and would win at equal priority.
    extensions = dict(settings.getdict("EXTENSIONS"))
    for key in extensions:
        if (key if isinstance(key, str) else global_object_name(key)) in DATABASE_EXTENSIONS:
            extensions[key] = None
    settings.set("EXTENSIONS", extensions, priority)


def crawl_keys(settings, spider) -> CrawlKeys:
    """The Redis keys of ``spider``'s crawl: ``DISTRIBUTED_CRAWL_KEY`` with the spider's
    name and its site (the allowed domains, as the run lock names them)."""
    profile = getattr(spider, "profile", None)
    site = site_key(getattr(spider, "allowed_domains", None), getattr(profile, "name", None) or spider.name)
    prefix = (settings.get("DISTRIBUTED_CRAWL_KEY") or DEFAULT_CRAWL_KEY) % {"spider": spider.name, "site": site}
    return CrawlKeys(prefix, items_key(settings, spider.name))


def items_key(settings, spider_name: str = "news") -> str:
    return (settings.get("REDIS_ITEMS_KEY") or DEFAULT_ITEMS_KEY) % {"spider": spider_name}


def process_name() -> str:
    """A name for this process in Redis: host, PID and a random part (PIDs are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def redacted(url: str) -> str:
    """A Redis URL fit for a log line: the password replaced.

    >>> redacted("redis://:s3cret@10.0.0.5:6379/0")
    'redis://:***@10.0.0.5:6379/0'
    >>> redacted("redis://127.0.0.1:6379")
    'redis://127.0.0.1:6379'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
