"""The scheduler of distributed crawls: scrapy-redis's, made safe to kill and to stop.

``scrapy_redis.scheduler.Scheduler`` shares one request queue and one
dupefilter between the workers of a crawl. As it is, a worker killed mid-run
loses the requests it had taken (popped from Redis, gone with the process), a
kill between "fingerprint added" and "request queued" loses a page for good,
the first worker to close empties the shared queue unless ``SCHEDULER_PERSIST``,
and with it the fingerprints grow for ever. This subclass keeps scrapy-redis's
queue (``scrapy_redis.queue.PriorityQueue``: its encoding, keys and ordering) and
dupefilter (:class:`crawler.distributed.dupefilter.RunDupeFilter`) and changes:

- *enqueue* adds the fingerprint and queues the request in one Lua script;
  start requests are filtered too (every worker yields the same start URLs: the
  first one queues them);
- *next_request* moves the request into this worker's in-flight set, and it
  leaves that set only when the engine is done with it (its response scraped,
  its items pushed, its links queued): a worker killed with ``-9`` leaves its
  in-flight set behind, and when its lease (``DISTRIBUTED_LEASE_SECONDS``) runs
  out another worker puts those requests back in the queue;
- *idle close*: a worker with nothing to do stays while any request is queued
  or in flight elsewhere (links may still come), and closes (finish reason
  ``finished``) once the whole crawl has had nothing to do for
  ``DISTRIBUTED_IDLE_CLOSE_SECONDS``; so a scheduled distributed run ends
  (scrapy-redis's own idle close, ``MAX_IDLE_TIME_BEFORE_CLOSE``, belongs to its
  ``RedisSpider``, which reads start URLs from Redis through the pre-2.13
  ``start_requests()`` and counts idle time from when its module was imported);
- *close* never empties the shared queue; the last worker to leave with nothing
  queued deletes the run's fingerprints.

"Done with a request" is read from the engine's set of requests in progress
(``engine._slot.inprogress``, filled before the download, emptied after the
scrape and the item pipelines): Scrapy has no signal for it. Without that set
(another Scrapy) requests are acknowledged only when the worker closes, which
is safe and re-fetches more after a kill.

Stats: ``scheduler/enqueued/redis``, ``scheduler/dequeued/redis`` (scrapy-redis's),
``distributed/recovered`` (requests of dead workers put back in the queue),
``distributed/redis_error``.
"""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.misc import load_object
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task

from . import crawl_keys, process_name, redacted
from .state import CrawlState

logger = logging.getLogger(__name__)

# How often (at most) a worker acknowledges finished requests, renews its lease when
# due and looks for requests other workers queued while it had nothing to do.
TICK_SECONDS = 1.0


