"""The SQLite writer pipeline on a temporary database, through a test crawler."""

import json
import sqlite3

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.items import Article
from pipelines.sqlite import SQLiteWriterPipeline
from crawler.storage import WAL_AUTOCHECKPOINT


def make_pipeline(tmp_path, **settings):
    crawler = get_crawler(Spider, {"SQLITE_PATH": str(tmp_path / "sub" / "news.db"), **settings})
    crawler.stats.open_spider()
    return SQLiteWriterPipeline.from_crawler(crawler), crawler.stats


def article(n, url=None, canonical=None, title=None):
    canonical = canonical or f"http://a.cn/t20160804_{n}.html"
    return Article(url=url or canonical, canonical_url=canonical, title=title or f"标题{n}",
                   body=f"正文第{n}段。", keywords=["统战", f"k{n}"],
                   breadcrumb=[{"name": "首页", "url": "http://a.cn/"}], section="要闻", site="a.cn")


def rows(tmp_path):
    conn = sqlite3.connect(tmp_path / "sub" / "news.db")
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute("select * from articles order by canonical_url")]


def test_batches_and_flush_on_close(tmp_path):
    pipe, stats = make_pipeline(tmp_path, SQLITE_BATCH_SIZE=3, SQLITE_FLUSH_SECONDS=3600)
    pipe.open_spider()
    for n in range(7):
        assert pipe.process_item(article(n)) is not None
    assert len(rows(tmp_path)) == 6  # two full batches written, one item pending
    pipe.close_spider()
    stored = rows(tmp_path)
    assert len(stored) == 7
    assert stats.get_value("sqlite/batches") == 3 and stats.get_value("sqlite/items") == 7
    assert json.loads(stored[0]["keywords"]) == ["统战", "k0"]
    assert json.loads(stored[0]["breadcrumb"]) == [{"name": "首页", "url": "http://a.cn/"}]


def test_wal_mode_and_plain_dict_items(tmp_path):
    pipe, _ = make_pipeline(tmp_path)
    pipe.open_spider()
    assert pipe.db.conn.execute("pragma wal_autocheckpoint").fetchone()[0] == WAL_AUTOCHECKPOINT != 1000
    pipe.process_item({"url": "http://a.cn/x", "canonical_url": "http://a.cn/x", "title": "t", "body": "b"})
    pipe.close_spider()
    conn = sqlite3.connect(tmp_path / "sub" / "news.db")
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert conn.execute("select count(*) from articles").fetchone()[0] == 1


def test_upsert_by_canonical_url_canonical_page_wins(tmp_path):
    pipe, _ = make_pipeline(tmp_path, SQLITE_BATCH_SIZE=1)
    pipe.open_spider()
    canonical = "http://a.cn/t20160804_1.html"
    pipe.process_item(article(1, title="原文标题"))
    # A print view of the same article, crawled later, does not replace the original...
    pipe.process_item(article(1, url="http://a.cn/t20160804_1_print.html", canonical=canonical, title="打印版"))
    assert [r["title"] for r in rows(tmp_path)] == ["原文标题"]
    # ...but the original, crawled again, does update the row.
    pipe.process_item(article(1, title="更新后的标题"))
    pipe.close_spider()
    assert [r["title"] for r in rows(tmp_path)] == ["更新后的标题"]


def test_alias_first_then_original_replaces(tmp_path):
    pipe, _ = make_pipeline(tmp_path, SQLITE_BATCH_SIZE=10)
    pipe.open_spider()
    canonical = "http://a.cn/t20160804_1.html"
    pipe.process_item(article(1, url="http://a.cn/t20160804_1_print.html", canonical=canonical, title="打印版"))
    pipe.process_item(article(1, title="原文标题"))
    pipe.close_spider()
    assert [(r["url"], r["title"]) for r in rows(tmp_path)] == [(canonical, "原文标题")]


def test_refuses_to_load_without_a_path(tmp_path):
    with pytest.raises(NotConfigured, match="SQLITE_PATH"):
        make_pipeline(tmp_path, SQLITE_PATH="")
    with pytest.raises(NotConfigured, match="SQLITE_BATCH_SIZE"):
        make_pipeline(tmp_path, SQLITE_BATCH_SIZE=0)


BACKPRESSURE_SCRIPT = """
import asyncio
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from twisted.internet import defer, task
from scrapy.utils.defer import maybe_deferred_to_future
from crawler.offload import WorkerPool
from pipelines.sqlite import MAX_BATCHES_HANDED, SQLiteWriterPipeline

class Pool(WorkerPool):  # a writer process whose batches end when the test says
    def __init__(self):
        super().__init__(1)
        self.batches = []
    async def run(self, func, *args, first=False, timed=True):
        if func.__name__ != "write_batch":  # close_writer
            return None
        done = defer.Deferred()
        self.batches.append(([item["n"] for item in args[2]], done))
        return await maybe_deferred_to_future(done)

async def check():
    pool = Pool()
    pipe = SQLiteWriterPipeline("unused.db", batch_size=1, process=pool)
    for n in range(MAX_BATCHES_HANDED):  # handed over at once, none written yet
        assert pipe.process_item({"n": n}) == {"n": n}
    await asyncio.sleep(0.01)
    M = MAX_BATCHES_HANDED
    waiting = [asyncio.ensure_future(pipe.process_item({"n": n})) for n in (M, M + 1, M + 2)]
    await asyncio.sleep(0.05)
    assert not any(w.done() for w in waiting) and len(pool.batches) == M  # every item waits
    pool.batches[0][1].callback({"new": 1})
    await asyncio.sleep(0.05)
    # One batch written: the first waiting item goes (and is handed over), the others wait again.
    assert [w.done() for w in waiting] == [True, False, False], waiting
    assert [b[0] for b in pool.batches] == [[n] for n in range(M + 1)]
    for n in (1, 2):
        pool.batches[n][1].callback({"new": 1})
        await asyncio.sleep(0.05)
    assert all(w.done() for w in waiting) and [b[0] for b in pool.batches] == [[n] for n in range(M + 3)]
    closing = asyncio.ensure_future(pipe.close_spider())
    await asyncio.sleep(0.05)
    assert not closing.done()  # the close waits for the batches still being written
    for _, done in pool.batches[3:]:
        done.callback({"new": 1})
    await closing
    print("ok")

task.react(lambda reactor: defer.Deferred.fromFuture(asyncio.ensure_future(check())))
"""


def test_items_wait_while_the_writer_process_is_behind(tmp_path):
    """With MAX_BATCHES_HANDED batches handed over and not written, every new item waits
    (backpressure on Scrapy); one batch written lets one item through; close waits for all."""
    import subprocess
    import sys

    from conftest import REPO

    proc = subprocess.run([sys.executable, "-c", BACKPRESSURE_SCRIPT], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stdout + proc.stderr[-3000:]
