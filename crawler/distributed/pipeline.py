"""Worker item pipeline: every item into scrapy-redis's item queue, for the one writer.

``scrapy_redis.pipelines.RedisPipeline`` with two changes: the push is synchronous
(scrapy-redis pushes from a thread), so that when the engine is done with a
request its items are in Redis and the scheduler may acknowledge it
(:mod:`crawler.distributed.scheduler`); and JSON keeps Chinese as UTF-8 rather
than ``\\uXXXX`` escapes, half the bytes in Redis. Scrapy 2.13's
``process_item(item)`` signature.

Settings: ``REDIS_ITEMS_KEY`` (the list; ``%(spider)s`` is the spider's name),
``REDIS_ITEMS_SERIALIZER`` (scrapy-redis's, a dotted path to ``item -> str``).
Stats: ``distributed/items_queued``.
"""

from __future__ import annotations

from scrapy.utils.serialize import ScrapyJSONEncoder
from scrapy_redis.pipelines import RedisPipeline

from . import items_key

to_json = ScrapyJSONEncoder(ensure_ascii=False).encode


class ItemQueuePipeline(RedisPipeline):
    def __init__(self, server, key, serialize_func=to_json, stats=None):
        super().__init__(server, key, serialize_func)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls.from_settings(crawler.settings)
        pipeline.key = items_key(crawler.settings, crawler.spidercls.name)
        pipeline.stats = crawler.stats
        return pipeline

    def process_item(self, item):
        self.server.rpush(self.key, self.serialize(item))
        if self.stats is not None:
            self.stats.inc_value("distributed/items_queued")
        return item