class Scheduler(RedisScheduler):
    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        url = settings.get("REDIS_URL")
        try:
            scheduler = super().from_crawler(crawler)  # connects and pings Redis
        except RedisError as exc:
            raise RuntimeError(f"Cannot reach Redis at REDIS_URL={redacted(url)}: {exc}") from None
        scheduler.crawler = crawler
        scheduler.settings = settings
        scheduler.worker = process_name()
        scheduler.lease = settings.getfloat("DISTRIBUTED_LEASE_SECONDS", 30.0)
        scheduler.ttl = settings.getfloat("DISTRIBUTED_RUN_TTL", 86400.0)
        scheduler.idle_close = settings.getfloat("DISTRIBUTED_IDLE_CLOSE_SECONDS", 30.0)
        scheduler.url = url
        scheduler.taken = {}  # Request -> its encoded form, as in the in-flight set
        scheduler.idle_since = None
        scheduler.last_heartbeat = 0.0
        scheduler.ticker = None
        scheduler.warned_no_inprogress = False
        # Set after a Redis error while queueing a request or an item: until the worker is
        # idle no request is acknowledged (one of them lost an output), then all are queued again.
        scheduler.lost_write = False
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.item_error, signal=signals.item_error)
        return scheduler

    def open(self, spider):
        # scrapy-redis's open(), with the crawl's keys (and without its deprecated spider.log()).
        self.spider = spider
        self.keys = crawl_keys(self.settings, spider)
        self.queue_key = self.keys.requests
        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider, key=self.queue_key,
                                                 serializer=self.serializer)
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        self.state = CrawlState(self.server, self.keys, self.worker, self.lease, self.ttl)
        self.state.heartbeat()
        self._recover()
        self.last_heartbeat = time.monotonic()
        logger.info("Distributed worker %s joined crawl %s at %s (%d requests queued, %d pending in all)",
                    self.worker, self.keys.prefix, redacted(self.url), len(self.queue), self.state.pending())
        self.ticker = task.LoopingCall(self._tick)
        self.ticker.start(min(TICK_SECONDS, self.lease / 3), now=False)

    def close(self, reason):
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        # The engine closes the scheduler after every request in progress is done.
        if not self.lost_write:
            self.state.finish(list(self.taken.values()))
        self.taken.clear()
        if self.state.leave():
            logger.info("Crawl %s finished: last worker out, its fingerprints deleted", self.keys.prefix)
        else:
            logger.info("Distributed worker %s left crawl %s (%s)", self.worker, self.keys.prefix, reason)

    def enqueue_request(self, request):
        # Every worker yields the same start requests (dont_filter, as Scrapy makes
        # them): filtered here, so that the first worker's are the ones queued.
        filtered = not request.dont_filter or request.meta.get("is_start_request", False)
        fingerprint = self.df.request_fingerprint(request) if filtered else None
        try:
            queued = self.state.enqueue(fingerprint, -request.priority, self.queue._encode_request(request))
        except RedisError as exc:
            self._lost(f"request {request.url}", exc)
            return False
        if not queued:
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        try:
            self._finish_done()
            data = self.state.take()
        except RedisError as exc:  # what was taken and not answered is in flight here: not lost
            self.stats.inc_value("distributed/redis_error")
            logger.warning("Redis error taking a request (%s); retrying", exc)
            return None
        if data is None:
            return None
        request = self.queue._decode_request(data)
        self.taken[request] = data
        self.idle_since = None
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self):
        try:
            self._finish_done()
            return len(self.queue) > 0
        except RedisError:  # cannot tell: not idle
            return True

    def spider_idle(self, spider):
        """This worker has nothing to do: stay while the crawl has work anywhere, close
        after ``DISTRIBUTED_IDLE_CLOSE_SECONDS`` of nothing."""
        try:
            self._finish_done()
            if self.lost_write:  # idle: what this worker holds is done, some outputs lost: again
                logger.warning("Queueing again the %d request(s) finished since the Redis error",
                               self.state.requeue())
                self.lost_write = False
            self._recover()
            pending = self.state.pending()
        except RedisError as exc:  # cannot tell: stay
            logger.warning("Redis error while idle (%s); retrying", exc)
            raise DontCloseSpider from None
        if pending or self.idle_close <= 0:
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
            logger.info("Crawl %s has nothing queued or in flight: closing in %.0f s unless work comes",
                        self.keys.prefix, self.idle_close)
        if now - self.idle_since < self.idle_close:
            raise DontCloseSpider

    def item_error(self, item, response, spider, failure):
        if failure.check(RedisError):  # the item pipeline could not queue it
            self._lost("an item", failure.value)

    def _lost(self, what: str, exc: Exception) -> None:
        self.stats.inc_value("distributed/redis_error")
        logger.error("Redis error queueing %s (%s): this worker acknowledges no request until it is "
                     "idle, then queues again every request it finished meanwhile (nothing is lost)", what, exc)
        self.lost_write = True

    def _engine_slot(self):
        try:
            engine = self.crawler.engine
        except (AttributeError, RuntimeError):  # not set yet
            return None
        return getattr(engine, "_slot", None)

    def _finish_done(self):
        """Acknowledge the taken requests the engine is done with."""
        if not self.taken:
            return
        slot = self._engine_slot()
        inprogress = getattr(slot, "inprogress", None)
        if inprogress is None:
            if slot is not None and not self.warned_no_inprogress:
                self.warned_no_inprogress = True
                logger.warning("The engine does not show its requests in progress: requests are "
                               "acknowledged when this worker closes (a kill re-fetches all it took)")
            return
        done = [self.taken.pop(request) for request in list(self.taken) if request not in inprogress]
        if done and not self.lost_write:
            self.state.finish(done)

    def _recover(self):
        dead, moved = self.state.recover()
        if dead:
            logger.warning("Crawl %s: %d worker(s) stopped renewing their lease; %d request(s) they had "
                           "taken are queued again", self.keys.prefix, dead, moved)
            self.stats.inc_value("distributed/recovered", moved)

    def _tick(self):
        try:
            self._finish_done()
            now = time.monotonic()
            if now - self.last_heartbeat >= self.lease / 3:
                self.state.heartbeat()
                self.last_heartbeat = now
                self._recover()
            slot = self._engine_slot()
            if slot is not None and getattr(slot, "closing", None) is None:
                slot.nextcall.schedule()  # take what other workers queued meanwhile
        except RedisError as exc:  # Redis away for a moment: the lease outlives a few ticks
            self.stats.inc_value("distributed/redis_error")
            logger.warning("Redis error in the distributed scheduler (%s); retrying", exc)
        except Exception:
            logger.exception("Error in the distributed scheduler's tick")
