"""The SQLite database the crawls produce: schema and batched article upserts.

Tables: ``articles``, keyed by canonical URL, and ``crawl_runs``, one row per
crawl with its stats (the schema is in the README). The database runs in WAL mode so that queries can read while a crawl
writes. The writer pipeline (``pipelines/sqlite.py``) and the command line use
this module; nothing else touches SQL.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

# column -> SQLite type, in table order. JSON columns hold lists/dicts as text.
ARTICLE_COLUMNS: dict[str, type] = {
    "canonical_url": str,
    "url": str,
    "title": str,
    "body": str,
    "editor": str,
    "keywords": str,       # JSON list
    "published_at": str,   # ISO 8601
    "source": str,
    "author": str,
    "breadcrumb": str,     # JSON list of {"name", "url"}
    "section": str,
    "site": str,
    "fetched_at": str,
    "status": int,
    "encoding": str,
    "encoding_from": str,
    "provenance": str,     # JSON {field: rule}
    "repairs": str,        # JSON list of fixer names
    "repair_flags": str,   # JSON list
    "title_simplified": str,
    "body_simplified": str,
    "first_stored_at": str,
    "updated_at": str,
}
JSON_COLUMNS = ("keywords", "breadcrumb", "provenance", "repairs", "repair_flags")
# Columns taken from the item; the rest are the writer's bookkeeping.
ITEM_COLUMNS = tuple(c for c in ARTICLE_COLUMNS if c not in ("first_stored_at", "updated_at"))

# Upsert by canonical URL. A page fetched at its canonical address replaces what
# an alias (print view, page whose <link rel=canonical> points elsewhere) stored,
# never the reverse, so the stored row does not depend on crawl order.
_UPSERT = (
    f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in ARTICLE_COLUMNS)}) "
    "ON CONFLICT(canonical_url) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in ITEM_COLUMNS if c != "canonical_url")
    + ", updated_at = excluded.updated_at "
    "WHERE excluded.url = excluded.canonical_url OR articles.url != articles.canonical_url"
)


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Open (creating folders, file and schema as needed) the crawl database."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30)
    db = sqlite_utils.Database(conn)
    db.enable_wal()
    # WAL + NORMAL: durable at each checkpoint, and a crash cannot corrupt the file.
    db.execute("PRAGMA synchronous = NORMAL")
    ensure_schema(db)
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    articles = db["articles"]
    articles.create(ARTICLE_COLUMNS, pk="canonical_url", not_null=["url", "title", "body"], if_not_exists=True)
    # Databases made by an earlier version lack the newer columns: add them.
    for column, kind in ARTICLE_COLUMNS.items():
        if column not in articles.columns_dict:
            articles.add_column(column, kind)
    for columns in (["site", "section"], ["published_at"], ["editor"]):
        articles.create_index(columns, if_not_exists=True)
    ensure_runs_table(db)


def article_row(item: dict, now: str | None = None) -> dict:
    """An item (as a dict) -> a row for the ``articles`` table."""
    now = now or datetime.now(timezone.utc).isoformat(timespec="seconds")
    row = {c: item.get(c) for c in ITEM_COLUMNS}
    for column in JSON_COLUMNS:
        row[column] = json.dumps(row[column] if row[column] is not None else [], ensure_ascii=False)
    row["first_stored_at"] = now
    row["updated_at"] = now
    return row


def upsert_articles(db: sqlite_utils.Database, rows: list[dict]) -> None:
    """Write ``rows`` in one transaction."""
    if not rows:
        return
    with db.conn:
        db.conn.executemany(_UPSERT, rows)


def ensure_runs_table(db: sqlite_utils.Database) -> None:
    db["crawl_runs"].create(
        {"id": int, "spider": str, "args": str, "started_at": str, "finished_at": str,
         "finish_reason": str, "items_stored": int, "stats": str},
        pk="id", if_not_exists=True,
    )


def record_run(db: sqlite_utils.Database, run: dict) -> int:
    """Insert one ``crawl_runs`` row; returns its id."""
    ensure_runs_table(db)
    with db.conn:
        cursor = db.conn.execute(
            f"INSERT INTO crawl_runs ({', '.join(run)}) VALUES ({', '.join('?' * len(run))})",
            list(run.values()),
        )
    return cursor.lastrowid
