"""The SQLite database the crawls produce: schema, and the article writer.

Tables (the schema is in the README): ``articles``, one row per article, keyed
by canonical URL, with its full-text index ``articles_fts`` (see
:mod:`crawler.search`); ``article_urls``, every URL an article was seen at and why it
belongs to it (the seen-state of incremental crawls); ``revisions``, earlier
versions of changed articles; ``fingerprints``, ``lsh_buckets``, ``lsh_recent`` and
``lsh_sizes`` (see :mod:`crawler.dedup`); ``crawl_runs``, one row per crawl. The database runs in
WAL mode so that queries can read while a crawl writes. The writer pipeline
(``pipelines/sqlite.py``) and the command line write through this module; the
questions asked of the database are in :mod:`crawler.query`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import logging
from typing import TYPE_CHECKING

from . import search
from .dedup import BUCKET_TABLES, SCHEMA as DEDUP_SCHEMA, DedupIndex, Fingerprint, fingerprint, lsh_buckets
from .dedup import upgrade_tables as upgrade_dedup_tables
from .urls import canonical_url

if TYPE_CHECKING:
    import sqlite_utils

logger = logging.getLogger(__name__)

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
    "etag": str,           # validators of the fetched version, for conditional re-crawls
    "last_modified": str,
    "provenance": str,     # JSON {field: rule}
    "repairs": str,        # JSON list of fixer names
    "repair_flags": str,   # JSON list
    "title_simplified": str,
    "body_simplified": str,
    "content_hash": str,   # crawler.dedup fingerprint of the normalised body
    "first_stored_at": str,
    "updated_at": str,
    "last_seen_at": str,   # last time a crawl saw the article (fetched, unchanged or a duplicate)
}
JSON_COLUMNS = ("keywords", "breadcrumb", "provenance", "repairs", "repair_flags")
# Columns taken from the item; the rest are the writer's bookkeeping.
ITEM_COLUMNS = tuple(c for c in ARTICLE_COLUMNS
                     if c not in ("content_hash", "first_stored_at", "updated_at", "last_seen_at"))

# Pages the WAL holds before a commit copies them into the database file (SQLite's default is
# 1,000, 4 MB). A batch of 200 articles on a 100,000-article database writes ~1,500 pages, so
# each commit was followed by a checkpoint: every page written twice, and two fsyncs. With
# 4,000 (a WAL of up to ~16 MB plus a batch), about one commit in three checkpoints, and a
# page several commits wrote is copied once: the writer alone on top of 100,000 articles went
# from 1,479 / 1,663 to 1,670 / 1,836 items/s (two runs each, bench/README.md). The file is
# as safe from corruption as before; what a power cut can lose is what was committed since
# the last checkpoint (synchronous = NORMAL): up to ~4,000 pages, a few batches, not one.
WAL_AUTOCHECKPOINT = 4000


def connect(path: str | Path, search_index: bool = True) -> sqlite3.Connection:
    """Open (creating folders, file and schema as needed) the crawl database: a plain
    ``sqlite3`` connection, for the crawl process's extensions, which need no more.

    With ``search_index`` the full-text index (:mod:`crawler.search`) is made
    ready: its SQL functions registered on the connection, the index built if it is
    missing or was built by another version (once; logged, as it takes time on a
    large database). Without it, a database that has the index refuses changes to
    article text on this connection (no SQL function for the triggers).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30)
    conn.execute("PRAGMA journal_mode = WAL")
    # WAL + NORMAL: durable at each checkpoint, and a crash cannot corrupt the file.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")
    ensure_schema(conn)
    if search_index:
        built = search.ensure_index(conn)
        if built is not None:
            logger.info("Built the full-text index of %s: %d articles in %.1f s",
                        path, built["articles"], built["seconds"])
        search.use_automerge(conn)
    return conn


def open_database(path: str | Path, search_index: bool = True) -> sqlite_utils.Database:
    """:func:`connect`, as a ``sqlite_utils.Database`` (its connection is ``db.conn``).

    sqlite-utils is imported here, not with the module: the crawl process, whose
    worker process writes the articles, then does not load it (15 MB of its memory).
    """
    import sqlite_utils

    return sqlite_utils.Database(connect(path, search_index))


