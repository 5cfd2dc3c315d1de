"""The hostile web: a crawl of crawler/portal/hostile.py, and the components that make it survivable.

The site answers for public-looking names (hostile.test, slow.hostile.test,
intranet.hostile.test) that the crawl resolves to 127.0.0.1 through
``crawler.portal.hostile.HostsResolver``: the crawl starts on a "public" host, so
the private-address refusals are active, and every request is logged by the server,
so the tests can show where the crawler did not go. The fault table of the README
("Hostile web") names the test that shows each behaviour.
"""

import asyncio
import json
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from scrapy import Request, Spider
from scrapy.core.downloader import Slot
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from conftest import REPO
from crawler import settings as project_settings
from crawler.downloadermiddlewares.addressfilter import AddressFilterMiddleware
from crawler.downloadermiddlewares.compression import inflate_state
from crawler.downloadermiddlewares.redirect import SafeRedirectMiddleware
from crawler.extensions.crawldelay import CrawlDelay
from crawler.extensions.failures import FailureRecorder
from crawler.failures import CrawlFailure, Failed, ensure_table, write
from crawler.portal.hostile import CRAWL_DELAY, HOST, HOSTS, INTRANET_HOST, SLOW_HOST, HostileServer, gzip_bomb
from crawler.profiles import Profile, ProfileError, load_profile
from crawler.traps import TrapMiddleware, query_variant

# Fast, but every limit at the project's default except two: a 3 s timeout keeps the
# stalls short, and a 1 MiB size limit keeps the 50 MB stream from racing the timeout on
# a busy machine (the 16 MiB default is held against the gzip bomb below).
MAXSIZE = 1024 * 1024
SETTINGS = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=32",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "-s", "DOWNLOAD_TIMEOUT=3",
            "-s", f"DOWNLOAD_MAXSIZE={MAXSIZE}", "-s", f"DOWNLOAD_WARNSIZE={MAXSIZE // 2}",
            "-s", "TWISTED_DNS_RESOLVER=crawler.portal.hostile.HostsResolver",
            "-s", "HOSTILE_HOSTS=" + json.dumps({h: "127.0.0.1" for h in HOSTS})]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, python):
    db = tmp_path_factory.mktemp("hostile") / "news.db"
    with HostileServer() as server:
        started = time.monotonic()
        proc = subprocess.run(
            [python, "-m", "scrapy", "crawl", "news", "-a",
             f"start_url={server.url_for(HOST)},{server.url_for(SLOW_HOST)}",
             "-s", f"SQLITE_PATH={db}", "-s", "LOG_LEVEL=INFO", *SETTINGS],
            cwd=REPO, capture_output=True, text=True, timeout=180)
        seconds = time.monotonic() - started
        hits = list(server.hits)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    run = dict(conn.execute("select * from crawl_runs order by id desc limit 1").fetchone())
    out = {
        "proc": proc, "seconds": seconds, "server": server, "site": server.site, "port": server.port,
        "hits": hits, "run": run, "stats": json.loads(run["stats"]),
        "rows": {r["canonical_url"]: dict(r) for r in conn.execute("select * from articles")},
        "failures": {urlsplit(r["url"]).path: dict(r) for r in conn.execute("select * from failures")},
    }
    conn.close()
    return out


def served(hostile, host=HOST):
    """Paths (with query) the server was asked for on ``host``, in order."""
    return [h.path for h in hostile["hits"] if h.host == host]


