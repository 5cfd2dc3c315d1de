"""End to end: `scrapy crawl news` against the sample portal, into SQLite.

The portal's generator knows what it published (``portal.articles``,
``portal.expected``); these tests hold the database and the crawl's stats to it.
"""

import json
import sqlite3
import subprocess
from urllib.parse import urlsplit

import opencc
import pytest

from conftest import REPO

S2T = opencc.OpenCC("s2t")

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32"]


def run_crawl(server, db_path, python, *settings):
    proc = subprocess.run(
        [python, "-m", "scrapy", "crawl", "news", "-a", f"start_url={server.url}", "-s", f"SQLITE_PATH={db_path}",
         "-s", "LOG_LEVEL=INFO", *FAST, *settings],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    rows = {r["canonical_url"]: dict(r) for r in conn.execute("select * from articles")}
    urls = {r["url"]: dict(r) for r in conn.execute("select * from article_urls")}
    run = dict(conn.execute("select * from crawl_runs order by id desc limit 1").fetchone())
    stats = json.loads(run["stats"])
    return {"rows": rows, "urls": urls, "run": run, "stats": stats, "log": proc.stderr,
            "base": server.url.rstrip("/"), "db": db_path}


@pytest.fixture(scope="module")
def crawl(portal_server, tmp_path_factory, python):
    return run_crawl(portal_server, tmp_path_factory.mktemp("crawl") / "news.db", python)


@pytest.fixture(scope="module")
def crawl_every_page(portal_server, tmp_path_factory, python):
    """The same crawl without deduplication: one row per article page."""
    return run_crawl(portal_server, tmp_path_factory.mktemp("crawl") / "news.db", python, "-s", "DEDUP_ENABLED=False")


def test_stores_one_row_per_article(crawl, portal):
    """Mirror copies and the republished copy collapse onto their originals."""
    base = crawl["base"]
    originals = {base + a.url_path for a in portal.articles if a.kind == "original"}
    assert len(originals) == portal.expected["articles_original"]
    assert set(crawl["rows"]) == originals
    assert crawl["run"]["finish_reason"] == "finished"
    assert crawl["stats"]["sqlite/new"] == len(originals)


def test_every_copy_is_recorded_with_the_rule_that_merged_it(crawl, portal):
    base = crawl["base"]
    by_id = {a.id: a for a in portal.articles}
    copies = [a for a in portal.articles if a.kind != "original"]
    assert len(copies) == portal.expected["mirror_copies"] + portal.expected["republished_copies"]
    for copy in copies:
        seen = crawl["urls"][base + copy.url_path]
        assert seen["article"] == base + by_id[copy.canonical_of].url_path, copy.id
        assert seen["rule"] in ("exact_fingerprint", "near_duplicate") and seen["score"] >= 0.8
    merged = {u["article"] for u in crawl["urls"].values() if u["rule"] in ("exact_fingerprint", "near_duplicate")}
    assert len(merged) == len(copies)  # no original absorbed another original
    assert crawl["stats"]["sqlite/duplicate"] >= len(copies)


def test_stores_every_valid_article_page_without_dedup(crawl_every_page, portal):
    base = crawl_every_page["base"]
    assert len(portal.articles) == portal.expected["article_pages_valid"]
    assert set(crawl_every_page["rows"]) == {base + a.url_path for a in portal.articles}


def test_drops_are_counted_with_reasons(crawl, portal):
    stats, exp = crawl["stats"], portal.expected
    assert stats.get("extract/dropped/no_title") == exp["dropped"]["no_title"]
    assert stats.get("extract/dropped/empty_body") == exp["dropped"]["empty_body"]
    assert stats.get("news/skipped/non_html") == len(exp["non_html_urls"])
    assert stats.get("httperror/response_ignored_status_count/404") == len(exp["not_found_urls"])
    assert stats.get("httperror/response_ignored_status_count/500") == len(exp["server_error_urls"])
    assert stats.get("retry/max_reached") == len(exp["server_error_urls"])
    assert "Dropped page: no_title" in crawl["log"]


def test_robots_and_offsite_are_respected(crawl, portal):
    stats, exp = crawl["stats"], portal.expected
    assert stats.get("robotstxt/forbidden") == len(exp["robots_disallowed_urls"])
    assert stats.get("offsite/domains") == len(exp["offsite_domains"])
    assert stats.get("offsite/filtered") >= len(exp["offsite_domains"])
    hosts = {urlsplit(u).hostname for u in crawl["rows"]}
    assert hosts == {"127.0.0.1"}


def test_sections_found_only_through_breadcrumbs(crawl, portal):
    base = crawl["base"]
    by_id = {a.id: a for a in portal.articles}
    hidden = portal.expected["breadcrumb_only_articles"]
    assert hidden
    for article_id in hidden:
        assert base + by_id[article_id].url_path in crawl["rows"]


def _expected_fields(truth, by_id):
    """What the row must hold: the page's truth; for a mirror copy, its original in
    Traditional characters (the repair pipeline removes the mirror's pinyin and
    restores its punctuation, and keeps the Traditional text)."""
    want = {
        "title": truth.title, "body": truth.body, "editor": truth.editor, "source": truth.source,
        "author": truth.author, "published_at": truth.published_at, "section": truth.section,
        "keywords": truth.keywords, "breadcrumb": [c["name"] for c in truth.breadcrumb],
    }
    if truth.kind == "mirror":
        original = by_id[truth.canonical_of]
        for field in ("title", "body", "editor", "section"):
            want[field] = S2T.convert(getattr(original, field))
        want["keywords"] = [S2T.convert(k) for k in original.keywords]
        want["breadcrumb"] = [S2T.convert(c["name"]) for c in original.breadcrumb]
    return want


def test_field_values_of_every_article(crawl_every_page, portal):
    """Every stored row against the generator's truth, field by field."""
    crawl = crawl_every_page
    base = crawl["base"]
    by_id = {a.id: a for a in portal.articles}
    mismatches = []
    for truth in portal.articles:
        row = crawl["rows"][base + truth.url_path]
        got = {
            "title": row["title"], "body": row["body"], "editor": row["editor"], "source": row["source"],
            "author": row["author"], "published_at": row["published_at"], "section": row["section"],
            "keywords": json.loads(row["keywords"]),
            "breadcrumb": [c["name"] for c in json.loads(row["breadcrumb"])],
        }
        want = _expected_fields(truth, by_id)
        for field in want:
            if got[field] != want[field]:
                mismatches.append((truth.id, truth.template, field, got[field], want[field]))
    assert not mismatches, mismatches[:10]


def test_mirror_copies_stored_repaired_with_simplified_forms(crawl_every_page, portal):
    crawl = crawl_every_page
    base = crawl["base"]
    by_id = {a.id: a for a in portal.articles}
    mirrors = [a for a in portal.articles if a.kind == "mirror"]
    assert len(mirrors) == portal.expected["mirror_copies"] > 0
    for truth in mirrors:
        row = crawl["rows"][base + truth.url_path]
        original = by_id[truth.canonical_of]
        assert (row["title_simplified"], row["body_simplified"]) == (original.title, original.body)
        assert json.loads(row["repairs"])[:2] == ["pinyin_annotations", "fullwidth_punctuation"]
    originals = [a for a in portal.articles if a.kind == "original"]
    for truth in originals[:50]:
        row = crawl["rows"][base + truth.url_path]
        assert row["title_simplified"] is None and json.loads(row["repairs"]) == []
    stats = crawl["stats"]
    assert stats["repair/pinyin_annotations"] == len(mirrors)
    assert stats["repair/fullwidth_punctuation"] == len(mirrors)


def test_gbk_pages_decoded_and_recorded(crawl, portal):
    base = crawl["base"]
    gbk = [a for a in portal.articles if a.encoding.lower() in ("gbk", "gb2312", "gb18030")]
    assert gbk
    for truth in gbk:
        row = crawl["rows"][base + truth.url_path]
        assert row["encoding"] == "gb18030"
        expected_from = "detected" if truth.charset_declared == "wrong" else None
        if expected_from:
            assert row["encoding_from"] == expected_from
        else:
            assert row["encoding_from"] in ("header", "meta")
    wrong = [a for a in portal.articles if a.charset_declared == "wrong"]
    assert len(wrong) == 1


def test_duplicate_urls_collapse_by_canonical_url(crawl, portal):
    """Print views and tracking-parameter links give no rows of their own."""
    assert portal.expected["print_views"] > 0 and portal.expected["tracking_variants"] > 0
    assert not [u for u in crawl["rows"] if "utm_" in u or "from=" in u or "_print" in u]


def test_crawl_run_row_counts(crawl, portal):
    run, exp = crawl["run"], portal.expected
    assert run["new"] == exp["articles_original"]
    assert run["duplicates"] >= exp["mirror_copies"] + exp["republished_copies"]
    assert run["updated"] == 0
    dropped = json.loads(run["dropped"])
    assert dropped["no_title"] == 1 and dropped["empty_body"] == 1 and dropped["non_html"] == 1
    # 404s and the 500 (given up on after its retries) are the errors
    assert run["errors"] == len(exp["not_found_urls"]) + len(exp["server_error_urls"])


@pytest.fixture(scope="module")
def second_crawl(crawl, portal_server, python):
    """The same crawl again, into the same database: an incremental run."""
    return run_crawl(portal_server, crawl["db"], python)


def test_second_crawl_fetches_only_what_it_does_not_have(crawl, second_crawl, portal):
    first, second = crawl["stats"], second_crawl["stats"]
    assert second_crawl["rows"].keys() == crawl["rows"].keys()
    assert second.get("sqlite/new", 0) == 0 and second.get("sqlite/updated", 0) == 0
    # Only article URLs that never gave an article are asked again (empty, title-less),
    # and only those the lists still lead to once pagination stops on known pages.
    assert second["news/pages/article"] <= sum(portal.expected["dropped"].values())
    assert second["incremental/skipped_known"] >= portal.expected["articles_original"]
    assert second["incremental/pagination_stopped"] > 0
    assert second["response_received_count"] < first["response_received_count"] / 2


def test_full_crawl_fetches_everything_and_finds_it_unchanged(crawl, second_crawl, portal_server, python):
    full = run_crawl(portal_server, crawl["db"], python, "-a", "full=1")
    assert full["stats"]["sqlite/unchanged"] >= len(crawl["rows"])
    assert full["stats"].get("sqlite/new", 0) == 0 and full["stats"].get("sqlite/updated", 0) == 0
    assert "incremental/skipped_known" not in full["stats"]
    assert full["rows"].keys() == crawl["rows"].keys()
    runs = sqlite3.connect(crawl["db"]).execute("select count(*) from crawl_runs").fetchone()[0]
    assert runs == 3


def test_recrawl_of_stale_articles_is_conditional(crawl, second_crawl, portal_server, python, portal):
    """Everything due again (re-crawl age 0): articles asked with If-None-Match, answered 304."""
    recrawl = run_crawl(portal_server, crawl["db"], python, "-s", "NEWS_RECRAWL_AGE_HOURS=0")
    stats = recrawl["stats"]
    assert stats["incremental/conditional_requests"] >= portal.expected["articles_original"]
    assert stats["incremental/not_modified"] >= portal.expected["articles_original"]
    assert stats.get("sqlite/new", 0) == 0 and stats.get("sqlite/updated", 0) == 0
    assert recrawl["rows"].keys() == crawl["rows"].keys()


def test_crawl_in_place_stores_what_the_workers_store(crawl, portal_server, tmp_path, python):
    """PROCESS_WORKERS=0 SQLITE_WRITER_PROCESS=False (everything on Scrapy's thread) and the default (worker
    processes) store the same articles, field for field, and count the same drops."""
    inline = run_crawl(portal_server, tmp_path / "inline.db", python, "-s", "PROCESS_WORKERS=0",
                       "-s", "SQLITE_WRITER_PROCESS=False")
    assert crawl["stats"]["workers/processes"] >= 1
    assert "workers/processes" not in inline["stats"]
    volatile = {"fetched_at", "first_stored_at", "updated_at", "last_seen_at"}
    assert set(inline["rows"]) == set(crawl["rows"])
    for key, row in crawl["rows"].items():
        other = inline["rows"][key]
        assert {k: v for k, v in row.items() if k not in volatile} == \
               {k: v for k, v in other.items() if k not in volatile}, key
    assert {u: (r["article"], r["rule"]) for u, r in inline["urls"].items()} == \
           {u: (r["article"], r["rule"]) for u, r in crawl["urls"].items()}
    def outcomes(stats):  # batches may be cut elsewhere (SQLITE_FLUSH_SECONDS): not compared
        return {k: v for k, v in stats.items()
                if k.startswith(("extract/dropped", "repair/", "sqlite/")) and k != "sqlite/batches"}

    assert outcomes(crawl["stats"]) == outcomes(inline["stats"])


def test_the_crawl_runs_with_the_garbage_collector_tuned(crawl):
    """GcTuning (crawler/extensions/gctuning.py) is on by default and records its collections."""
    stats = crawl["stats"]
    assert {"gc/collections", "gc/full_collections", "gc/seconds"} <= set(stats)
    assert stats["gc/collections"] >= stats["gc/full_collections"] >= 0
