"""The repair pipeline through a Scrapy test crawler, and `python -m crawler repair`."""

import json
import subprocess

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from conftest import REPO
from crawler.items import Article
from crawler.tasks import REPAIRED_AHEAD, repair_ahead
from pipelines.repair import RepairPipeline


def make(**settings):
    crawler = get_crawler(Spider, settings)
    crawler.stats.open_spider()
    return RepairPipeline.from_crawler(crawler), crawler.stats


def mirror_item():
    return Article(
        url="http://m.example.cn/20160804/1.html", canonical_url="http://m.example.cn/20160804/1.html",
        title="統(tǒng)戰(zhàn)工作會(huì)議召開(kāi)", body="會議,,審議文件,。\n全體(擴大)會議",
        editor="秦云", keywords=["統(tǒng)戰(zhàn)", "會議"],
        breadcrumb=[{"name": "首頁(yè)", "url": "http://m.example.cn/"}, {"name": "統一戰線", "url": None}],
        section="統一戰線",
    )


def test_repairs_all_text_fields_as_one_document():
    pipe, stats = make()
    item = pipe.process_item(mirror_item())
    assert item.title == "統戰工作會議召開"
    assert item.body == "會議，審議文件。\n全體（擴大）會議"
    assert item.keywords == ["統戰", "會議"]
    assert [c["name"] for c in item.breadcrumb] == ["首頁", "統一戰線"]
    assert item.repairs == ["pinyin_annotations", "fullwidth_punctuation"]
    assert (item.title_simplified, item.body_simplified) == ("统战工作会议召开", "会议，审议文件。\n全体（扩大）会议")
    assert stats.get_value("repair/pinyin_annotations") == 1
    assert stats.get_value("repair/items_changed") == 1


def test_a_repair_computed_with_the_extraction_is_applied_as_is():
    """The news spider's extraction task repairs too (crawler.tasks.repair_ahead): the
    pipeline applies that result, counts it the same, and leaves no trace of it on the item."""
    pipe, stats = make()
    item = mirror_item()
    repair_ahead(item, True)
    ahead = getattr(item, REPAIRED_AHEAD)
    ahead[2][0]["title"] = "computed ahead"  # so that we can tell it was used
    item = pipe.process_item(item)
    assert item.title == "computed ahead"
    assert item.body == "會議，審議文件。\n全體（擴大）會議"
    assert stats.get_value("repair/pinyin_annotations") == 1
    assert not hasattr(item, REPAIRED_AHEAD)


def test_a_repair_computed_ahead_in_a_worker_process_is_used():
    """Pickled back from the worker with its article, the fields it was computed from are
    the article's own objects again: the check is an identity test, and it passes."""
    import pickle

    from itemadapter import ItemAdapter
    from crawler.tasks import REPAIR_INPUT, take_repaired_ahead

    item = mirror_item()
    repair_ahead(item, True)
    item = pickle.loads(pickle.dumps((item, None)))[0]
    fields = {name: ItemAdapter(item).get(name) for name in REPAIR_INPUT}
    assert getattr(item, REPAIRED_AHEAD)[0]["body"] is item.body
    assert take_repaired_ahead(item, fields, True)[0]["title"] == "統戰工作會議召開"


@pytest.mark.parametrize("change", ["body", "simplified"])
def test_a_repair_computed_before_the_item_changed_is_computed_again(change):
    pipe, _ = make(REPAIR_SIMPLIFIED=change != "simplified")
    item = mirror_item()
    repair_ahead(item, True)
    if change == "body":
        item.body = "全體(擴大)會議,,閉幕"  # a pipeline before this one changed it
    item = pipe.process_item(item)
    if change == "body":
        assert item.body == "全體（擴大）會議，閉幕"
    else:
        assert item.body_simplified is None  # REPAIR_SIMPLIFIED off, unlike the result ahead
    assert not hasattr(item, REPAIRED_AHEAD)


def test_the_pipeline_asks_the_news_spider_to_repair_with_its_extraction():
    from crawler.spiders.news import NewsSpider

    crawler = get_crawler(NewsSpider, {"REPAIR_SIMPLIFIED": False})
    crawler.spider = crawler._create_spider(start_url="http://www.example.cn/")
    pipe = RepairPipeline.from_crawler(crawler)
    assert crawler.spider.repair_ahead is None
    pipe.open_spider()
    assert crawler.spider.repair_ahead is False


def test_clean_item_untouched_and_plain_dicts_work():
    pipe, stats = make()
    item = pipe.process_item({"url": "u", "title": "海州市召开会议", "body": "会议强调，要抓好落实。"})
    assert item["title"] == "海州市召开会议" and item["repairs"] == [] and item["repair_flags"] == []
    assert item["title_simplified"] is None and item["body_simplified"] is None
    assert stats.get_value("repair/items_changed") is None


def test_unrecoverable_text_is_flagged_and_counted():
    pipe, stats = make()
    item = pipe.process_item({"url": "u", "title": "标题", "body": "锟斤拷锟斤拷烫烫烫"})
    assert item["repair_flags"] == ["unrecoverable"] and item["body"] == "锟斤拷锟斤拷烫烫烫"
    assert stats.get_value("repair/flagged/unrecoverable") == 1


def test_settings():
    with pytest.raises(NotConfigured):
        make(REPAIR_ENABLED=False)
    pipe, _ = make(REPAIR_SIMPLIFIED=False)
    item = pipe.process_item(mirror_item())
    assert item.title_simplified is None


def run_repair(python, *args, stdin):
    return subprocess.run([python, "-m", "crawler", "repair", *args], cwd=REPO, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_cli_repairs_stdin_as_one_document(python):
    proc = run_repair(python, stdin="統(tǒng)戰(zhàn)工作\n編輯:秦云\n")
    assert proc.returncode == 0
    assert proc.stdout == "統戰工作\n編輯：秦云\n"


def test_cli_jsonl_one_line_out_per_line_in(python):
    lines = [{"id": 1, "text": "鍏虫敞"}, {"id": 2, "text": "干净的文本。"}, {"id": 3, "text": "¹ØÓÚºì¾ü"}]
    proc = run_repair(python, "--jsonl", stdin="".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["text"] for o in out] == ["关注", "干净的文本。", "关于红军"]
    assert [o["repairs"] for o in out] == [["utf8_read_as_gbk"], [], ["gbk_read_as_latin1"]]
    assert [o["id"] for o in out] == [1, 2, 3]


def test_cli_jsonl_bad_line_is_a_clear_error(python):
    proc = run_repair(python, "--jsonl", stdin='{"text": "ok"}\n{"txt": 1}\n')
    assert proc.returncode == 2
    assert 'line 2 has no "text" string' in proc.stderr