def test_crawl_finishes_and_stores_every_valid_article_once(hostile):
    proc = hostile["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert hostile["run"]["finish_reason"] == "finished"
    site, port = hostile["site"], hostile["port"]
    assert set(hostile["rows"]) == site.urls(port)
    assert hostile["stats"]["sqlite/new"] == len(site.articles) == 15
    for article in site.articles.values():
        row = hostile["rows"][f"http://{article.host}:{port}{article.path}"]
        assert row["title"] == article.title, article.mode
        assert row["body"] == article.body, article.mode
    assert hostile["seconds"] < 60


def test_nothing_crashes(hostile):
    stats, log = hostile["stats"], hostile["proc"].stderr
    assert "spider_exceptions/count" not in stats
    assert "Scraper bug" not in log and "Unhandled error" not in log
    assert not [f for f in hostile["failures"].values() if f["reason"] in ("spider_error", "item_error")]


# path -> (reason, attempts, last status) of every fault that ends in the failures table.
EXPECTED_FAILURES = {
    "/fault/always-503.html": ("http_503", 3, 503),
    "/fault/429-long.html": ("retry_after_too_long", 1, 429),
    "/fault/stall-headers.html": ("timeout", 3, None),
    "/fault/stall-body.html": ("timeout", 3, None),
    "/fault/drop.html": ("data_loss", 3, None),
    "/fault/truncated-gzip.html": ("truncated_body", 3, 200),
    "/big/declared.html": ("too_large", 1, None),
    "/big/streamed.html": ("too_large", 1, None),
    "/big/bomb.html": ("too_large", 1, 200),
    "/loop/a": ("redirect_loop", 1, 301),
    "/loop/self": ("redirect_loop", 1, 301),
    "/chain/1": ("redirect_limit", 1, 302),
    "/away/offsite": ("redirect_offsite", 1, 302),
    "/away/loopback": ("redirect_offsite", 1, 302),
    "/away/private": ("redirect_offsite", 1, 302),
    "/away/metadata": ("redirect_offsite", 1, 302),
    "/away/intranet": ("private_address", 1, 302),
    "/away/ftp": ("redirect_scheme", 1, 302),
    "/away/js": ("redirect_scheme", 1, 302),
    "/away/file": ("redirect_scheme", 1, 302),
}


def test_each_failure_is_recorded_with_reason_attempts_and_status(hostile):
    failures = hostile["failures"]
    got = {path: (f["reason"], f["attempts"], f["last_status"]) for path, f in failures.items()}
    assert got == EXPECTED_FAILURES
    for f in failures.values():
        assert f["run_id"] == hostile["run"]["id"] and f["runs"] == 1
        assert f["first_failed_at"] == f["last_failed_at"]
    stats = hostile["stats"]
    assert stats["failures/count"] == len(EXPECTED_FAILURES)
    for reason, n in Counter(r for r, _, _ in EXPECTED_FAILURES.values()).items():
        assert stats[f"failures/{reason}"] == n, reason


def test_bursts_and_single_faults_are_retried_until_the_article_arrives(hostile):
    site, server = hostile["site"], hostile["server"]
    # 503, 503, 200 (RETRY_TIMES 2); a dropped body, a truncated gzip body, a stall: once each.
    for mode, requests in (("flaky", 3), ("dropped_once", 2), ("truncated_gzip_once", 2), ("stall_once", 2)):
        assert server.count(HOST, site.by_mode(mode).path) == requests, mode
    assert hostile["stats"]["compression/truncated"] == 1 + 3  # the article's once, the fault's three times
    assert not set(hostile["failures"]) & {a.path for a in site.articles.values()}


def test_retry_after_is_waited_for_and_a_long_one_is_not(hostile):
    path = hostile["site"].by_mode("rate_limited").path
    times = [h.at for h in hostile["hits"] if h.host == HOST and h.path == path]
    assert len(times) == 2 and times[1] - times[0] >= 1.0  # Retry-After: 1
    assert served(hostile).count("/fault/429-long.html") == 1  # Retry-After: 3600 > RETRY_AFTER_MAX_DELAY
    assert hostile["stats"]["retry_after/waited"] == 1


def test_size_limits_hold(hostile):
    stats = hostile["stats"]
    assert stats["compression/too_large"] == 1  # the bomb, refused before Scrapy inflated it
    assert "httpcompression/response_bytes" not in stats or stats["httpcompression/response_bytes"] < MAXSIZE
    assert stats["downloader/response_bytes"] < 3 * MAXSIZE  # no 50 MB response ever completed
    # Gzip bombs are also refused at the project's default limit, after inflating no more than it.
    assert inflate_state(gzip_bomb(), "gzip", project_settings.DOWNLOAD_MAXSIZE) == "too_large"


def test_redirects_never_reach_private_addresses_or_other_sites(hostile):
    assert not [h for h in hostile["hits"] if h.host == INTRANET_HOST or h.path.startswith("/secret")]
    assert hostile["stats"]["address_filter/refused"] == 1
    paths = served(hostile)
    assert paths.count("/loop/a") == 1 and paths.count("/loop/b") == 1 and paths.count("/loop/self") == 1
    chain = [p for p in paths if p.startswith("/chain/")]
    assert len(chain) == project_settings.REDIRECT_MAX_TIMES + 1
    assert paths.count("/go/3") == paths.count("/go/2") == paths.count("/go/1") == 1  # a short chain is followed


def test_trap_limits_hold(hostile):
    paths, stats = served(hostile), hostile["stats"]
    dated = {p for p in paths if p.startswith("/calendar/") and p != "/calendar/"}
    assert len(dated) <= project_settings.TRAP_MAX_CALENDAR_DATES + 1 and stats["traps/calendar"] > 0
    variants = {query_variant(p) for p in paths if p.startswith("/hot/list")}
    assert len(variants) <= project_settings.TRAP_MAX_QUERY_VARIANTS + 1 and stats["traps/query_variants"] > 0
    deep = [p for p in paths if p.startswith("/deep/")]
    assert deep and max(Counter(p.strip("/").split("/")).most_common(1)[0][1] for p in deep) <= 2
    assert stats["traps/repeated_segment"] > 0
    tree = [p for p in paths if p.startswith("/tree/")]
    # /tree/ is at depth 1 and each hop one segment and one level deeper: DEPTH_LIMIT stops it.
    assert max(len(p.strip("/").split("/")) for p in tree) == project_settings.DEPTH_LIMIT
    assert stats["depth/request_ignored_count"] > 0
    # Session ids in paths and queries are canonicalised away: each page once.
    session = hostile["site"].by_mode("session").path
    assert sum(1 for p in paths if p.startswith("/session/")) == 1
    assert sum(1 for p in paths if p.split("?")[0].split(";")[0] == session) == 1
    assert len(paths) < 700  # the whole crawl, traps included


def test_broken_pages_are_dropped_or_read(hostile):
    site, port, rows, stats = hostile["site"], hostile["port"], hostile["rows"], hostile["stats"]
    # Binary bytes as text/html and an empty 200: no article, no crash.
    assert stats["extract/dropped/no_title"] == 2
    for mode in ("wrong_charset", "unknown_charset"):
        assert rows[f"http://{HOST}:{port}{site.by_mode(mode).path}"]["encoding"] == "gb18030"
    # The malformed article is only linked from a malformed list page.
    assert served(hostile).count(site.by_mode("malformed").path) == 1


def test_robots_txt_disallow_and_crawl_delay(hostile):
    assert not [p for p in served(hostile) if p.startswith("/private/")]
    stats = hostile["stats"]
    assert stats["robotstxt/forbidden"] == 1 and stats["crawl_delay/hosts"] == 1
    times = [h.at for h in hostile["hits"] if h.host == SLOW_HOST]
    assert len(times) >= 5
    # Requests leave one Crawl-delay apart (test_crawl_delay_is_the_floor_of_the_slot_delay);
    # the server logs them when a thread takes them, which on a busy machine can bunch two.
    assert times[-1] - times[0] >= (len(times) - 1) * CRAWL_DELAY * 0.9, times


def test_crawl_delay_is_the_floor_of_the_slot_delay():
    crawler = get_crawler(Spider, {"CRAWL_DELAY_ENABLED": True, "ROBOTSTXT_OBEY": True, "CRAWL_DELAY_MAX": 5})
    crawler.stats.open_spider()
    ext = CrawlDelay.from_crawler(crawler)
    slots = {"a.cn": Slot(4, 0.25, 0.5), "b.cn": Slot(4, 0.25, 0.5)}
    crawler.engine = SimpleNamespace(downloader=SimpleNamespace(slots=slots))
    robots = Request("http://a.cn/robots.txt", meta={"download_slot": "a.cn"})
    ext.robots_parsed(ProtegoRobotParser(b"User-agent: *\nCrawl-delay: 3\n", None), robots)
    ext.robots_parsed(ProtegoRobotParser(b"User-agent: *\nCrawl-delay: 3600\n", None),
                      Request("http://b.cn/robots.txt", meta={"download_slot": "b.cn"}))
    assert (slots["a.cn"].delay, slots["a.cn"].jitter) == (3.0, 0.0)
    assert slots["b.cn"].delay == 5.0  # CRAWL_DELAY_MAX
    slots["a.cn"].delay = 0.5  # what AutoThrottle would do after a fast response
    ext.apply(Request("http://a.cn/x", meta={"download_slot": "a.cn"}))
    assert slots["a.cn"].delay == 3.0
    assert crawler.stats.get_value("crawl_delay/hosts") == 2 and crawler.stats.get_value("crawl_delay/capped") == 1


# ---------------------------------------------------------------- components


class _Spider(Spider):
    name = "t"


def _crawler(spider_attrs: dict):
    crawler = get_crawler(_Spider, {"ADDRESS_FILTER_ENABLED": True, "REDIRECT_MAX_TIMES": 10})
    crawler.spider = crawler._create_spider()
    for name, value in spider_attrs.items():
        setattr(crawler.spider, name, value)
    crawler.stats.open_spider()
    return crawler


def _profile(**changes):
    fields = dict(name="x", path=Path("x.toml"), start_urls=("http://www.hostile.cn/",), allowed_domains=("hostile.cn",))
    fields.update(changes)
    return Profile(**fields)


@pytest.mark.parametrize("start, profile, refused", [
    ("http://www.hostile.cn/", None, True),
    ("http://www.hostile.cn/", _profile(allow_private_addresses=True), False),
    ("http://127.0.0.1:8000/", None, False),   # the sample portal
    ("http://localhost:8000/", None, False),
])
def test_private_addresses_refused_unless_the_start_is_private_or_the_profile_allows(start, profile, refused):
    crawler = _crawler({"start_urls": [start], "profile": profile})
    mw = AddressFilterMiddleware.from_crawler(crawler)
    mw.spider_opened(crawler.spider)
    for url in ("http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/"):
        request = Request(url, meta={"redirect_urls": ["http://www.hostile.cn/go"], "redirect_reasons": [302]})
        if refused:
            with pytest.raises(CrawlFailure) as info:
                asyncio.run(mw.process_request(request))
            assert info.value.reason == "private_address" and info.value.status == 302
        else:
            assert asyncio.run(mw.process_request(request)) is None
    # The start host itself is trusted whatever it resolves to.
    assert asyncio.run(mw.process_request(Request(start + "news/"))) is None


def test_offsite_redirects_refused_unless_the_profile_lists_the_domain():
    def redirect(profile):
        crawler = _crawler({"allowed_domains": ["hostile.cn"], "profile": profile})
        mw = SafeRedirectMiddleware.from_crawler(crawler)
        request = Request("http://www.hostile.cn/a")
        response = Response(request.url, status=301, headers={"Location": "https://static.cdn-news.com/a.html"},
                            request=request)
        return mw.process_response(request, response)

    with pytest.raises(CrawlFailure) as info:
        redirect(None)
    assert info.value.reason == "redirect_offsite"
    followed = redirect(_profile(redirect_domains=("cdn-news.com",)))
    assert followed.url == "https://static.cdn-news.com/a.html" and followed.meta["allow_offsite"] is True


def test_profile_keys_for_redirects_and_private_addresses(tmp_path):
    path = tmp_path / "intranet.toml"
    path.write_text('start_urls = ["http://portal.intra/"]\nredirect_domains = ["cdn.example.com"]\n'
                    "allow_private_addresses = true\n", encoding="utf-8")
    profile = load_profile(path)
    assert profile.redirect_domains == ("cdn.example.com",) and profile.allow_private_addresses is True
    assert load_profile("haizhou").allow_private_addresses is False
    path.write_text('start_urls = ["http://portal.intra/"]\nallow_private_addresses = "yes"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="allow_private_addresses: must be true or false"):
        load_profile(path)


def test_trap_rules_on_synthetic_links():
    crawler = get_crawler(Spider, {"TRAP_ENABLED": True, "TRAP_MAX_QUERY_VARIANTS": 3, "TRAP_MAX_CALENDAR_DATES": 5,
                                   "TRAP_MAX_PATH_SEGMENTS": 6, "TRAP_MAX_SEGMENT_REPEATS": 2})
    crawler.stats.open_spider()
    mw = TrapMiddleware.from_crawler(crawler)

    def follow(source, *targets, kind="list"):
        response = HtmlResponse(source, body=b"<html></html>")
        out = mw.process_spider_output(response, [Request(t, meta={"kind": kind}) for t in targets])
        return [r.url for r in out]

    hot = [f"http://a.cn/hot/list?t={n}" for n in range(2, 9)]
    assert follow("http://a.cn/hot/list?t=1", *hot) == hot[:3]
    # Pagination parameters make no new variant; articles and other paths are not counted.
    assert follow("http://a.cn/hot/list?t=1", "http://a.cn/hot/list?t=2&page=5") == ["http://a.cn/hot/list?t=2&page=5"]
    assert follow("http://a.cn/hot/list?t=1", "http://a.cn/hot/list?id=99", kind="article") == [
        "http://a.cn/hot/list?id=99"]
    days = [f"http://a.cn/cal/2024-02-{d:02d}/" for d in range(1, 9)]
    assert follow("http://a.cn/cal/2024-01-31/", *days) == days[:5]
    assert follow("http://a.cn/cal/", "http://a.cn/cal/2030-01-01/") == ["http://a.cn/cal/2030-01-01/"]  # undated source
    assert follow("http://a.cn/deep/", "http://a.cn/deep/more/more/", "http://a.cn/deep/more/more/more/",
                  "http://a.cn/a/b/c/d/e/f/g/") == ["http://a.cn/deep/more/more/"]
    stats = crawler.stats.get_stats()
    assert (stats["traps/query_variants"], stats["traps/calendar"], stats["traps/repeated_segment"],
            stats["traps/path_segments"]) == (4, 3, 1, 1)


def test_failure_recorder_writes_in_batches_and_forgets_urls_that_answer_again(tmp_path):
    db = tmp_path / "news.db"
    crawler = get_crawler(Spider, {"FAILURES_ENABLED": True, "SQLITE_PATH": str(db), "FAILURES_BATCH_SIZE": 2,
                                   "FAILURES_FLUSH_SECONDS": 60})
    crawler.stats.open_spider()
    ext = FailureRecorder.from_crawler(crawler)
    ext.spider_opened(None)
    dead = Request("http://a.cn/dead.html", meta={"retry_times": 2})
    ext.record(dead, Failed("http_503", 503))

    def count():
        return sqlite3.connect(db).execute("select count(*) from failures").fetchone()[0]

    assert count() == 0  # waits for its batch
    ext.record(Request("http://a.cn/b", meta={"redirect_urls": ["http://a.cn/a?utm_source=x"]}),
               Failed("redirect_offsite", 302, "http://a.cn/b -> http://b.cn/"))
    rows = dict(sqlite3.connect(db).execute("select url, attempts from failures").fetchall())
    assert rows == {"http://a.cn/dead.html": 3, "http://a.cn/a": 1}  # the chain's first URL, canonical
    ext.response_received(Response("http://a.cn/dead.html", status=200), Request("http://a.cn/dead.html"))
    ext.response_received(Response("http://a.cn/other.html", status=200), Request("http://a.cn/other.html"))
    ext.spider_closed(None, "finished")
    assert count() == 1
    stats = crawler.stats.get_stats()
    assert (stats["failures/count"], stats["failures/http_503"], stats["failures/resolved"]) == (2, 1, 1)


def test_failures_table_upserts_per_run_and_forgets_urls_that_answer_again(tmp_path):
    conn = sqlite3.connect(tmp_path / "f.db")
    ensure_table(conn)
    write(conn, [("http://a.cn/x", "http_503", 3, 503, "", "2026-01-01T00:00:00+00:00", 1),
                 ("http://a.cn/y", "timeout", 3, None, "", "2026-01-01T00:00:00+00:00", 1)], [])
    write(conn, [("http://a.cn/x", "http_404", 1, 404, "", "2026-01-02T00:00:00+00:00", 2)], ["http://a.cn/y"])
    write(conn, [("http://a.cn/x", "http_404", 1, 404, "", "2026-01-02T00:00:01+00:00", 2)], [])
    rows = conn.execute("select url, reason, attempts, runs, last_status, first_failed_at, last_failed_at, run_id"
                        " from failures").fetchall()
    assert rows == [("http://a.cn/x", "http_404", 2, 2, 404, "2026-01-01T00:00:00+00:00",
                     "2026-01-02T00:00:01+00:00", 2)]
