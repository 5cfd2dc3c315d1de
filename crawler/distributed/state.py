"""The Redis side of a distributed crawl: one crawl's queue, fingerprints and workers,
and the item queue its workers fill for the single writer.

Documented in the README ("Distributed crawling (scrapy-redis)"). A crawl's keys
share the prefix ``DISTRIBUTED_CRAWL_KEY`` (``cn_news:news:<site>``):

- ``<crawl>:requests``: the request queue, a sorted set scored by ``-priority``, as
  ``scrapy_redis.queue.PriorityQueue`` keeps it (and encodes its members);
- ``<crawl>:dupefilter``: the fingerprints of the requests of the run (20-byte SHA-1s);
- ``<crawl>:workers``: the workers, each scored by the time its lease ends;
- ``<crawl>:inflight:<worker>``: the requests a worker took and has not finished.

The item queue is ``REDIS_ITEMS_KEY`` (``cn_news:items``), with
``<items>:processing`` (the batch the writer is writing), ``<items>:writer`` (the
writer's lease), ``<items>:producers`` (workers that may still push) and
``<items>:invalid`` (items that were not JSON, kept for inspection).

Every change that must not be cut in half is one Lua script, so a process
killed at any instant leaves the queues consistent:

- *enqueue*: a request's fingerprint is added and the request queued together, or
  neither (a kill between the two would leave a URL marked seen that nobody fetches);
- *take*: the request moves from the queue into the worker's in-flight set;
- *finish*: it leaves the in-flight set once the engine is done with it, when its
  items are in the item queue and its links in the request queue;
- *recover*: the in-flight requests of a worker whose lease ran out go back to the
  queue, so what a killed worker was doing is done by another;
- *leave*: the last worker to leave a crawl with nothing queued deletes its
  fingerprints: the run is over, the next one starts afresh.

Times are the Redis server's (``TIME``), so clocks of the machines do not matter.
Only one Redis server is used (scripts touch keys they compute): not Redis Cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

# The Redis server's clock in milliseconds, at the start of every script that needs it.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: dupefilter, queue. ARGV: fingerprint ('' = not filtered), score, request.
_ENQUEUE = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# KEYS: queue, in-flight, workers, producers. ARGV: worker, lease ms.
# The first request by score, moved into in-flight with its score. The worker's lease is
# renewed in the same step: an in-flight set never exists without its worker's entry,
# which is how recovery finds it (even right after the worker was wrongly taken for dead).
_TAKE = _NOW + """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then
  return false
