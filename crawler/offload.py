"""Worker processes for the crawl's CPU work, so that Scrapy's reactor only fetches.

Scrapy runs spiders and item pipelines on one thread. On a fast site that thread
is the limit, and extraction, repair and the writer's preparation (fingerprints,
search-index tokens) would share it with the downloader. With ``PROCESS_WORKERS``
> 0 they run in that many worker processes instead, and the spider and the
pipelines await their results::

    pool = worker_pool(crawler)                   # one per crawl, closed with the spider
    article, dropped = await pool.run(extract_page, url, body, ...)

A function given to :meth:`WorkerPool.run` must be importable at module level and
pure (its arguments and result are pickled; it must not touch the database or
Scrapy): the tasks are in :mod:`crawler.tasks`. With ``PROCESS_WORKERS = 0`` it is
called in place, exactly as before.

How: each worker is ``python -m crawler.worker`` started with the reactor's own
``spawnProcess``; tasks go down its standard input and results come back on a pipe
of their own (fd 3), as length-prefixed pickles, read in bulk (``_read_in_bulk``:
Twisted reads 8 KiB a turn of the reactor, which held the worker back whenever
Scrapy's thread was busy). Everything on the crawl's side
happens on the reactor thread, with non-blocking pipes: no helper threads (a
``ProcessPoolExecutor``'s feeder and manager threads took the GIL from the reactor:
in a profile the reactor waited ~2 ms on each submit). A task goes to the worker
with the fewest tasks in hand. Workers import what the tasks need when they start,
so their start-up overlaps the first downloads.

A worker that dies (killed, out of memory, a crash in a C extension) loses the
tasks it had: a new worker is started and they are sent again. The death counts
against the task it was running (the worker says which before each task:
``_Worker.suspect``); when that happens to a task twice the caller gets
:class:`WorkerDied`, a clear error naming the task, and the crawl goes on. The other
tasks it held go on (a task is sent ``MAX_SENDS`` times at most). A worker ends when
its input closes: when the spider closes, or when the crawl process dies
however it dies (``kill -9`` too). A worker that cannot even start (it ends before saying
it is ready) is not started again: the error is logged once and the work is done in
place for the rest of the crawl. A worker that holds tasks and answers none of them for
``WORKER_TASK_TIMEOUT`` seconds is taken to be stuck (a page that sends a regular
expression into endless backtracking, a C extension in a loop): it is killed, and
that is a worker death as above, so the task that hung it fails with
:class:`WorkerDied` after a second try and the crawl goes on. Stats:
``workers/processes``, ``workers/restarts``, ``workers/tasks``, ``workers/failed_to_start``,
``workers/hung``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pickle
import sys
import time
from pathlib import Path
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, main, protocol, task

from .worker import READY, RESULTS_FD, cut_frames, frame

logger = logging.getLogger(__name__)

# Modules a worker imports before its first task, so the first pages do not wait for them.
WARM_MODULES = ("crawler.tasks", "crawler.storage")
# The folder (or egg) that holds the crawler package: the workers import it from there.
PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
# Seconds a closing worker gets to finish its tasks and exit before it is killed.
CLOSE_TIMEOUT = 10.0
# Bytes read from a worker's results pipe at each turn of the reactor, and the size asked for
# that pipe (Linux; 64 KiB otherwise). Twisted reads a process's pipes 8 KiB a turn: while
# Scrapy's thread was busy, results (an article is ~3 KiB pickled) came back slower than
# the worker made them, and the worker waited on its full pipe ~20% of the crawl.
RESULTS_READ_SIZE = 1 << 20
RESULTS_PIPE_SIZE = 1 << 20
# Times a task is sent at most (a safety net: only deaths while it runs count against it,
# two fail it, but its worker may die running other tasks before it).
MAX_SENDS = 20


class WorkerDied(RuntimeError):
    """A task's worker process died twice while running it (or each of the ``MAX_SENDS``
    times it was sent)."""


class _Lost(Exception):
    """A task's worker died before answering; ``suspect``: the task was the one it was
    running, as far as the pool can tell (see ``_Worker.suspect``)."""

    def __init__(self, suspect: bool):
        super().__init__()
        self.suspect = suspect


class _Worker(protocol.ProcessProtocol):
    """One worker process: its tasks in hand, and the frames read back from it."""

    def __init__(self, pool: "WorkerPool"):
        self.pool = pool
        self.pending: dict[int, defer.Deferred] = {}
        self.buffer = bytearray()
        self.ready = False  # it said so: its imports worked
        self.alive = True
        self.ended: defer.Deferred = defer.Deferred()
        # When it last answered a task, or was given one with none in hand (the watchdog's clock).
        self.progress = time.monotonic()
        self.untimed: set[int] = set()  # tasks in hand that may take as long as they take
        self.later: set[int] = set()  # tasks in hand marked "L" (run when no other waits)
        self.running: int | None = None  # the task it said it started and has not answered

    def send(self, task_id: int, payload: bytes, timed: bool = True) -> defer.Deferred:
        answer: defer.Deferred = defer.Deferred()
        if not self.pending:
            self.progress = time.monotonic()
        self.pending[task_id] = answer
        if not timed:
            self.untimed.add(task_id)
        if payload[:1] == b"L":
            self.later.add(task_id)
        self.transport.write(frame(task_id, payload))
        return answer

    def suspect(self) -> int | None:
        """The task it is running: the one it said it started (crawler.worker sends that
        before each task). If it died before saying so, the task it was about to run: the
        oldest "N" task in hand, else the oldest "L" one (its inbox's order). A guess: tasks
        still in the pipe count here and not in the worker's inbox, so an "N" task may take
        the blame for an "L" one; it takes two deaths to fail a task."""
        if self.running in self.pending:
            return self.running
        for task_id in self.pending:
            if task_id not in self.later:
                return task_id
        return next(iter(self.pending), None)

    def stuck_for(self, now: float) -> float:
        """Seconds it has held timed tasks without answering any (0 when it holds none, or
        before it is ready: its imports are not a stuck task)."""
        if not self.pending or self.untimed or not self.alive or not self.ready:
            return 0.0
        return now - self.progress

    def childDataReceived(self, fd: int, data: bytes) -> None:
        if fd != RESULTS_FD:
            return
        self.buffer += data
        for task_id, payload in cut_frames(self.buffer):
            if task_id == READY:
                self.ready = True
                self.progress = time.monotonic()  # the watchdog's clock starts now
                continue
            if not payload:  # "started": the task it is running from now on
                self.running = task_id
                continue
            answer = self.pending.pop(task_id, None)
            if answer is None:
                continue
            self.progress = time.monotonic()
            self.untimed.discard(task_id)
            self.later.discard(task_id)
            if self.running == task_id:
                self.running = None
            try:
                ok, value, records = pickle.loads(payload)
            except Exception as exc:
                ok, value, records = False, RuntimeError(f"a worker's answer could not be read: {exc!r}"), ()
            for name, level, message in records:  # what the task logged, into the crawl's log
                logging.getLogger(name).log(level, "%s", message)
            if ok:
                answer.callback(value)
            else:
                answer.errback(value)

    def childConnectionLost(self, fd: int) -> None:
        if fd == RESULTS_FD:
            self._lost()

    def processEnded(self, reason) -> None:
        self._lost()
        if not self.ended.called:
            self.ended.callback(None)

    def _lost(self) -> None:
        if self.alive:
            self.alive = False
            self.pool._worker_lost(self)
        suspect = self.suspect()
        pending, self.pending = self.pending, {}
        self.untimed.clear()
        self.later.clear()
        for task_id, answer in pending.items():
            answer.errback(_Lost(task_id == suspect))


def _read_in_bulk(reader) -> None:
    """Make a Twisted ``ProcessReader`` take everything its pipe holds at each turn of the
    reactor (``RESULTS_READ_SIZE``), not 8 KiB, and ask for a larger pipe, so that a worker
    does not wait for Scrapy's thread to read its results. Its ``doRead`` does what Twisted's
    does (``twisted.internet.fdesc.readFromFD``) but for the size."""
    fd = reader.fileno()
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, RESULTS_PIPE_SIZE)
    except (AttributeError, OSError):  # not Linux, or over /proc/sys/fs/pipe-max-size: 64 KiB then
        pass

    def do_read():
        try:
            data = os.read(fd, RESULTS_READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            return main.CONNECTION_LOST
        if not data:
            return main.CONNECTION_DONE
        reader.dataReceived(data)
        return None

    reader.doRead = do_read


class WorkerPool:
    """``processes`` worker processes (0: every task runs in place)."""

    def __init__(self, processes: int = 1, stats=None, task_timeout: float = 0.0):
        if processes < 0:
            raise ValueError(f"PROCESS_WORKERS must be 0 or more, got {processes}")
        if task_timeout < 0:
            raise ValueError(f"WORKER_TASK_TIMEOUT must be 0 (none) or more seconds, got {task_timeout}")
        self.processes = processes
        self.stats = stats
        self.task_timeout = task_timeout  # 0: none
        self.workers: list[_Worker] = []
        self._next_id = 0
        self._closed = False
        self._watchdog: task.LoopingCall | None = None

    def start(self) -> None:
        """Start the workers that are missing (none in place), and the watchdog."""
        if self._closed:
            return
        while len(self.workers) < self.processes:
            self.workers.append(self._spawn())
        if self.processes and self.stats is not None:
            self.stats.set_value("workers/processes", self.processes)
        if self.processes and self.task_timeout and self._watchdog is None:
            self._watchdog = task.LoopingCall(self._watch)
            self._watchdog.start(min(self.task_timeout / 4, 5.0), now=False)

    def _watch(self) -> None:
        """Kill the workers stuck on their tasks for longer than ``task_timeout``."""
        try:
            self._kill_stuck(time.monotonic())
        except Exception:  # never let the LoopingCall stop for the rest of the crawl
            logger.exception("The worker watchdog failed (it goes on)")

    def _kill_stuck(self, now: float) -> None:
        for worker in list(self.workers):
            stuck = worker.stuck_for(now)
            if stuck > self.task_timeout:
                logger.error("A worker process (pid %s) answered none of its %d task(s) for %.0f s "
                             "(WORKER_TASK_TIMEOUT): killed as stuck", getattr(worker.transport, "pid", "?"),
                             len(worker.pending), stuck)
                if self.stats is not None:
                    self.stats.inc_value("workers/hung")
                worker.progress = now  # killed once, not at every tick until it is gone
                _signal(worker, "KILL")

    def _spawn(self) -> _Worker:
        from twisted.internet import reactor  # the one Scrapy installed

        worker = _Worker(self)
        env = dict(os.environ)
        # The crawler package from where this one was imported (a checkout, site-packages, a
        # Scrapyd egg: a zip file, importable from PYTHONPATH too).
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (PROJECT_ROOT, env.get("PYTHONPATH"))))
        # fd 0: tasks in; fd 3: results out; its stdout and stderr are our stderr.
        # -P: not the working directory's crawler/ (another checkout) before PYTHONPATH's.
        process = reactor.spawnProcess(worker, sys.executable,
                                       [sys.executable, "-P", "-m", "crawler.worker", *WARM_MODULES],
                                       env=env, childFDs={0: "w", 1: 2, 2: 2, RESULTS_FD: "r"})
        _read_in_bulk(process.pipes[RESULTS_FD])
        return worker

    def _worker_lost(self, worker: _Worker) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
            if not worker.ready and not self._closed:
                # It never started (an import failed, the interpreter cannot be run …): another
                # would not either. The crawl goes on with the work in place.
                logger.error("A worker process could not start (its errors are above, on stderr; try `%s -m "
                             "crawler.worker crawler.tasks < /dev/null 3>/dev/null`): extraction, repair and "
                             "preparation run in the crawl process from now on, as with PROCESS_WORKERS=0",
                             sys.executable)
                self.processes = 0
                if self.stats is not None:
                    self.stats.inc_value("workers/failed_to_start")
            elif not self._closed:
                logger.error("A worker process died (pid %s) with %d task(s) in hand; starting another",
                             getattr(worker.transport, "pid", "?"), len(worker.pending))
                if self.stats is not None:
                    self.stats.inc_value("workers/restarts")

    async def run(self, func, *args, first: bool = False, timed: bool = True):
        """``func(*args)``, in a worker process when there are any; its result or its exception.

        ``first``: in the first worker, always (a task with state there, the SQLite writer's:
        its tasks run one after the other, in the order given), and only when no other task
        waits there (a batch being written holds up no page's extraction); else the least
        busy worker. ``timed=False``: a task that may take long (opening a database that
        needs its indexes rebuilt): the watchdog leaves its worker alone while it is in hand."""
        if not self.processes:
            return func(*args)
        # "L" (later): the first worker's tasks (the writer's) wait while others are queued.
        payload = (b"L" if first else b"N") + pickle.dumps((func, args), protocol=pickle.HIGHEST_PROTOCOL)
        blamed = 0
        for _ in range(MAX_SENDS):
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            self.start()
            worker = self.workers[0] if first else min(self.workers, key=lambda w: len(w.pending))
            self._next_id += 1
            if self.stats is not None:
                self.stats.inc_value("workers/tasks")
            try:
                return await maybe_deferred_to_future(worker.send(self._next_id, payload, timed))
            except _Lost as lost:
                if not self.processes:  # the workers could not start: in place
                    return func(*args)
                # Only the task its worker was running counts the death against itself: the
                # others it held are sent again (a hung or crashing page fails alone).
                blamed += lost.suspect
                if blamed == 2:
                    raise WorkerDied(f"a worker process died twice running {func.__module__}.{func.__qualname__} "
                                     "(killed, out of memory, a crash in a C extension, or stuck past "
                                     "WORKER_TASK_TIMEOUT)") from None
        raise WorkerDied(f"{func.__module__}.{func.__qualname__} was sent {MAX_SENDS} times and each time its worker "
                         "process died first")

    async def close(self) -> None:
        """Close the workers' input (they finish what they hold and exit) and wait for them."""
        self._closed = True
        if self._watchdog is not None and self._watchdog.running:
            self._watchdog.stop()
        from twisted.internet import reactor

        workers, self.workers = self.workers, []
        for worker in workers:
            worker.transport.closeStdin()
        for worker in workers:
            timeout = reactor.callLater(CLOSE_TIMEOUT, _kill, worker)
            await maybe_deferred_to_future(worker.ended)
            if timeout.active():
                timeout.cancel()


def _kill(worker: _Worker) -> None:
    logger.warning("A worker process did not exit within %.0f s of the crawl's end: killed", CLOSE_TIMEOUT)
    _signal(worker, "KILL")


def _signal(worker: _Worker, name: str) -> None:
    try:
        worker.transport.signalProcess(name)
    except Exception:  # already gone
        pass


_POOLS: WeakKeyDictionary = WeakKeyDictionary()


def worker_pool(crawler) -> WorkerPool:
    """The crawl's pool (made on first use from ``PROCESS_WORKERS``; started when the spider
    opens, closed when it has closed)."""
    pool = _POOLS.get(crawler)
    if pool is None:
        pool = _POOLS[crawler] = WorkerPool(crawler.settings.getint("PROCESS_WORKERS", 0),  # unset: in place
                                            task_timeout=crawler.settings.getfloat("WORKER_TASK_TIMEOUT", 0.0))

        def opened() -> None:  # the crawl's stats exist from here on
            pool.stats = crawler.stats
            pool.start()

        async def closed() -> None:
            await pool.close()

        pool._handlers = (opened, closed)  # signals hold their receivers weakly
        crawler.signals.connect(opened, signal=signals.spider_opened)
        crawler.signals.connect(closed, signal=signals.spider_closed)
    return pool