def _connection(db) -> sqlite3.Connection:
    """The sqlite3 connection of ``db``: a connection, or a ``sqlite_utils.Database``."""
    return db if isinstance(db, sqlite3.Connection) else db.conn


def _ensure_table(conn: sqlite3.Connection, name: str, columns: dict[str, type], pk: str,
                  not_null: tuple[str, ...] = ()) -> None:
    """Table ``name`` with ``columns`` (as sqlite-utils made it in earlier versions);
    the columns an older table lacks are added."""
    types = {str: "TEXT", int: "INTEGER", float: "FLOAT"}
    existing = {row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')}
    if not existing:
        lines = [f'"{column}" {types[kind]}' + (" PRIMARY KEY" if column == pk else "")
                 + (" NOT NULL" if column in not_null else "") for column, kind in columns.items()]
        conn.execute(f'CREATE TABLE IF NOT EXISTS "{name}" (\n   ' + ",\n   ".join(lines) + "\n)")
        return
    for column, kind in columns.items():
        if column not in existing:
            conn.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {types[kind]}')


_SCHEMA = """
CREATE TABLE IF NOT EXISTS article_urls (
    url TEXT PRIMARY KEY,      -- a URL the article was seen at (canonical form)
    article TEXT NOT NULL,     -- canonical_url of the stored article
    rule TEXT NOT NULL,        -- self | canonical_url | exact_fingerprint | near_duplicate
    score REAL NOT NULL,       -- 1.0, or the near-duplicate similarity
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS article_urls_article ON article_urls (article);
CREATE TABLE IF NOT EXISTS revisions (
    id INTEGER PRIMARY KEY,
    canonical_url TEXT NOT NULL,
    title TEXT, body TEXT, editor TEXT, published_at TEXT, content_hash TEXT,
    fetched_at TEXT, replaced_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS revisions_url ON revisions (canonical_url);
"""


def ensure_schema(db) -> None:
    """Make the tables and indexes that are missing (``db``: a connection or a
    ``sqlite_utils.Database``); databases made by an earlier version get the newer columns."""
    conn = _connection(db)
    with conn:
        _ensure_table(conn, "articles", ARTICLE_COLUMNS, "canonical_url", ("url", "title", "body"))
        for columns in (("site", "section"), ("published_at",), ("editor",)):
            quoted = ", ".join(f'"{column}"' for column in columns)
            conn.execute(f'CREATE INDEX IF NOT EXISTS "idx_articles_{"_".join(columns)}" ON "articles" ({quoted})')
    upgrade_dedup_tables(conn)
    conn.executescript(_SCHEMA + DEDUP_SCHEMA)
    ensure_runs_table(conn)

    def texts():
        last = -1 << 63
        while True:  # by rowid, a thousand at a time: the writes in between touch other tables
            rows = conn.execute("SELECT rowid, canonical_url, title, body FROM articles WHERE rowid > ?"
                                " ORDER BY rowid LIMIT 1000", (last,)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            for _, url, title, body in rows:
                yield url, title, body

    recomputed = DedupIndex(conn).rebuild_if_stale(texts)
    if recomputed:
        logger.info("Computed the near-duplicate signatures of %d stored articles (new version)", recomputed)


def article_row(item: dict, now: str | None = None) -> dict:
    """An item (as a dict) -> a row for the ``articles`` table (content_hash not set)."""
    now = now or datetime.now(timezone.utc).isoformat(timespec="seconds")
    row = {c: item.get(c) for c in ITEM_COLUMNS}
    for column in JSON_COLUMNS:
        row[column] = json.dumps(row[column] if row[column] is not None else [], ensure_ascii=False)
    row.update(content_hash=None, first_stored_at=now, updated_at=now, last_seen_at=now)
    return row


# Repairs that mark a damaged copy: a clean copy of the same article is preferred.
_DAMAGE = {"pinyin_annotations", "fullwidth_punctuation", "utf8_read_as_gbk", "gbk_read_as_latin1", "latin_mojibake"}
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def preference(row: dict) -> tuple:
    """Sort key of the copies of one article: the smallest is the one kept.

    Undamaged before repaired (a mirror's copy), then the earliest publication,
    then the lowest CMS sequence number in the URL (t20231228_6145 was published
    before its republication t20231228_7017), then the URL itself.
    """
    repairs = set(json.loads(row["repairs"] or "[]"))
    flags = json.loads(row["repair_flags"] or "[]")
    damage = 2 if flags else 1 if repairs & _DAMAGE else 0
    number = _LAST_NUMBER.search(urlsplit(row["canonical_url"]).path)
    return (damage, row["published_at"] or "9999", int(number.group(1)) if number else 1 << 62,
            row["canonical_url"])


_INSERT = f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) VALUES ({', '.join(':' + c for c in ARTICLE_COLUMNS)})"
_UPDATE = ("UPDATE articles SET " + ", ".join(f"{c} = :{c}" for c in ITEM_COLUMNS if c != "canonical_url")
           + ", content_hash = :content_hash, updated_at = :updated_at, last_seen_at = :last_seen_at"
           " WHERE canonical_url = :canonical_url")
_SEE = ("INSERT INTO article_urls (url, article, rule, score, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(url) DO UPDATE SET article = excluded.article, rule = excluded.rule, score = excluded.score, "
        "last_seen_at = excluded.last_seen_at")
# Rows inserted by one statement at most (27 parameters a row, SQLite allows 32,766).
_INSERT_CHUNK = 500
# What a bad item raises in the writer: it fails alone, the rest of its batch is stored.
_ITEM_ERRORS = (sqlite3.IntegrityError, KeyError, TypeError, ValueError)


@dataclass(frozen=True)
class PreparedItem:
    """An item with everything the writer derives from it alone (:func:`prepare_item`):
    pure data, picklable, so that it can be computed in another process."""

    url: str | None
    """The item's URL, for logging."""
    row: dict | None = None
    """Its ``articles`` row (JSON columns dumped, content_hash set, timestamps not)."""
    fetched_url: str | None = None
    """canonical_url() of the fetched URL."""
    redirect_key: str | None = None
    """canonical_url() of its canonical URL, when URLs redirected to it."""
    redirects: tuple[str, ...] = ()
    """canonical_url() of the URLs that redirected to it."""
    fingerprint: Fingerprint | None = None
    buckets: tuple[int, ...] = ()
    """LSH buckets of the signature, in ``bands`` bands."""
    bands: int = 0
    search: search.IndexEntry | None = None
    """The full-text index's tokens of its title and body."""
    seen_again: str | None = None
    """A 304 Not Modified re-crawl of this URL: nothing else is set."""
    error: str | None = None
    """Why it cannot be stored (the item is counted ``failed``)."""


def prepare_item(item: dict, bands: int = 16) -> PreparedItem:
    """Everything the writer computes from an item (as a dict) alone: its row, the
    canonical forms of its URLs, its dedup fingerprint and LSH buckets (``bands``:
    ``DEDUP_BANDS``), its full-text index tokens. No database access; never raises
    for a bad item (``error`` says what is wrong, and the writer counts it failed).
    :meth:`ArticleWriter.write` takes these or the items themselves.
    """
    if "seen_again" in item:
        return PreparedItem(item.get("url"), seen_again=item["seen_again"])
    try:
        row = article_row(item, now="")
        for column in ("first_stored_at", "updated_at", "last_seen_at"):
            del row[column]
        print_ = fingerprint(row["title"] or "", row["body"] or "")
        row["content_hash"] = print_.content_hash
        key = row["canonical_url"]
        redirects = tuple(canonical_url(source) for source in item.get("redirected_from") or ())
        return PreparedItem(
            item.get("url"), row, fetched_url=canonical_url(row["url"]),
            redirect_key=canonical_url(item["canonical_url"]) if redirects else None, redirects=redirects,
            fingerprint=print_, buckets=tuple(lsh_buckets(print_.signature, bands)), bands=bands,
            search=search.index_entry(row["title"], row["body"]))
    except (KeyError, TypeError, ValueError) as exc:
        return PreparedItem(item.get("url") if isinstance(item, dict) else None, error=repr(exc))


class ArticleWriter:
    """Writes batches of items, one transaction each, deciding for every item whether
    it is ``new``, ``updated`` (previous version kept in ``revisions``), ``unchanged``
    or a ``duplicate`` of a stored article (its URL recorded in ``article_urls`` with
    the rule and score that merged it). The seen-state is committed with the items.
    """

    def __init__(self, db: sqlite_utils.Database, dedup: bool = True, near_threshold: float = 0.8, bands: int = 16,
                 min_bands: int = 2):
        self.db = db
        self.bands = bands
        self.index = DedupIndex(db.conn, near_threshold, bands, min_bands) if dedup else None
        if self.index is not None:
            redone = self.index.use_bands()
            if redone:
                logger.info("Computed the near-duplicate buckets of %d stored articles in %d bands (DEDUP_BANDS)",
                            redone, bands)

    def write(self, items: list) -> Counter:
        """Write ``items`` (dicts, or :class:`PreparedItem` from :func:`prepare_item`)
        in one transaction; returns outcome -> count.

        An item that cannot be written (fields missing, a constraint broken) is rolled
        back alone, logged and counted as ``failed``: it never takes the batch with it.
        The batch is first written without a savepoint per item, new articles inserted
        by one statement at the end (so that FTS5 indexes them in one go, rather than
        writing a segment per article: every statement that fires the index triggers
        makes it flush); if an item fails, the transaction is rolled back and the
        batch written again item by item, each in its own savepoint.
        """
        counts: Counter = Counter()
        prepared = []
        for item in items:
            if not isinstance(item, PreparedItem):
                item = prepare_item(item, self.bands)
            if item.error is not None:
                logger.error("Could not store %s: %s", item.url, item.error)
                counts["failed"] += 1
            else:
                prepared.append(item)
        if not prepared:
            return counts
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with search.primed(p.search for p in prepared):
            try:
                return counts + self._write_batch(prepared, now)
            except _ITEM_ERRORS:
                pass  # rolled back: again, each item alone
            return counts + self._write_batch(prepared, now, alone=True)

    def _write_batch(self, items: list[PreparedItem], now: str, alone: bool = False) -> Counter:
        counts: Counter = Counter()
        conn = self.db.conn
        pending: dict[str, dict] | None = None if alone else {}
        with conn:
            # IMMEDIATE: take the write lock before the first read, so that the
            # decisions below see what concurrent writers committed.
            conn.execute("BEGIN IMMEDIATE")
            for item in items:
                if not alone:
                    counts[self._write_item(item, now, pending)] += 1
                    continue
                conn.execute("SAVEPOINT item")
                try:
                    outcome = self._write_item(item, now, None)
                except _ITEM_ERRORS as exc:
                    conn.execute("ROLLBACK TO item")
                    logger.error("Could not store %s: %r", item.url, exc)
                    outcome = "failed"
                conn.execute("RELEASE item")
                counts[outcome] += 1
            if pending:
                self._insert_pending(pending)
            if self.index is not None:
                self.index.merge_if_due()
        return counts

    def _write_item(self, item: PreparedItem, now: str, pending: dict | None) -> str:
        if item.seen_again is not None:
            return self._seen_again(item.seen_again, now, pending)
        outcome = self._store(item, now, pending)
        # Links that redirected here: their URLs lead to the same article.
        conn = self.db.conn
        article = item.redirects and conn.execute("SELECT article FROM article_urls WHERE url = ?",
                                                  (item.redirect_key,)).fetchone()
        if article:
            for source in item.redirects:
                if (pending is None or source not in pending) and conn.execute(
                        "SELECT 1 FROM articles WHERE canonical_url = ?", (source,)).fetchone() is None:
                    self._see(source, article[0], "canonical_url", 1.0, now)
        return outcome

    def _insert_pending(self, pending: dict[str, dict]) -> None:
        """Insert the new articles held back so far, in the order they came, by as few
        statements as possible."""
        rows = list(pending.values())
        pending.clear()
        for start in range(0, len(rows), _INSERT_CHUNK):
            chunk = rows[start:start + _INSERT_CHUNK]
            values = ", ".join(["(" + ", ".join("?" * len(ARTICLE_COLUMNS)) + ")"] * len(chunk))
            self.db.conn.execute(f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) VALUES {values}",
                                 [row[c] for row in chunk for c in ARTICLE_COLUMNS])

    def _stored(self, key: str, pending: dict | None) -> None:
        """Make sure the article ``key``, if it is new in this batch, is in the table."""
        if pending and key in pending:
            self._insert_pending(pending)

    def _seen_again(self, url: str, now: str, pending: dict | None) -> str:
        """A re-crawl answered 304 Not Modified: the article was seen, nothing changed."""
        row = self.db.conn.execute("SELECT article FROM article_urls WHERE url = ?", (url,)).fetchone()
        if row is not None:
            self._stored(row[0], pending)
            self.db.conn.execute("UPDATE article_urls SET last_seen_at = ? WHERE url = ?", (now, url))
            self.db.conn.execute("UPDATE articles SET last_seen_at = ? WHERE canonical_url = ?", (now, row[0]))
        return "unchanged"

    def _see(self, url: str, article: str, rule: str, score: float, now: str) -> None:
        self.db.conn.execute(_SEE, (url, article, rule, score, now, now))

    def _store(self, item: PreparedItem, now: str, pending: dict | None) -> str:
        conn = self.db.conn
        row = dict(item.row, first_stored_at=now, updated_at=now, last_seen_at=now)
        key = row["canonical_url"]
        print_ = item.fingerprint
        buckets = item.buckets if item.bands == self.bands else None
        fetched_url = item.fetched_url
        alias_rule = ("self", 1.0) if fetched_url == key else ("canonical_url", 1.0)

        self._stored(key, pending)
        stored = conn.execute("SELECT url, content_hash FROM articles WHERE canonical_url = ?", (key,)).fetchone()
        if stored is not None:
            self._see(key, key, "self", 1.0, now)
            self._see(fetched_url, key, *alias_rule, now)
            stored_from_self = canonical_url(stored[0]) == key
            if fetched_url != key and stored_from_self:
                # An alias (print view) of an article stored from its own page.
                conn.execute("UPDATE articles SET last_seen_at = ? WHERE canonical_url = ?", (now, key))
                return "unchanged"
            if stored[1] == row["content_hash"] or not stored_from_self:
                # Same text (titles, editors, validators may still be corrected), or the
                # article's own page after an alias of it: its version is kept, as no revision.
                conn.execute(_UPDATE, row)
                if stored[1] != row["content_hash"] and self.index is not None:
                    self.index.add(key, print_, buckets=buckets)
                return "unchanged"
            conn.execute(
                "INSERT INTO revisions (canonical_url, title, body, editor, published_at, content_hash, fetched_at,"
                " replaced_at) SELECT canonical_url, title, body, editor, published_at, content_hash, fetched_at, ?"
                " FROM articles WHERE canonical_url = ?", (now, key))
            conn.execute(_UPDATE, row)
            if self.index is not None:
                self.index.add(key, print_, buckets=buckets)
            return "updated"

        known = conn.execute("SELECT article, rule, score FROM article_urls WHERE url = ?", (key,)).fetchone()
        if known is not None and known[1] != "self":
            self._see(key, *known, now)  # a duplicate URL seen again
            return "duplicate"

        match = self.index.find(print_, exclude=key, buckets=buckets) if self.index is not None else None
        kept = None
        if match is not None:
            self._stored(match.article, pending)
            kept = conn.execute("SELECT * FROM articles WHERE canonical_url = ?", (match.article,)).fetchone()
            if kept is None:  # an index entry whose article was deleted by hand
                self.index.remove(match.article)
                match = None
        if match is None:
            if pending is None:
                conn.execute(_INSERT, row)
            else:
                pending[key] = row
            self._see(key, key, "self", 1.0, now)
            if fetched_url != key:
                self._see(fetched_url, key, *alias_rule, now)
            if self.index is not None:
                self.index.add(key, print_, new=True, buckets=buckets)
            return "new"

        kept = dict(zip([d[0] for d in conn.execute("SELECT * FROM articles LIMIT 0").description], kept))
        if preference(row) < preference(kept):
            # The better copy arrived second: it takes the article's place, and the
            # copy stored so far becomes one of its duplicate URLs.
            conn.execute("DELETE FROM articles WHERE canonical_url = ?", (match.article,))
            if pending is None:
                conn.execute(_INSERT, row)
            else:
                pending[key] = row
            conn.execute("UPDATE article_urls SET article = ? WHERE article = ?", (key, match.article))
            self._see(match.article, key, match.rule, match.score, now)
            self._see(key, key, "self", 1.0, now)
            self.index.remove(match.article)
            self.index.add(key, print_, buckets=buckets)
        else:
            self._see(key, match.article, match.rule, match.score, now)
            conn.execute("UPDATE articles SET last_seen_at = ? WHERE canonical_url = ?", (now, match.article))
        if fetched_url != key:
            self._see(fetched_url, conn.execute("SELECT article FROM article_urls WHERE url = ?", (key,)).fetchone()[0],
                      *alias_rule, now)
        return "duplicate"


