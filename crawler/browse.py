"""Browsing a crawl database with Datasette: its metadata, and ``python -m crawler serve``.

Datasette is an optional extra (``pip install -e '.[datasette]'``). The metadata
labels the tables and columns, sets facets (site, section, editor, keywords, and
the publication date), hides the deduplication index's tables, points the
``articles`` search box at the project's full-text index, and adds canned queries
for the common questions. Chinese search itself comes from
:mod:`crawler.datasette_plugin`.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .search import RANK_WINDOW, TITLE_WEIGHT
from .storage import ARTICLE_COLUMNS

ARTICLE_COLUMN_LABELS = {
    "canonical_url": "The article's URL, canonical form (tracking parameters, print views, mobile hosts folded)",
    "url": "The URL it was fetched from",
    "title": "Headline",
    "body": "Article text, repaired (mojibake, mirror-site pinyin and punctuation), one paragraph per line",
    "editor": "编辑 / 责任编辑",
    "keywords": "关键词, JSON list",
    "published_at": "Publication date as the site printed it (ISO 8601, the site's time zone)",
    "source": "来源",
    "author": "作者 / 记者",
    "breadcrumb": "当前位置 trail, JSON list of {name, url}",
    "section": "Last level of the breadcrumb (or the list page's section)",
    "site": "Host name",
    "fetched_at": "When the stored version was fetched (UTC)",
    "status": "HTTP status of that fetch",
    "encoding": "Character encoding the page was decoded with",
    "encoding_from": "Where that encoding came from: bom, header, meta, detected",
    "etag": "ETag of the fetched version, for conditional re-crawls",
    "last_modified": "Last-Modified of the fetched version",
    "provenance": "JSON {field: the extraction rule that found it}",
    "repairs": "JSON list of the text fixers that changed the article",
    "repair_flags": "JSON list of damage found but not repaired (e.g. unrecoverable)",
    "title_simplified": "Simplified form of a Traditional title (empty when the same)",
    "body_simplified": "Simplified form of a Traditional body (empty when the same)",
    "content_hash": "Fingerprint of the normalised text (exact-duplicate key)",
    "first_stored_at": "First stored (UTC)",
    "updated_at": "Last changed (UTC)",
    "last_seen_at": "Last seen by a crawl (UTC)",
}
assert set(ARTICLE_COLUMN_LABELS) == set(ARTICLE_COLUMNS), "label every articles column"

_HITS = (f"SELECT {{columns}} FROM (SELECT rowid AS id, bm25(articles_fts, 1.0, {TITLE_WEIGHT}) AS score"
         " FROM articles_fts WHERE articles_fts MATCH news_search_query(:q)"
         f" ORDER BY rowid DESC LIMIT {RANK_WINDOW}) m JOIN articles a ON a.rowid = m.id")

QUERIES = {
    "search": {
        "title": "Search the articles (Chinese words of any length)",
        "description": "Words must all appear; \"a phrase\" as written; OR between two words; -word excludes; "
                       "Traditional and Simplified find each other. Best matches first (bm25, title hits "
                       f"count {TITLE_WEIGHT:g}×, among the {RANK_WINDOW:,} most recently stored matches). "
                       "Leave since empty for all dates.",
        "sql": _HITS.format(columns="a.title, news_search_snippet(a.body, :q, 100) AS snippet, a.published_at,"
                                    " a.section, a.editor, a.site, a.canonical_url")
               + " WHERE (:since = '' OR a.published_at >= :since) ORDER BY m.score LIMIT 100",
    },
    "by_editor": {
        "title": "What one editor published",
        "description": "Newest first. The editor's name as in the editor column (e.g. 邱景行).",
        "sql": "SELECT published_at, title, section, site, canonical_url FROM articles WHERE editor = :editor"
               " ORDER BY published_at DESC",
    },
    "section": {
        "title": "The articles of one section",
        "description": "A section name at any level of the breadcrumb (e.g. 统一战线, or its parent 党派·声音), "
                       "newest first.",
        "sql": "SELECT published_at, title, editor, source, site, canonical_url FROM articles a"
               " WHERE a.section = :section OR EXISTS (SELECT 1 FROM json_each(a.breadcrumb) c"
               " WHERE json_extract(c.value, '$.name') = :section) ORDER BY published_at DESC",
    },
    "per_month": {
        "title": "Articles per month and section",
        "sql": "SELECT substr(published_at, 1, 7) AS month, site, section, count(*) AS articles FROM articles"
               " WHERE published_at IS NOT NULL GROUP BY month, site, section ORDER BY month DESC, articles DESC",
    },
    "copies": {
        "title": "Articles found under more than one URL",
        "description": "Every other URL an article was seen at, and the rule that merged it "
                       "(canonical_url, exact_fingerprint, near_duplicate with its similarity).",
        "sql": "SELECT a.title, u.url, u.rule, u.score, u.first_seen_at FROM article_urls u"
               " JOIN articles a ON a.canonical_url = u.article WHERE u.rule != 'self'"
               " ORDER BY u.article, u.url",
    },
    "latest_runs": {
        "title": "The latest crawl runs",
        "sql": "SELECT id, spider, args, started_at, finished_at, finish_reason, new, updated, unchanged,"
               " duplicates, errors, dropped FROM crawl_runs ORDER BY id DESC LIMIT 50",
    },
}


def metadata(database: str) -> dict:
    """Datasette metadata for a crawl database served under the name ``database``."""
    hidden = {"hidden": True}
    return {
        "title": "Chinese news crawl",
        "description": "Articles crawled from Chinese news portals: one row per article, repaired and "
                       "deduplicated. Search the articles table (any length of Chinese, Traditional or "
                       "Simplified), or use the canned queries below.",
        "databases": {database: {
            "tables": {
                "articles": {
                    "description": "One row per article, keyed by canonical URL. Copies found under other "
                                   "URLs are merged into it (see article_urls).",
                    "label_column": "title",
                    "fts_table": "articles_fts",
                    "fts_pk": "rowid",
                    "sort_desc": "published_at",
                    "facets": ["site", "section", "editor", {"array": "keywords"}, {"date": "published_at"}],
                    "columns": ARTICLE_COLUMN_LABELS,
                },
                "article_urls": {
                    "description": "Every URL an article was seen at, and why it belongs to it "
                                   "(the seen-state of incremental crawls).",
                    "facets": ["rule"],
                    "columns": {
                        "url": "A URL the article was seen at (canonical form)",
                        "article": "canonical_url of the article",
                        "rule": "self, canonical_url, exact_fingerprint or near_duplicate",
                        "score": "1.0, or the near-duplicate similarity",
                    },
                },
                "revisions": {"description": "Earlier versions of articles whose text changed.",
                              "label_column": "title"},
                "crawl_runs": {"description": "One row per crawl: start, end, outcome and counts.",
                               "sort_desc": "id", "facets": ["spider", "finish_reason"]},
                "fingerprints": hidden, "lsh_buckets": hidden, "lsh_recent": hidden, "lsh_sizes": hidden,
                "search_index": hidden,
                **{f"articles_{fts}{suffix}": hidden for fts in ("fts", "chars")
                   for suffix in ("", "_data", "_idx", "_docsize", "_config")},
            },
            "queries": QUERIES,
        }},
    }


class DatasetteMissing(RuntimeError):
    """Datasette is not installed in this environment."""


def _stop(server: subprocess.Popen, grace: float = 10.0) -> None:
    """Wait for ``server`` to exit: after ``grace`` seconds terminate it, after as many again kill it."""
    for escalate in (server.terminate, server.kill):
        try:
            server.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            escalate()
    server.wait()


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001) -> int:
    """Run Datasette on ``db_path`` with the project's metadata until it exits
    (Ctrl-C); returns its exit code."""
    if importlib.util.find_spec("datasette") is None:
        raise DatasetteMissing("Datasette is an optional extra; install it with "
                               ".venv/bin/python -m pip install -e '.[datasette]'")
    db_path = Path(db_path)
    with tempfile.TemporaryDirectory(prefix="news-datasette-") as folder:
        meta = Path(folder) / "metadata.json"
        meta.write_text(json.dumps(metadata(db_path.stem), ensure_ascii=False), encoding="utf-8")
        command = [sys.executable, "-m", "datasette", "serve", str(db_path), "--metadata", str(meta),
                   "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "3000"]
        server = subprocess.Popen(command)
        # SIGTERM (systemd, a supervisor, kill) stops Datasette too, rather than leaving it
        # serving on its own; Ctrl-C reaches both from the terminal.
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: server.terminate())
        try:
            return server.wait()
        except KeyboardInterrupt:  # Datasette had it too from the terminal; if not (kill -INT), stop it
            _stop(server)
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
