"""Worker processes for the crawl's CPU work, so that Scrapy's reactor only fetches.

Scrapy runs spiders and item pipelines on one thread. On a fast site that thread
is the limit, and extraction, repair and the writer's preparation (fingerprints,
search-index tokens) would share it with the downloader. With ``PROCESS_WORKERS``
> 0 they run in that many worker processes instead, and the spider and the
pipelines await their results::

    pool = worker_pool(crawler)                   # one per crawl, shut down when it closes
    article = await pool.run(extract_article, url, body)

A function given to :meth:`WorkerPool.run` must be importable at module level and
pure (its arguments and result are pickled; it must not touch the database or
Scrapy). With ``PROCESS_WORKERS = 0`` it is called in place, exactly as before.

Workers are started with ``spawn`` (a fresh interpreter: no inherited sockets,
database connections or the run lock's file), once per crawl, and warmed up when
the pool is made so that their imports overlap the first downloads. A worker that
dies (killed, out of memory, a crash in a C extension) breaks the pool: the pool is
replaced and the call is tried once more in the new one (another page in flight
may have been the cause); if it dies again the page gets :class:`WorkerDied`, a
clear error naming what was being done, and the crawl goes on. Stats:
``workers/processes``, ``workers/restarts``.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

# Modules a worker imports before its first task (the warm-up), so the first pages do not wait for them.
WARM_MODULES = ("crawler.tasks", "crawler.storage")


class WorkerDied(RuntimeError):
    """A worker process died twice while doing one task."""


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """A worker's initializer: end the worker when the crawl process is gone. A crawl killed
    with SIGKILL cannot stop its workers, and a worker holds both ends of its task queue, so
    it would wait for tasks for ever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _warm_up(modules: tuple[str, ...]) -> int:
    for name in modules:
        importlib.import_module(name)
    return len(modules)


class WorkerPool:
    """``processes`` worker processes (0: run every task in place)."""

    def __init__(self, processes: int = 1, stats=None):
        if processes < 0:
            raise ValueError(f"PROCESS_WORKERS must be 0 or more, got {processes}")
        self.processes = processes
        self.stats = stats
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    def start(self) -> None:
        """Start the workers (no-op in place) and have them import what the tasks need."""
        if self.processes and self._executor is None and not self._closed:
            self._executor = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_watch_parent, initargs=(os.getpid(),))
            for _ in range(self.processes):
                self._executor.submit(_warm_up, WARM_MODULES)
            if self.stats is not None:
                self.stats.set_value("workers/processes", self.processes)

    async def run(self, func, *args):
        """``func(*args)``, in a worker process when there are any; its result or its exception."""
        if not self.processes:
            return func(*args)
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        for attempt in (1, 2):
            self.start()
            executor = self._executor
            try:
                return await maybe_deferred_to_future(_deferred(executor.submit(func, *args)))
            except BrokenProcessPool:
                self._replace(executor)
                if attempt == 2:
                    raise WorkerDied(f"a worker process died twice running {func.__qualname__}"
                                     f" (killed, out of memory, or a crash in a C extension)") from None

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        # Every task in flight in the broken pool fails at once: only the first to see it replaces it.
        if self._executor is broken:
            logger.error("A worker process died; starting a new pool of %d", self.processes)
            if self.stats is not None:
                self.stats.inc_value("workers/restarts")
            self._executor = None
            broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def _deferred(future: Future) -> Deferred:
    """A Deferred fired on the reactor thread when ``future`` (settled in another thread) is."""
    from twisted.internet import reactor

    deferred: Deferred = Deferred()

    def settle(done: Future) -> None:
        error = done.exception()
        if error is None:
            deferred.callback(done.result())
        else:
            deferred.errback(error)

    future.add_done_callback(lambda done: reactor.callFromThread(settle, done))
    return deferred


_POOLS: WeakKeyDictionary = WeakKeyDictionary()


def worker_pool(crawler) -> WorkerPool:
    """The crawl's pool (made on first use from ``PROCESS_WORKERS``, closed with the spider)."""
    pool = _POOLS.get(crawler)
    if pool is None:
        pool = _POOLS[crawler] = WorkerPool(crawler.settings.getint("PROCESS_WORKERS", 0))

        def opened() -> None:  # the crawl's stats exist from here on
            pool.stats = crawler.stats
            pool.start()

        pool._opened = opened  # signals hold their receivers weakly
        crawler.signals.connect(opened, signal=signals.spider_opened)
        crawler.signals.connect(pool.close, signal=signals.spider_closed)
    return pool