def forget_urls(db: sqlite_utils.Database, prefix: str) -> int:
    """Delete every trace of the articles whose canonical URL starts with ``prefix``;
    returns the number of articles deleted."""
    like = prefix.replace("%", "\\%").replace("_", "\\_") + "%"
    with db.conn:
        deleted = db.conn.execute("DELETE FROM articles WHERE canonical_url LIKE ? ESCAPE '\\'", (like,)).rowcount
        for table in BUCKET_TABLES:
            db.conn.execute(f"DELETE FROM {table} WHERE fingerprint IN"
                            " (SELECT id FROM fingerprints WHERE canonical_url LIKE ? ESCAPE '\\')", (like,))
        for table, column in (("article_urls", "article"), ("revisions", "canonical_url"),
                              ("fingerprints", "canonical_url")):
            db.conn.execute(f"DELETE FROM {table} WHERE {column} LIKE ? ESCAPE '\\'", (like,))
    return deleted


RUN_COLUMNS: dict[str, type] = {
    "id": int, "spider": str, "args": str, "started_at": str, "finished_at": str,
    "finish_reason": str,
    "items_stored": int,   # items the writer handled (all outcomes)
    "new": int, "updated": int, "unchanged": int, "duplicates": int,
    "dropped": str,        # JSON {reason: count}: extraction drops, non-HTML, denied links
    "errors": int,         # failed downloads and HTTP errors given up on
    "stats": str,          # every Scrapy stat, JSON
}