end
redis.call('ZREM', KEYS[1], top[1])
redis.call('ZADD', KEYS[2], top[2], top[1])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[2]), ARGV[1])
return top[1]
"""

# KEYS: workers, producers, queue, dupefilter, in-flight. ARGV: worker, lease ms, ttl ms.
_HEARTBEAT = _NOW + """
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
for i = 1, #KEYS do
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return now
"""

# KEYS: workers, producers, queue. ARGV: in-flight key prefix.
# Workers whose lease ended: their in-flight requests go back to the queue.
_RECOVER = _NOW + """
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
local moved = 0
for _, id in ipairs(dead) do
  local key = ARGV[1] .. id
  local n = redis.call('ZCARD', key)
  if n > 0 then
    redis.call('ZUNIONSTORE', KEYS[3], 2, KEYS[3], key, 'AGGREGATE', 'MIN')
    moved = moved + n
  end
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[1], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return {#dead, moved}
"""

# KEYS: workers, queue. ARGV: in-flight key prefix, the asking worker.
# Requests queued plus requests in flight at any other worker (whose links are still to come).
_PENDING = """
local n = redis.call('ZCARD', KEYS[2])
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[2] then
    n = n + redis.call('ZCARD', ARGV[1] .. id)
  end
end
return n
"""

# KEYS: in-flight, queue. Everything in flight back in the queue (scored as it was).
_REQUEUE = """
local n = redis.call('ZCARD', KEYS[1])
if n > 0 then
  redis.call('ZUNIONSTORE', KEYS[2], 2, KEYS[2], KEYS[1], 'AGGREGATE', 'MIN')
  redis.call('DEL', KEYS[1])
end
return n
"""

# KEYS: workers, producers, in-flight, queue, dupefilter. ARGV: worker.
# 1 when this was the last worker and nothing is queued: the run is over.
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[3]) > 0 then
  redis.call('ZUNIONSTORE', KEYS[4], 2, KEYS[4], KEYS[3], 'AGGREGATE', 'MIN')
  redis.call('DEL', KEYS[3])
end
if redis.call('ZCARD', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[4]) == 0 then
  redis.call('DEL', KEYS[5])
  return 1
end
return 0
"""

# The writer's lease, held or taken back. KEYS[n]: the lease key; ARGV[1]: writer, ARGV[2]:
# lease ms. A lease that ran out while its writer was busy (a long commit) and that no
# other writer took is taken back; one another writer holds is lost.
_OWN_LEASE = """
local function own_lease(key)
  local holder = redis.call('GET', key)
  if holder == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    return true
  elseif not holder then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
    return true
  end
  return false
end
"""

# KEYS: items, processing, writer lease. ARGV: writer, lease ms, batch size.
# The batch to write: what a stopped writer left in processing, else up to ARGV[3] new items.
_TAKE_ITEMS = _OWN_LEASE + """
if not own_lease(KEYS[3]) then
  return {-1, {}}
end
local left = redis.call('LRANGE', KEYS[2], 0, -1)
if #left > 0 then
  return {1, left}
end
local out = {}
for i = 1, tonumber(ARGV[3]) do
  local item = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not item then
    break
  end
  out[#out + 1] = item
end
return {0, out}
"""

# KEYS: processing, writer lease. ARGV: writer, lease ms. Acknowledge the batch (only while the lease is ours).
_ACK_ITEMS = _OWN_LEASE + """
if not own_lease(KEYS[2]) then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
"""

# KEYS: writer lease. ARGV: writer, lease ms.
_RENEW = _OWN_LEASE + """
if own_lease(KEYS[1]) then
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

# KEYS: producers. Workers whose lease has not ended.
_LIVE_PRODUCERS = _NOW + """
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""


class _Scripts:
    """The Lua scripts registered on one client (EVALSHA, loaded again if the server forgot them)."""

    def __init__(self, server):
        for name, source in (("enqueue", _ENQUEUE), ("take", _TAKE), ("heartbeat", _HEARTBEAT),
                             ("recover", _RECOVER), ("pending", _PENDING), ("requeue", _REQUEUE),
                             ("leave", _LEAVE),
                             ("take_items", _TAKE_ITEMS), ("ack_items", _ACK_ITEMS), ("renew", _RENEW),
                             ("release", _RELEASE), ("live_producers", _LIVE_PRODUCERS)):
            setattr(self, name, server.register_script(source))


@dataclass(frozen=True)
class CrawlKeys:
    """The Redis keys of one crawl (``prefix`` is ``DISTRIBUTED_CRAWL_KEY`` formatted) and of its item queue."""

    prefix: str
    items: str

    @property
    def requests(self) -> str:
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.prefix}:dupefilter"

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers"

    def inflight(self, worker: str = "") -> str:
        return f"{self.prefix}:inflight:{worker}"

    @property
    def producers(self) -> str:
        return f"{self.items}:producers"


