"""kill -9 at several points of a crawl, then the same command again.

Nothing that was written is lost, nothing is stored twice, the database passes
PRAGMA integrity_check, and the run after the last kill finishes the work. The
failures table (crawler/extensions/failures.py) comes out of the kills whole too.
All along, another process queries the database as `python -m crawler search` does,
and never meets a lock error or an article without its URL rows or index entries.
"""

import json
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import REPO
from test_crawl_e2e import FAST


def counts(db):
    conn = sqlite3.connect(db, timeout=30)
    try:
        return (conn.execute("select count(*) from articles").fetchone()[0],
                conn.execute("pragma integrity_check").fetchone()[0])
    except sqlite3.OperationalError:  # tables not made yet
        return 0, "ok"
    finally:
        conn.close()


def crawl_cmd(python, server, db):
    # Small batches and 4 connections: many commits, and a crawl slow enough to be hit.
    return [python, "-m", "scrapy", "crawl", "news", "-a", f"start_url={server.url}", "-s", f"SQLITE_PATH={db}",
            "-s", "LOG_LEVEL=WARNING", *FAST, "-s", "CONCURRENT_REQUESTS=4", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4",
            "-s", "SQLITE_BATCH_SIZE=7", "-s", "SQLITE_FLUSH_SECONDS=0.2"]


# Queries in a loop until the stop file appears, each in one read transaction (one
# snapshot): the article count, the checks that every article has its own URL row and
# its full-text index entry (and no URL row or index entry is left without its
# article), and a phrase search for the newest article's title through the query
# module (crawler.query.search_articles, what `python -m crawler search` runs).
READER = r"""
import json, sqlite3, sys, time
from pathlib import Path
from crawler.query import DatabaseMissing, connect, search_articles
from crawler.search import QueryError
db, stop, out = map(Path, sys.argv[1:4])
result = {"queries": 0, "searches": 0, "max_articles": 0, "errors": [], "half": []}
CHECKS = {
    "article_without_url_row": "select count(*) from articles a where not exists (select 1 from article_urls u"
                               " where u.url = a.canonical_url and u.article = a.canonical_url)",
    "url_row_without_article": "select count(*) from article_urls where article not in"
                               " (select canonical_url from articles)",
    "article_not_indexed": "select count(*) from articles a where not exists"
                           " (select 1 from articles_fts_docsize d where d.id = a.rowid)",
    "index_without_article": "select count(*) from articles_fts_docsize d where not exists"
                             " (select 1 from articles a where a.rowid = d.id)",
}
conn = None
while not stop.exists():
    try:
        if conn is None:
            conn = connect(db)
            conn.isolation_level = None  # transactions as written below
        conn.execute("BEGIN")
        n = conn.execute("select count(*) from articles").fetchone()[0]
        bad = {name: conn.execute(sql).fetchone()[0] for name, sql in CHECKS.items()}
        latest = conn.execute("select canonical_url, title from articles order by rowid desc limit 1").fetchone()
        if latest is not None:
            try:
                hits = search_articles(conn, '"' + latest[1].replace('"', " ") + '"', limit=50)
                result["searches"] += 1
                if latest[0] not in {h["canonical_url"] for h in hits}:
                    bad["newest_article_not_found"] = 1
            except (QueryError, ValueError):
                pass  # a title the query language cannot quote: not a database matter
        conn.execute("COMMIT")
        result["queries"] += 1
        result["max_articles"] = max(result["max_articles"], n)
        if any(bad.values()):
            result["half"].append({"articles": n, **bad})
    except DatabaseMissing:
        pass  # the first crawl has not made the tables yet
    except sqlite3.OperationalError as exc:
        if result["queries"] or "no such table" not in str(exc):
            result["errors"].append(f"{type(exc).__name__}: {exc}")
        # else: the first crawl is making the schema, a table at a time
        if conn is not None:
            conn.close()
        conn = None
    except sqlite3.Error as exc:
        result["errors"].append(f"{type(exc).__name__}: {exc}")
        if conn is not None:
            conn.close()
        conn = None
    time.sleep(0.05)
out.write_text(json.dumps(result))
"""


@pytest.fixture
def reader(tmp_path, python):
    """READER on tmp_path/news.db from the start of the test; ``reader()`` stops it and
    returns what it saw. Stopped (killed if need be) however the test ends."""
    stop, report = tmp_path / "stop-reading", tmp_path / "reader.json"
    proc = subprocess.Popen([python, "-c", READER, str(tmp_path / "news.db"), str(stop), str(report)], cwd=REPO,
                            stderr=subprocess.PIPE, text=True)

    def finish():
        stop.touch()
        proc.wait(timeout=60)
        assert proc.returncode == 0, proc.stderr.read()[-2000:]
        return json.loads(report.read_text())

    yield finish
    stop.touch()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_kill_9_and_resume(portal_server, portal, tmp_path, python, reader):
    db = tmp_path / "news.db"
    stored_before = 0
    for kill_at in (20, 110, 200):  # articles stored when the crawl is killed
        proc = subprocess.Popen(crawl_cmd(python, portal_server, db), cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                if db.exists() and counts(db)[0] >= kill_at:
                    break
                time.sleep(0.02)
            assert proc.poll() is None, "the crawl ended before the kill point"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        stored, integrity = counts(db)
        assert integrity == "ok"
        assert stored >= stored_before, "articles written before the kill were lost"
        stored_before = stored

    finish = subprocess.run(crawl_cmd(python, portal_server, db), cwd=REPO, capture_output=True, text=True,
                            timeout=240)
    assert finish.returncode == 0, finish.stderr[-2000:]
    conn = sqlite3.connect(db)
    base = portal_server.url.rstrip("/")
    rows = {r[0] for r in conn.execute("select canonical_url from articles")}
    assert rows == {base + a.url_path for a in portal.articles if a.kind == "original"}
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    # Every article has its own URL row, and every recorded URL points at a stored article.
    assert conn.execute("select count(*) from article_urls where rule = 'self'").fetchone()[0] == len(rows)
    assert conn.execute("select count(*) from article_urls where article not in "
                        "(select canonical_url from articles)").fetchone()[0] == 0
    reasons = [r[0] for r in conn.execute("select finish_reason from crawl_runs order by id")]
    assert reasons[:3] == [None, None, None] and reasons[-1] == "finished"

    # The failures table: the portal's dead links and its 500, as the last run saw them,
    # one row each however many killed runs recorded them before; nothing that was stored.
    last_run = conn.execute("select max(id) from crawl_runs").fetchone()[0]
    failures = {r[0]: r[1:] for r in conn.execute("select url, reason, attempts, last_status, run_id, runs"
                                                  " from failures")}
    expected = {**{base + p: ("http_404", 1, 404) for p in portal.expected["not_found_urls"]},
                **{base + p: ("http_500", 3, 500) for p in portal.expected["server_error_urls"]}}
    assert {url: row[:3] for url, row in failures.items()} == expected
    assert all(row[3] == last_run and 1 <= row[4] <= 4 for row in failures.values())
    conn.close()

    result = reader()
    assert result["errors"] == []  # never "database is locked", never a failed query
    assert result["half"] == []    # never an article without its URL row or index entry
    assert result["queries"] > 50 and result["searches"] > 0 and result["max_articles"] >= len(rows) - 50