def ensure_runs_table(db) -> None:
    conn = _connection(db)
    with conn:
        _ensure_table(conn, "crawl_runs", RUN_COLUMNS, "id")


def record_run(db, run: dict, run_id: int | None = None) -> int:
    """Insert a ``crawl_runs`` row, or update row ``run_id``; returns its id (``db``: a
    connection or a ``sqlite_utils.Database``)."""
    conn = _connection(db)
    with conn:
        if run_id is None:
            cursor = conn.execute(
                f"INSERT INTO crawl_runs ({', '.join(run)}) VALUES ({', '.join('?' * len(run))})",
                list(run.values()),
            )
            return cursor.lastrowid
        conn.execute(f"UPDATE crawl_runs SET {', '.join(f'{c} = ?' for c in run)} WHERE id = ?",
                     [*run.values(), run_id])
    return run_id


def last_run_finished(db, spider: str, args: str) -> bool:
    """Whether the latest recorded run of ``spider`` with these arguments ended with
    finish_reason "finished" (a run killed with -9 never records its end). Runs the
    lock stopped before they began do not count: they crawled nothing."""
    row = _connection(db).execute(
        "SELECT finish_reason FROM crawl_runs WHERE spider = ? AND args = ?"
        " AND coalesce(finish_reason, '') NOT IN ('lock_held', 'lock_error') ORDER BY id DESC LIMIT 1",
        (spider, args)).fetchone()
    return row is not None and row[0] == "finished"