class CrawlState:
    """One worker's view of a distributed crawl: its queue, fingerprints and fellow workers.

    ``lease`` (seconds): a worker that has not renewed its lease for this long is taken
    for dead and its requests are done by others. ``ttl`` (seconds): every key of the
    run expires this long after the last heartbeat of any of its workers, so a run
    everybody abandoned does not stay in Redis for ever.
    """

    def __init__(self, server, keys: CrawlKeys, worker: str, lease: float, ttl: float):
        self.server = server
        self.keys = keys
        self.worker = worker
        self.lease_ms = max(1, int(lease * 1000))
        self.ttl_ms = max(self.lease_ms, int(ttl * 1000))
        self.scripts = _Scripts(server)

    def enqueue(self, fingerprint: bytes | None, score: float, data: bytes) -> bool:
        """Queue ``data`` unless ``fingerprint`` was seen in this run (None: never filtered)."""
        k = self.keys
        return bool(self.scripts.enqueue(keys=[k.dupefilter, k.requests], args=[fingerprint or b"", score, data]))

    def take(self) -> bytes | None:
        """The next request, moved into this worker's in-flight set; None when the queue is empty."""
        k = self.keys
        return self.scripts.take(keys=[k.requests, k.inflight(self.worker), k.workers, k.producers],
                                 args=[self.worker, self.lease_ms])

    def finish(self, requests: list[bytes]) -> None:
        """The engine is done with ``requests``: they leave the in-flight set."""
        if requests:
            self.server.zrem(self.keys.inflight(self.worker), *requests)

    def heartbeat(self) -> None:
        """Renew this worker's lease and the run's expiry."""
        k = self.keys
        self.scripts.heartbeat(keys=[k.workers, k.producers, k.requests, k.dupefilter, k.inflight(self.worker)],
                               args=[self.worker, self.lease_ms, self.ttl_ms])

    def recover(self) -> tuple[int, int]:
        """Put the in-flight requests of workers whose lease ended back in the queue:
        (workers found dead, requests re-queued)."""
        k = self.keys
        dead, moved = self.scripts.recover(keys=[k.workers, k.producers, k.requests], args=[k.inflight()])
        return int(dead), int(moved)

    def pending(self) -> int:
        """Requests queued, or in flight at another worker of the crawl."""
        return int(self.scripts.pending(keys=[self.keys.workers, self.keys.requests],
                                        args=[self.keys.inflight(), self.worker]))

    def requeue(self) -> int:
        """Put everything this worker has in flight back in the queue (when it knows all of
        it is finished but not acknowledged); the number of requests."""
        return int(self.scripts.requeue(keys=[self.keys.inflight(self.worker), self.keys.requests]))

    def leave(self) -> bool:
        """Unregister this worker (what it still had in flight goes back to the queue);
        True when it was the last and nothing is queued: the run's fingerprints are deleted."""
        k = self.keys
        return bool(self.scripts.leave(keys=[k.workers, k.producers, k.inflight(self.worker), k.requests,
                                             k.dupefilter], args=[self.worker]))


class ItemQueue:
    """The writer's side of the item queue: a reliable queue (batches move to a
    processing list and are deleted only after they are committed) and a lease that
    makes one writer at a time drain it."""

    def __init__(self, server, key: str, writer: str, lease: float):
        self.server = server
        self.key = key
        self.processing = f"{key}:processing"
        self.lease_key = f"{key}:writer"
        self.producers = f"{key}:producers"
        self.invalid = f"{key}:invalid"
        self.writer = writer
        self.lease_ms = max(1, int(lease * 1000))
        self.scripts = _Scripts(server)

    def acquire(self) -> str | None:
        """Take the writer's lease; None when taken, else the holder's name."""
        if self.server.set(self.lease_key, self.writer, nx=True, px=self.lease_ms):
            return None
        holder = self.server.get(self.lease_key)
        if holder is None:  # released between the two calls
            return self.acquire()
        return holder.decode("utf-8", "replace")

    def renew(self) -> bool:
        """Renew the lease (or take it back if it ran out and nobody took it); False when
        another writer holds it now."""
        return bool(self.scripts.renew(keys=[self.lease_key], args=[self.writer, self.lease_ms]))

    def release(self) -> None:
        self.scripts.release(keys=[self.lease_key], args=[self.writer])

    def take(self, size: int) -> tuple[bool, list[bytes]]:
        """(redriven, batch): the items a stopped writer took and did not acknowledge, or
        up to ``size`` new ones, moved to the processing list. Raises LeaseLost when the
        lease is not ours."""
        state, batch = self.scripts.take_items(keys=[self.key, self.processing, self.lease_key],
                                               args=[self.writer, self.lease_ms, size])
        if state == -1:
            raise LeaseLost(self.lease_key)
        return state == 1, list(batch)

    def ack(self) -> None:
        """The batch is committed: delete it from the processing list."""
        if not self.scripts.ack_items(keys=[self.processing, self.lease_key], args=[self.writer, self.lease_ms]):
            raise LeaseLost(self.lease_key)

    def reject(self, data: bytes) -> None:
        """Keep an item that cannot be read in ``<items>:invalid``, for inspection."""
        self.server.rpush(self.invalid, data)

    def waiting(self) -> int:
        return self.server.llen(self.key)

    def live_producers(self) -> int:
        """Workers whose lease has not ended: they may still push items."""
        return int(self.scripts.live_producers(keys=[self.producers]))


class LeaseLost(Exception):
    """The writer's lease ran out and may be another writer's now: stop writing."""
