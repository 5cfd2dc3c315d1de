"""Worker processes (crawler/offload.py): results, errors, a dying worker. That a crawl
stores the same with its work in worker processes as in place is in test_crawl_e2e.py."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import REPO

# Run under Twisted's default reactor in a process of its own: the pool settles its
# Deferreds on the reactor thread, as in a crawl.
POOL_SCRIPT = textwrap.dedent("""
    import os, sys
    from twisted.internet import defer, task
    from crawler.offload import WorkerDied, WorkerPool

    class Stats(dict):
        def inc_value(self, key, count=1):
            self[key] = self.get(key, 0) + count
        def set_value(self, key, value):
            self[key] = value

    async def check(processes):
        stats = Stats()
        pool = WorkerPool(processes, stats)
        pool.start()
        assert await pool.run(pow, 2, 10) == 1024
        assert await pool.run(os.getpid) != os.getpid() if processes else True
        try:
            await pool.run(int, "not a number")
        except ValueError as exc:
            assert "not a number" in str(exc)
        else:
            raise AssertionError("the worker's exception was not raised")
        if processes:
            import logging
            seen = []
            handler = logging.Handler()
            handler.emit = lambda record: seen.append((record.name, record.levelname, record.getMessage()))
            logging.getLogger().addHandler(handler)
            await pool.run(logging.warning, "from the worker %s", 42)  # its log comes back to ours
            assert ("root", "WARNING", "from the worker 42") in seen, seen
            try:
                await pool.run(os._exit, 3)  # the worker dies, and the one retried in does too
            except WorkerDied as exc:
                assert "_exit" in str(exc), exc
            else:
                raise AssertionError("a dead worker went unreported")
            assert stats["workers/restarts"] == 2, stats
            assert await pool.run(pow, 3, 3) == 27  # a new pool took over
            # Results are read as they come, in bulk: Twisted alone reads 8 KiB a turn of the
            # reactor (~75 reads for this one), and a busy reactor then held the worker back.
            worker = pool.workers[0]
            reads, received = [], worker.childDataReceived
            worker.childDataReceived = lambda fd, data: (reads.append(len(data)), received(fd, data))
            assert await pool.run(bytes, 600_000) == bytes(600_000)
            assert len(reads) < 30 and max(reads) > 8192, reads
        await pool.close()
        try:
            await pool.run(pow, 2, 2)
        except RuntimeError as exc:
            assert "closed" in str(exc)
        else:
            assert not processes, "a closed pool ran a task"
        print("ok", processes, stats.get("workers/processes"))

    async def cannot_start():
        import crawler.offload
        crawler.offload.WARM_MODULES = ("crawler.no_such_module",)  # the worker's import fails
        stats = Stats()
        pool = WorkerPool(1, stats)
        pool.start()
        assert await pool.run(pow, 2, 5) == 32  # done in place
        assert await pool.run(os.getpid) == os.getpid()
        assert pool.processes == 0 and stats["workers/failed_to_start"] == 1, stats
        assert "workers/restarts" not in stats, stats
        await pool.close()
        print("ok in place")

    async def stuck():
        import time
        stats = Stats()
        pool = WorkerPool(1, stats, task_timeout=1.0)
        pool.start()
        started = time.monotonic()
        # A task that never ends (killed, tried again, killed), with a page and a writer batch
        # waiting behind it in the same worker: those two are sent again, and go through.
        hung = defer.Deferred.fromCoroutine(pool.run(time.sleep, 3600))
        page = defer.Deferred.fromCoroutine(pool.run(pow, 2, 5))
        batch = defer.Deferred.fromCoroutine(pool.run(pow, 3, 2, first=True))
        results = await defer.DeferredList([hung, page, batch], consumeErrors=True)
        assert not results[0][0] and results[0][1].check(WorkerDied), results
        assert "sleep" in str(results[0][1].value), results
        assert results[1:] == [(True, 32), (True, 9)], results
        assert time.monotonic() - started < 30
        assert stats["workers/hung"] == 2 and stats["workers/restarts"] == 2, stats
        assert await pool.run(pow, 2, 3) == 8  # the crawl goes on
        # A writer batch ("L") that hangs while pages keep coming: the worker says which task
        # it started, so the batch is blamed (twice: it fails), never the pages sent after it.
        from twisted.internet import reactor
        batch = defer.Deferred.fromCoroutine(pool.run(time.sleep, 3600, first=True))
        await task.deferLater(reactor, 0.5, lambda: None)  # it has started
        pages = [defer.Deferred.fromCoroutine(pool.run(pow, 2, n)) for n in range(3)]
        results = await defer.DeferredList([batch, *pages], consumeErrors=True)
        assert not results[0][0] and results[0][1].check(WorkerDied), results
        assert "died twice" in str(results[0][1].value), results
        assert results[1:] == [(True, 1), (True, 2), (True, 4)], results
        assert stats["workers/hung"] == 4, stats
        await pool.run(time.sleep, 2.5, timed=False)  # a task allowed to take long is left alone
        assert stats["workers/hung"] == 4, stats
        await pool.close()
        print("ok stuck")

    def main(reactor):
        if sys.argv[1] == "cannot-start":
            return defer.Deferred.fromCoroutine(cannot_start())
        if sys.argv[1] == "stuck":
            return defer.Deferred.fromCoroutine(stuck())
        return defer.Deferred.fromCoroutine(check(int(sys.argv[1])))

    task.react(main)
