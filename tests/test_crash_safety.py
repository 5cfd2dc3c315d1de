"""kill -9 at several points of a crawl, then the same command again.

Nothing that was written is lost, nothing is stored twice, the database passes
PRAGMA integrity_check, and the run after the last kill finishes the work.
"""

import signal
import sqlite3
import subprocess
import time

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


def test_kill_9_and_resume(portal_server, portal, tmp_path, python):
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
