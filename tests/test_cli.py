"""The command line: demo, extract, serve-portal, run as a user runs them."""

import json
import re
import signal
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

from conftest import REPO, ctrl_c_reaches_it

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def run(python, *args, timeout=120):
    return subprocess.run([python, "-m", "crawler", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def test_demo_crawls_the_portal_into_the_database(python, portal, tmp_path):
    db = tmp_path / "demo.db"
    proc = run(python, "demo", "--db", str(db), timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    count = sqlite3.connect(db).execute("select count(*) from articles").fetchone()[0]
    assert count == portal.expected["articles_original"]  # mirror and republished copies merged
    assert f"{count} articles stored" in proc.stdout
    assert re.search(r"sections \(\d+\)", proc.stdout) and "top keywords:" in proc.stdout
    # Run again: the earlier demo's rows are replaced, not duplicated.
    again = run(python, "demo", "--db", str(db), timeout=180)
    assert again.returncode == 0
    assert sqlite3.connect(db).execute("select count(*) from articles").fetchone()[0] == count


def test_extract_prints_one_json_line_per_file_in_order(python, tmp_path):
    files = sorted(FIXTURES.glob("*.html"))
    bad = tmp_path / "notitle.html"
    bad.write_text("<html><body><p>没有标题。</p></body></html>", encoding="utf-8")
    proc = run(python, "extract", *map(str, files), str(bad))
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == len(files) + 1
    for path, record in zip(files, lines):
        expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["expected"]
        assert record["title"] == expected["title"]
        assert record["url"] == path.resolve().as_uri()
    assert lines[-1]["error"] == "no_title"
    assert proc.returncode == 1  # some file held no article


def test_extract_missing_file_is_a_clear_error(python):
    proc = run(python, "extract", "no/such/file.html")
    assert proc.returncode == 2
    assert "cannot read no/such/file.html" in proc.stderr


def test_serve_portal_serves_until_interrupted(python):
    proc = subprocess.Popen([python, "-m", "crawler", "serve-portal", "--port", "0"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ctrl_c_reaches_it)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200 and "<html" in resp.read().decode("utf-8", "replace").lower()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0