""")


def run_pool_script(mode) -> str:
    proc = subprocess.run([sys.executable, "-c", POOL_SCRIPT, str(mode)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    return proc.stdout.strip()


def test_worker_pool_results_errors_and_a_dying_worker():
    assert run_pool_script(1) == "ok 1 1"


def test_workers_that_cannot_start_leave_the_work_in_place():
    """A worker whose imports fail is not restarted for ever: one error, then the work runs in place."""
    assert run_pool_script("cannot-start") == "ok in place"


def test_a_worker_stuck_on_a_task_is_killed_and_the_task_fails():
    """WORKER_TASK_TIMEOUT: a task that never answers does not hold the crawl for ever."""
    assert run_pool_script("stuck") == "ok stuck"


def test_no_workers_runs_tasks_in_place():
    assert run_pool_script(0) == "ok 0 None"


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit is reaped by whoever adopted it, maybe late)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads process parents from /proc")
def test_workers_end_when_the_crawl_is_killed(portal_server, tmp_path, python):
    """kill -9 of a crawl leaves no worker behind (one would otherwise wait for tasks for ever)."""
    proc = subprocess.Popen([python, "-m", "scrapy", "crawl", "news", "-a", f"start_url={portal_server.url}",
                             "-s", f"SQLITE_PATH={tmp_path / 'news.db'}", "-s", "DOWNLOAD_DELAY=0.5",
                             "-s", "LOG_LEVEL=WARNING"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (children := _children(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert children, "the crawl started no worker process"
        time.sleep(1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in children if _running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"worker processes outlived the crawl: {left}"


def test_the_worker_processes_do_not_load_scrapy():
    """A worker process imports the task modules (extraction, repair, the writer) and never
    Scrapy or itemadapter (which imports Scrapy): ~20 MB of its memory for nothing."""
    script = "import sys, crawler.worker, crawler.tasks, crawler.storage; " \
             "print(sorted(m for m in ('scrapy', 'itemadapter', 'twisted') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_crawl_process_leaves_numpy_and_sqlite_utils_to_its_workers(tmp_path):
    """The crawl process imports the spider, pipelines and extensions, and opens the
    database for its extensions, without loading numpy (signatures) or sqlite-utils
    (the writer's API): they are ~26 MB of its memory, and its worker does that work."""
    script = textwrap.dedent(f"""
        import sys
        import crawler.spiders.news, crawler.extensions.failures, crawler.extensions.runs
        import pipelines.repair, pipelines.sqlite
        from crawler.storage import connect
        connect({str(tmp_path / "news.db")!r}).close()
        print(sorted(m for m in ("numpy", "sqlite_utils") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
