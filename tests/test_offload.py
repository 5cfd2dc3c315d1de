"""Worker processes (crawler/offload.py): results, errors, a dying worker. That a crawl
stores the same with its work in worker processes as in place is in test_crawl_e2e.py."""

import subprocess
import sys
import textwrap

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
            try:
                await pool.run(os._exit, 3)  # the worker dies, and the one retried in does too
            except WorkerDied as exc:
                assert "_exit" in str(exc), exc
            else:
                raise AssertionError("a dead worker went unreported")
            assert stats["workers/restarts"] == 2, stats
            assert await pool.run(pow, 3, 3) == 27  # a new pool took over
        pool.close()
        try:
            await pool.run(pow, 2, 2)
        except RuntimeError as exc:
            assert "closed" in str(exc)
        else:
            assert not processes, "a closed pool ran a task"
        print("ok", processes, stats.get("workers/processes"))

    def main(reactor):
        return defer.Deferred.fromCoroutine(check(int(sys.argv[1])))

    task.react(main)
""")


def run_pool_script(processes: int) -> str:
    proc = subprocess.run([sys.executable, "-c", POOL_SCRIPT, str(processes)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    return proc.stdout.strip()


def test_worker_pool_results_errors_and_a_dying_worker():
    assert run_pool_script(1) == "ok 1 1"


def test_no_workers_runs_tasks_in_place():
    assert run_pool_script(0) == "ok 0 None"
