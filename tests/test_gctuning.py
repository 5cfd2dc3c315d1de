"""GC tuning (crawler/extensions/gctuning.py): thresholds while the engine runs, put back after."""

import gc

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

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
    """Python's thresholds as the test found them, checked to be back afterwards."""
    before = gc.get_threshold()
    yield before
    assert gc.get_threshold() == before
    gc.set_threshold(*before)


def test_thresholds_hold_while_the_engine_runs_and_collections_are_counted(python_thresholds):
    ext = _extension(GC_TUNING_THRESHOLDS="40000,30,5")
    ext.engine_started()
    try:
        assert gc.get_threshold() == (40000, 30, 5)
        gc.collect()
        stats = ext.crawler.stats
        assert stats.get_value("gc/collections") >= 1
        assert stats.get_value("gc/full_collections") >= 1  # gc.collect() is a full collection
        assert stats.get_value("gc/seconds") >= 0
    finally:
        ext.engine_stopped()
    assert gc.get_threshold() == python_thresholds
    counted = ext.crawler.stats.get_value("gc/collections")
    gc.collect()
    assert ext.crawler.stats.get_value("gc/collections") == counted  # no longer listening


def test_python_thresholds_come_back_when_the_last_engine_stops(python_thresholds):
    first, second = _extension(), _extension()
    first.engine_started()
    second.engine_started()
    first.engine_stopped()
    assert gc.get_threshold() == (10000, 10, 10)  # the other crawl still runs
    second.engine_stopped()
    assert gc.get_threshold() == python_thresholds


@pytest.mark.parametrize("value", ["abc", "0", "1,2,3,4", "100,-1", ""])
def test_a_bad_threshold_setting_stops_the_crawl_saying_what_is_wrong(value):
    with pytest.raises(ValueError, match="GC_TUNING_THRESHOLDS must be one to three whole numbers"):
        _extension(GC_TUNING_THRESHOLDS=value)


def test_disabled_leaves_the_collector_alone():
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(get_crawler(_Spider, {"GC_TUNING_ENABLED": False}))
