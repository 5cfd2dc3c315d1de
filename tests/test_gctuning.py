"""GC tuning (crawler/extensions/gctuning.py): thresholds while the engine runs, put back after."""

import gc

import pytest
from scrapy import Spider, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.extensions import gctuning
from crawler.extensions.gctuning import GcTuning


class _Spider(Spider):
    name = "t"


def _extension(**settings) -> GcTuning:
    # get_crawler() does not read crawler/settings.py: its default is given here.
    crawler = get_crawler(_Spider, {"GC_TUNING_ENABLED": True, "GC_TUNING_THRESHOLDS": (10000, 10, 10), **settings})
    crawler.stats.open_spider()
    return GcTuning.from_crawler(crawler)


@pytest.fixture
def python_thresholds():
    """Python's thresholds as the test found them; put back whatever the test did, then
    checked: a test that left them changed fails, and leaks nothing into the next."""
    before, callbacks = gc.get_threshold(), list(gc.callbacks)
    yield before
    after, engines = gc.get_threshold(), gctuning._Tuned.engines
    gc.set_threshold(*before)
    gc.callbacks[:] = callbacks
    gctuning._Tuned.engines = 0
    assert (after, engines) == (before, 0)


def test_thresholds_hold_while_the_engine_runs_and_collections_are_counted(python_thresholds):
    ext = _extension(GC_TUNING_THRESHOLDS="40000,30,5")
    send = ext.crawler.signals.send_catch_log
    send(signals.engine_started)
    stats = ext.crawler.stats
    assert gc.get_threshold() == (40000, 30, 5)
    assert (stats.get_value("gc/collections"), stats.get_value("gc/full_collections")) == (0, 0)
    gc.collect()
    assert stats.get_value("gc/collections") == 0  # the stats are written when the spider closes
    send(signals.spider_closed, spider=None, reason="finished")
    assert stats.get_value("gc/collections") >= 1
    assert stats.get_value("gc/full_collections") >= 1  # gc.collect() is a full collection
    assert stats.get_value("gc/seconds") > 0
    send(signals.engine_stopped)
    assert gc.get_threshold() == python_thresholds
    counted = ext.collections
    gc.collect()
    assert ext.collections == counted  # no longer listening


def test_python_thresholds_come_back_when_the_last_engine_stops(python_thresholds):
    first, second = _extension(GC_TUNING_THRESHOLDS="20000,10,10"), _extension(GC_TUNING_THRESHOLDS="30000,10,10")
    first.engine_started()
    second.engine_started()
    assert gc.get_threshold() == (30000, 10, 10)  # the last one started
    first.engine_stopped()
    assert gc.get_threshold() == (30000, 10, 10)  # the other crawl still runs
    second.engine_stopped()
    assert gc.get_threshold() == python_thresholds


def test_a_second_start_or_a_stop_without_a_start_changes_nothing(python_thresholds):
    ext = _extension()
    ext.engine_stopped()  # never started (a crawl that failed to open)
    assert gc.get_threshold() == python_thresholds
    ext.engine_started()
    ext.engine_started()
    assert gc.callbacks.count(ext._timed) == 1
    ext.engine_stopped()
    ext.engine_stopped()
    assert gc.get_threshold() == python_thresholds and ext._timed not in gc.callbacks


@pytest.mark.parametrize("value", ["abc", "0", "1,2,3,4", "100,-1", "", "1e4", "10000.5", 2**31, True,
                                   (10000.7, 10, 10), (True, 10, 10), None])
def test_a_bad_threshold_setting_stops_the_crawl_saying_what_is_wrong(value):
    with pytest.raises(ValueError, match="GC_TUNING_THRESHOLDS must be one to three whole numbers"):
        _extension(GC_TUNING_THRESHOLDS=value)


def test_disabled_leaves_the_collector_alone(python_thresholds):
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(get_crawler(_Spider, {"GC_TUNING_ENABLED": False}))
    assert gc.get_threshold() == python_thresholds
