"""The query commands (search, stats, sections, export, index) and Datasette (serve),
run as a user runs them, on a database of the sample portal's articles."""

import csv
import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from crawler.query import connect, export_rows, Filters

from conftest import BASE, REPO


def run(python, *args, timeout=120):
    return subprocess.run([python, "-m", "crawler", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def db(articles_db, tmp_path):
    """A copy of the articles database the test may change."""
    path = tmp_path / "news.db"
    shutil.copy(articles_db, path)
    return str(path)


def test_search_prints_ranked_hits_with_the_words_marked(python, db, originals):
    proc = run(python, "search", "统一战线", "--db", db, "--limit", "3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("[统一战线]") >= 3
    assert proc.stdout.count(BASE) == 3
    proc = run(python, "search", "統一戰線", "--db", db, "--json", "--section", "统一战线", "--since", "2020")
    hits = [json.loads(line) for line in proc.stdout.splitlines()]
    want = {BASE + a.url_path for a in originals if a.section == "统一战线" and a.published_at >= "2020"
            and ("统一战线" in a.title or "统一战线" in a.body)}
    assert hits and {h["canonical_url"] for h in hits} == set(list(want)[:20]) | ({h["canonical_url"] for h in hits} & want)
    assert {h["canonical_url"] for h in hits} <= want and len(hits) == min(20, len(want))
    assert all("<mark>" in h["snippet"] + h["title_highlighted"] for h in hits)


@pytest.mark.parametrize("args, message", [
    (["search", "统战", "--since", "2024-13"], "search: --since '2024-13' is not a date"),
    (["search", "，。"], "has no letters, digits or Chinese characters"),
    (["search", "统战", "--limit", "0"], "--limit must be at least 1"),
    (["stats", "--until", "soon"], "stats: --until 'soon' is not a date"),
    (["export", "--format", "jsonl", "--query=-统战"], "only excludes words"),
])
def test_bad_arguments_exit_2_with_what_to_do(python, db, args, message):
    proc = run(python, *args, "--db", db)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


@pytest.mark.parametrize("command", ["search 统战", "stats", "sections", "export --format csv", "index", "serve"])
def test_a_missing_database_is_a_clear_error(python, tmp_path, command):
    proc = run(python, *command.split(), "--db", str(tmp_path / "none.db"))
    assert proc.returncode == 2
    assert f"no database at {tmp_path / 'none.db'}; crawl first" in proc.stderr


def test_stats_and_sections_count_what_is_stored(python, db, originals):
    result = json.loads(run(python, "stats", "--db", db, "--json").stdout)
    assert result["totals"]["articles"] == len(originals)
    per_section = {r["section"]: r["articles"] for r in result["sections"]}
    assert per_section["统一战线"] == sum(a.section == "统一战线" for a in originals)
    text = run(python, "stats", "--db", db).stdout
    assert f"articles {len(originals)}" in text and "统一战线" in text

    [tree] = json.loads(run(python, "sections", "--db", db, "--json").stdout)
    assert tree["name"] == "portal.test" and tree["articles"] == len(originals)
    party = next(c for c in tree["children"] if c["name"] == "党派·声音")
    assert party["articles"] == sum(any(c["name"] == "党派·声音" for c in a.breadcrumb) for a in originals)
    assert {c["name"] for c in party["children"]} == {"统一战线", "民主党派", "侨务工作"}
    assert sum(c["articles"] for c in party["children"]) == party["articles"]
    assert "  统一战线  " in run(python, "sections", "--db", db).stdout


def test_export_writes_the_selected_articles(python, db, originals, tmp_path):
    out = tmp_path / "tyzx.csv"
    proc = run(python, "export", "--format", "csv", "--section", "统一战线", "-o", str(out), "--db", db)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["canonical_url"] for r in rows} == {BASE + a.url_path for a in originals if a.section == "统一战线"}
    assert json.loads(rows[0]["breadcrumb"])[-1]["name"] == "统一战线"
    proc = run(python, "export", "--format", "jsonl", "--query", "就业", "--since", "2023", "--db", db)
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    want = {BASE + a.url_path for a in originals if (a.published_at or "") >= "2023"
            and ("就业" in a.title or "就业" in a.body)}
    assert want and {r["canonical_url"] for r in records} == want
    assert isinstance(records[0]["keywords"], list)
    assert f"Exported {len(records)} articles" in proc.stderr


def test_index_builds_and_rebuilds(python, db, originals):
    conn = connect(db)
    conn.executescript("DROP TABLE articles_fts; DROP TABLE articles_chars; DROP TABLE search_index;")
    conn.close()
    proc = run(python, "index", "--db", db)
    assert proc.returncode == 0 and "Building the full-text index" in proc.stderr
    assert f"is current: {len(originals)} articles" in proc.stdout
    proc = run(python, "index", "--rebuild", "--db", db)
    assert f"Rebuilt the full-text index of {db}: {len(originals)} articles" in proc.stdout
    assert len(list(export_rows(connect(db), Filters(), text="海州"))) > 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def datasette(python, db):
    port = free_port()
    proc = subprocess.Popen([python, "-m", "crawler", "serve", "--db", db, "--port", str(port)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/news"
    deadline = time.monotonic() + 60
    while True:
        try:
            get_json(base + ".json")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("Datasette did not start: " + proc.stdout.read()[-2000:])
            time.sleep(0.3)
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    # Datasette, a process of its own, stops with it (it used to keep serving, orphaned).
    deadline = time.monotonic() + 10
    while True:
        try:
            get_json(base + ".json")
        except OSError:
            break
        assert time.monotonic() < deadline, "Datasette still serving after python -m crawler serve got SIGTERM"
        time.sleep(0.2)


def test_datasette_searches_chinese_facets_and_labels(datasette, db, originals):
    def want(word):
        return {BASE + a.url_path for a in originals if word in a.title or word in a.body}

    q = urllib.parse.quote
    # The articles table's own search box, with a three-character word (one FTS5
    # token without the plugin, so it would find nothing) and a Traditional one.
    for word, simplified in (("统一战线", "统一战线"), ("統一戰線", "统一战线"), ("港", "港")):
        page = get_json(f"{datasette}/articles.json?_search={q(word)}&_shape=objects&_size=max&_col=title")
        assert {r["canonical_url"] for r in page["rows"]} == want(simplified), word
    # Facets from the metadata.
    page = get_json(f"{datasette}/articles.json?_search={q('海州')}&_size=0")
    assert {"site", "section", "editor", "keywords", "published_at"} <= set(page["facet_results"])
    sections = {f["value"]: f["count"] for f in page["facet_results"]["section"]["results"]}
    assert sections["统一战线"] == len({u for u in want("海州") if "/dpsy/tyzx/" in u})
    # Canned queries.
    hits = get_json(f"{datasette}/search.json?q={q('就业')}&since=2023&_shape=objects")["rows"]
    assert hits and {h["canonical_url"] for h in hits} <= want("就业")
    assert all(h["published_at"] >= "2023" and "【就业】" in h["snippet"] for h in hits)
    editor = originals[0].editor
    rows = get_json(f"{datasette}/by_editor.json?editor={q(editor)}&_shape=objects&_size=max")["rows"]
    assert len(rows) == sum(a.editor == editor for a in originals)
    # Labels.
    meta = get_json(datasette.rsplit("/", 1)[0] + "/-/metadata.json")
    columns = meta["databases"]["news"]["tables"]["articles"]["columns"]
    assert columns["editor"] == "编辑 / 责任编辑"
