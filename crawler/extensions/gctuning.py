"""GC tuning: fewer cyclic garbage collections in the crawl process.

Enabled by ``GC_TUNING_ENABLED``. Python's collector runs its youngest generation
every 700 net allocations of container objects, and its full (oldest-generation)
collection every 100 of those, once the objects that survived since the last one
are a quarter of all (CPython 3.11–3.13). A full collection walks every live object.
A crawl process holds a few hundred thousand of them (Scrapy, Twisted and lxml
loaded, queued requests, items waiting for their batch), so on the sample portal a
full collection took 120–165 ms, ran ~42 times in a 10,000-article crawl (every ~270
pages) and, with the younger ones, was 17–19% of the crawl process's CPU; few of the
objects it walks are ever garbage (figures in ``bench/README.md``).

While the engine runs, the collector's thresholds are ``GC_TUNING_THRESHOLDS``
(``gc.set_threshold``; Python's are 700, 10, 10). The default, 10,000, 10, 10, runs
each generation 14 times less often: 2–3 full collections in the same crawl instead
of ~42. Cycles are still collected, later; most of them die young, in the youngest
generation, which costs about the same in total however often it runs. A larger
first threshold (50,000) saved no more CPU in our runs and held more garbage (RSS
+5–15 MB). Worker processes (``PROCESS_WORKERS``) are separate interpreters and keep
Python's thresholds (their collections were ~2.5% of their CPU).

Thresholds are one per process: the first engine to start saves Python's, the last
to stop puts them back (a test process, several crawls in one process); meanwhile
the last one started sets them. Stats, counted while the engine runs and written
when the spider closes: ``gc/collections``, ``gc/full_collections`` (generation 2),
``gc/seconds`` (all generations). With several crawls in one process each counts
every collection of the process. Python 3.14's incremental collector gives the
thresholds and generations other meanings: the settings are then worth measuring
again.
"""

from __future__ import annotations

import gc
import logging
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


_MAX_THRESHOLD = 2**31 - 1  # gc.set_threshold takes C ints


def parse_thresholds(value) -> tuple[int, ...]:
    """``GC_TUNING_THRESHOLDS`` as ``gc.set_threshold`` takes it: one to three whole
    numbers, the first at least 1 (0 would turn automatic collection off). A string
    from the command line (``-s GC_TUNING_THRESHOLDS=10000,10,10``), a tuple or list
    from ``crawler/settings.py``, or one number.

    >>> parse_thresholds("10000, 10,10")
    (10000, 10, 10)
    >>> parse_thresholds([20000])
    (20000,)
    >>> parse_thresholds(20000)
    (20000,)
    >>> parse_thresholds("0")
    Traceback (most recent call last):
    ...
    ValueError: GC_TUNING_THRESHOLDS must be one to three whole numbers, the first at least 1 (gc.set_threshold), got '0'
    """
    if isinstance(value, str):
        parts: list = [p.strip() for p in value.split(",")]
    elif isinstance(value, int) and not isinstance(value, bool):
        parts = [value]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        parts = []
    numbers: tuple[int, ...] = ()
    # Whole numbers only: no bools (True is 1), no floats (10000.7 is not 10000), no "1e4".
    if all(isinstance(p, str) or (isinstance(p, int) and not isinstance(p, bool)) for p in parts):
        try:
            numbers = tuple(int(p) for p in parts)
        except ValueError:
            numbers = ()
    if (not 1 <= len(numbers) <= 3 or numbers[0] < 1 or min(numbers) < 0
            or max(numbers) > _MAX_THRESHOLD):
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
        # Counted by the gc callback in plain attributes, not in the stats: a collection
        # runs inside whatever allocation crosses the threshold, which may be in a loop
        # over the stats dict (its dump at close), and that loop must not see it change.
        self.collections = 0
        self.full_collections = 0
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
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def engine_started(self):
        if self._running:
            return
        saved = gc.get_threshold()
        gc.set_threshold(*self.thresholds)  # first: if it raised, nothing below would need undoing
        if _Tuned.engines == 0:
            _Tuned.saved = saved
        _Tuned.engines += 1
        self._running = True
        gc.callbacks.append(self._timed)
        self._write_stats()
        logger.debug("GC thresholds %s (were %s)", self.thresholds, saved)

    def spider_closed(self, spider=None, reason=None):
        # Before the crawl's records read the stats (CrawlRunRecorder loads after this
        # extension, so its handler runs after this one) and before Scrapy dumps them.
        self._write_stats()

    def engine_stopped(self):
        if not self._running:
            return
        self._running = False
        if self._timed in gc.callbacks:
            gc.callbacks.remove(self._timed)
        _Tuned.engines = max(0, _Tuned.engines - 1)
        if _Tuned.engines == 0 and _Tuned.saved is not None:
            gc.set_threshold(*_Tuned.saved)

    def _write_stats(self) -> None:
        stats = self.crawler.stats
        stats.set_value("gc/collections", self.collections)
        stats.set_value("gc/full_collections", self.full_collections)
        stats.set_value("gc/seconds", round(self.seconds, 3))

    def _timed(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._began
        self.collections += 1
        if info.get("generation") == 2:
            self.full_collections += 1
