"""GC tuning: fewer cyclic garbage collections in the crawl process.

Enabled by ``GC_TUNING_ENABLED``. Python's collector runs its youngest generation
every 700 net allocations of container objects, and its full (oldest-generation)
collection every 100 of those; a full collection walks every live object. A crawl
process holds a few hundred thousand of them (Scrapy, Twisted and lxml loaded,
queued requests, items waiting for their batch), so on the sample portal a full
collection took 120–165 ms, ran ~42 times in a 10,000-article crawl and, with the
younger ones, was 17–19% of the crawl process's CPU; few of the objects it walks are
ever garbage (figures in ``bench/README.md``).

While the engine runs, the collector's thresholds are ``GC_TUNING_THRESHOLDS``
(``gc.set_threshold``; Python's are 700, 10, 10). The default, 10,000, 10, 10, runs
each generation 14 times less often: a full collection every ~4,000 pages of a
fast crawl instead of every ~270. Cycles are still collected, later; most of them
die young, in the youngest generation, which costs about the same in total however
often it runs. A larger first threshold (50,000) saved no more CPU in our runs and
held more garbage (RSS +5–15 MB). The thresholds Python had are put back when the last engine
of the process stops (a test process, several crawls in one process). Stats:
``gc/collections`` and ``gc/seconds`` (all generations, while the engine ran),
``gc/full_collections``.
"""

from __future__ import annotations

import gc
import logging
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


def parse_thresholds(value) -> tuple[int, ...]:
    """``GC_TUNING_THRESHOLDS`` as ``gc.set_threshold`` takes it: one to three whole
    numbers, the first at least 1 (0 would turn automatic collection off).

    >>> parse_thresholds("50000,20,10")
    (50000, 20, 10)
    >>> parse_thresholds([20000])
    (20000,)
    >>> parse_thresholds("0")
    Traceback (most recent call last):
    ...
    ValueError: GC_TUNING_THRESHOLDS must be one to three whole numbers, the first at least 1 (gc.set_threshold), got '0'
    """
    parts = [p.strip() for p in value.split(",")] if isinstance(value, str) else list(value or ())
    try:
        numbers = tuple(int(p) for p in parts)
    except (TypeError, ValueError):
        numbers = ()
    if not 1 <= len(numbers) <= 3 or numbers[0] < 1 or min(numbers) < 0:
        raise ValueError("GC_TUNING_THRESHOLDS must be one to three whole numbers, the first at least 1"
                         f" (gc.set_threshold), got {value!r}")
    return numbers


class _Tuned:
    """The process-wide state: thresholds are one per process, engines may be several."""

    engines = 0
    saved: tuple[int, int, int] | None = None


class GcTuning:
    def __init__(self, crawler, thresholds: tuple[int, ...]):
        self.crawler = crawler
        self.thresholds = thresholds
        self.seconds = 0.0
        self._began = 0.0
        self._running = False

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("GC_TUNING_ENABLED"):
            raise NotConfigured("GC_TUNING_ENABLED is off")
        ext = cls(crawler, parse_thresholds(settings.get("GC_TUNING_THRESHOLDS")))
        crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def engine_started(self):
        if self._running:
            return
        self._running = True
        if _Tuned.engines == 0:
            _Tuned.saved = gc.get_threshold()
        _Tuned.engines += 1
        gc.set_threshold(*self.thresholds)
        gc.callbacks.append(self._timed)
        logger.debug("GC thresholds %s (were %s)", self.thresholds, _Tuned.saved)

    def engine_stopped(self):
        if not self._running:
            return
        self._running = False
        gc.callbacks.remove(self._timed)
        _Tuned.engines -= 1
        if _Tuned.engines == 0 and _Tuned.saved is not None:
            gc.set_threshold(*_Tuned.saved)

    def _timed(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        # Counted as they happen (a few hundred in a long crawl): the crawl's records
        # (crawl_runs) take the stats when the spider closes, before the engine stops.
        self.seconds += time.perf_counter() - self._began
        stats = self.crawler.stats
        stats.inc_value("gc/collections")
        if info.get("generation") == 2:
            stats.inc_value("gc/full_collections")
        stats.set_value("gc/seconds", round(self.seconds, 3))
