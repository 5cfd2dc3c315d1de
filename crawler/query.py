"""Questions asked of a crawl database: search, counts, the section tree, export.

The library behind ``python -m crawler search|stats|sections|export`` (see
``crawler/cli.py``, which only parses arguments and prints). Every function takes
an open ``sqlite3.Connection`` (:func:`connect` opens one read-mostly) and
:class:`Filters`; user text reaches SQL only as bound parameters.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from . import search


def _rows(conn: sqlite3.Connection, sql: str, params) -> sqlite3.Cursor:
    """Rows addressable by column name, whatever the connection's row factory."""
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, params)


class QueryInputError(ValueError):
    """A filter or option value that cannot be used; the message says what to give."""


class DatabaseMissing(QueryInputError):
    """The database file does not exist (or is not a crawl database)."""


def connect(path: str | Path, announce=None) -> sqlite3.Connection:
    """Open an existing crawl database for queries, with the search functions
    registered and the full-text index built if it is missing or stale (first
    calling ``announce(message)``, as that takes a while on a big database)."""
    path = Path(path)
    if not path.is_file():
        raise DatabaseMissing(f"no database at {path}; crawl first (python -m crawler demo, or "
                              "scrapy crawl news -a start_url=URL), or point --db at one")
    conn = sqlite3.connect(str(path), timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles'").fetchone() is None:
            conn.close()
            raise DatabaseMissing(f"{path} is not a crawl database (it has no articles table)")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise DatabaseMissing(f"{path} is not an SQLite database ({exc})") from None
    if announce is not None and search.index_state(conn) != "current":
        announce(f"Building the full-text index of {path} (once; about a minute per 100,000 articles) …")
    try:
        search.ensure_index(conn)
    except sqlite3.OperationalError as exc:
        conn.close()
        raise DatabaseMissing(f"cannot build the full-text index of {path} ({exc}); it is built once, by a "
                              "process that can write the file: run python -m crawler index --db "
                              f"{path} when no crawl is writing it") from None
    return conn


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _date_bounds(text: str, option: str) -> tuple[str, str]:
    """The first day of ``text`` (YYYY, YYYY-MM or YYYY-MM-DD) and the day after its last.

    >>> _date_bounds("2024-02", "--since")
    ('2024-02-01', '2024-03-01')
    >>> _date_bounds("2023", "--until")
    ('2023-01-01', '2024-01-01')
    """
    found = _DATE.match(text.strip())
    try:
        if found is None:
            raise ValueError
        year, month, day = (int(g) if g else None for g in found.groups())
        if day is not None:
            first = date(year, month, day)
            after = first + timedelta(days=1)
        elif month is not None:
            first = date(year, month, 1)
            after = date(year + month // 12, month % 12 + 1, 1)
        else:
            first, after = date(year, 1, 1), date(year + 1, 1, 1)
    except ValueError:
        raise QueryInputError(f"{option} {text!r} is not a date; give YYYY-MM-DD, YYYY-MM or YYYY") from None
    return first.isoformat(), after.isoformat()


@dataclass(frozen=True)
class Filters:
    """Which articles a command looks at. ``since``/``until`` are inclusive dates
    (YYYY, YYYY-MM or YYYY-MM-DD) compared with the date the site printed, in its own
    time zone; articles without a date are left out when either is given."""

    site: str | None = None      # host name, or a domain it ends with (gov.cn)
    section: str | None = None   # the section, or any level of the breadcrumb
    editor: str | None = None
    since: str | None = None
    until: str | None = None

    def where(self, alias: str = "a") -> tuple[str, list]:
        """An SQL condition on ``articles AS alias`` and its parameters.

        >>> Filters(site="gov.cn", since="2024").where()[1]
        ['gov.cn', '%.gov.cn', '2024-01-01']
        """
        clauses, params = [], []
        if self.site:
            escaped = self.site.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(f"({alias}.site = ? OR {alias}.site LIKE ? ESCAPE '\\')")
            params += [self.site, "%." + escaped]
        if self.section:
            clauses.append(f"({alias}.section = ? OR EXISTS (SELECT 1 FROM json_each({alias}.breadcrumb) crumb"
                           " WHERE json_extract(crumb.value, '$.name') = ?))")
            params += [self.section, self.section]
        if self.editor:
            clauses.append(f"{alias}.editor = ?")
            params.append(self.editor)
        if self.since:
            clauses.append(f"{alias}.published_at >= ?")
            params.append(_date_bounds(self.since, "--since")[0])
        if self.until:
            clauses.append(f"{alias}.published_at < ?")
            params.append(_date_bounds(self.until, "--until")[1])
        if self.since and self.until and params[-2] >= params[-1]:
            raise QueryInputError(f"--since {self.since} is after --until {self.until}")
        return (" AND ".join(clauses) or "1"), params


# Columns a hit carries, in order.
HIT_COLUMNS = ("canonical_url", "title", "published_at", "site", "section", "editor", "source", "author")
SORTS = ("rank", "newest", "oldest")


def _parse(text: str) -> search.Query:
    try:
        return search.parse_query(text)
    except search.QueryError as exc:
        raise QueryInputError(str(exc)) from None


def _rank(table: str) -> str:
    return f"bm25(articles_fts, 1.0, {search.TITLE_WEIGHT})" if table == "articles_fts" else "bm25(articles_chars)"


def search_articles(conn: sqlite3.Connection, text: str, filters: Filters = Filters(), limit: int = 20,
                    sort: str = "rank", snippet_width: int = 80,
                    marks: tuple[str, str] = ("<mark>", "</mark>")) -> list[dict]:
    """The first ``limit`` hits for ``text`` with their columns, ``score`` and
    ``title_highlighted`` / ``snippet`` (hits between ``marks``).

    ``sort="rank"``: best first by bm25 (lower is better; a title hit weighs
    :data:`crawler.search.TITLE_WEIGHT` times a body hit), among the
    :data:`crawler.search.RANK_WINDOW` most recently stored matches when there are
    more. ``"newest"`` / ``"oldest"``: by the date the site printed, all matches.
    """
    if limit < 1:
        raise QueryInputError(f"--limit must be at least 1, got {limit}")
    if sort not in SORTS:
        raise QueryInputError(f"--sort must be one of {', '.join(SORTS)}, got {sort!r}")
    query = _parse(text)
    table, condition, params = query.plan()
    where, filter_params = filters.where("a")
    columns = ", ".join("a." + c for c in HIT_COLUMNS)
    if sort == "rank":
        # Articles are read for the window only when filters need their columns.
        join = f" JOIN articles a ON a.rowid = {table}.rowid" if filter_params else ""
        sql = (f"SELECT {columns}, a.body, m.score FROM ("
               f" SELECT {table}.rowid AS id, {_rank(table)} AS score FROM {table}{join}"
               f" WHERE {condition}{f' AND {where}' if filter_params else ''}"
               f" ORDER BY {table}.rowid DESC LIMIT {max(search.RANK_WINDOW, limit)}"
               ") m JOIN articles a ON a.rowid = m.id ORDER BY m.score, a.rowid DESC LIMIT ?")
    else:
        sql = (f"SELECT {columns}, a.body, NULL AS score FROM articles a"
               f" WHERE a.rowid IN (SELECT {table}.rowid FROM {table} WHERE {condition}) AND {where}"
               f" ORDER BY a.published_at IS NULL, a.published_at {'DESC' if sort == 'newest' else 'ASC'},"
               " a.rowid LIMIT ?")
    hits = []
    for row in _rows(conn, sql, [*params, *filter_params, limit]):
        hit = {c: row[c] for c in HIT_COLUMNS}
        hit["score"] = None if row["score"] is None else round(row["score"], 3)
        hit["title_highlighted"] = search.highlight(row["title"], query.highlight, marks=marks)
        hit["snippet"] = search.highlight(row["body"], query.highlight, width=snippet_width, marks=marks)
        hits.append(hit)
    return hits


def stats(conn: sqlite3.Connection, filters: Filters = Filters(), runs: int = 5) -> dict:
    """Article counts per site and section, totals, and the latest crawl runs."""
    where, params = filters.where("a")
    per_section = [dict(r) for r in _rows(conn, 
        f"SELECT a.site, a.section, count(*) AS articles, min(a.published_at) AS first_published,"
        f" max(a.published_at) AS last_published FROM articles a WHERE {where}"
        " GROUP BY a.site, a.section ORDER BY a.site, articles DESC, a.section", params)]
    one = lambda sql, p=(): conn.execute(sql, p).fetchone()[0]  # noqa: E731
    totals = {
        "articles": sum(r["articles"] for r in per_section),
        "sites": len({r["site"] for r in per_section}),
        "urls": one(f"SELECT count(*) FROM article_urls u JOIN articles a ON a.canonical_url = u.article"
                    f" WHERE {where}", params),
        "revisions": one(f"SELECT count(*) FROM revisions r JOIN articles a ON a.canonical_url = r.canonical_url"
                         f" WHERE {where}", params),
    }
    latest = []
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'crawl_runs'").fetchone():
        latest = [dict(r) for r in _rows(conn, 
            "SELECT id, spider, args, started_at, finished_at, finish_reason, new, updated, unchanged,"
            " duplicates, errors FROM crawl_runs ORDER BY id DESC LIMIT ?", (runs,))]
    return {"totals": totals, "sections": per_section, "runs": latest}


_HOME_NAMES = {"首页", "首頁", "网站首页", "網站首頁", "主页", "home", "homepage"}


def _path(breadcrumb: str | None, section: str | None) -> list[str]:
    """Section names from the breadcrumb, without a leading link to the home page.

    >>> _path('[{"name": "首页", "url": "http://x.cn/"}, {"name": "要闻", "url": "http://x.cn/yw/"}]', None)
    ['要闻']
    >>> _path("[]", "公告")
    ['公告']
    """
    crumbs = json.loads(breadcrumb) if breadcrumb else []
    names = [c.get("name", "").strip() for c in crumbs if isinstance(c, dict)]
    if crumbs and isinstance(crumbs[0], dict) and (
            names[0].lower() in _HOME_NAMES or urlsplit(crumbs[0].get("url") or "").path in ("", "/")):
        names = names[1:]
    names = [n for n in names if n]
    return names or ([section] if section else [])


def sections(conn: sqlite3.Connection, filters: Filters = Filters()) -> list[dict]:
    """The section tree of each site, built from the articles' breadcrumbs:
    ``[{"name": site, "articles": n, "children": [...]}, ...]``, biggest first.
    Articles without breadcrumb or section are counted under "(none)"."""
    where, params = filters.where("a")
    trees: dict[str, dict] = {}
    for row in _rows(conn, f"SELECT a.site, a.breadcrumb, a.section FROM articles a WHERE {where}", params):
        node = trees.setdefault(row["site"] or "(no site)", {"articles": 0, "children": {}})
        node["articles"] += 1
        for name in _path(row["breadcrumb"], row["section"]) or ["(none)"]:
            node = node["children"].setdefault(name, {"articles": 0, "children": {}})
            node["articles"] += 1

    def shape(name: str, node: dict) -> dict:
        children = sorted(node["children"].items(), key=lambda kv: (-kv[1]["articles"], kv[0]))
        return {"name": name, "articles": node["articles"], "children": [shape(n, c) for n, c in children]}

    return [shape(name, node) for name, node in sorted(trees.items(), key=lambda kv: (-kv[1]["articles"], kv[0]))]


EXPORT_FORMATS = ("jsonl", "csv")
# Columns exported, in order: the article and where it came from, not the writer's bookkeeping.
EXPORT_COLUMNS = ("canonical_url", "url", "title", "published_at", "site", "section", "breadcrumb", "editor",
                  "author", "source", "keywords", "body", "title_simplified", "body_simplified", "repairs",
                  "repair_flags", "encoding", "fetched_at", "first_stored_at", "updated_at")
_JSON_EXPORT = ("breadcrumb", "keywords", "repairs", "repair_flags")


def export_rows(conn: sqlite3.Connection, filters: Filters = Filters(), text: str | None = None,
                decode_json: bool = True) -> Iterator[dict]:
    """Every article the filters (and the search ``text``, if given) select, oldest
    first, as dicts of :data:`EXPORT_COLUMNS`; streamed, not loaded at once."""
    where, params = filters.where("a")
    source = "articles a"
    if text:
        table, condition, match_params = _parse(text).plan()
        where = f"a.rowid IN (SELECT {table}.rowid FROM {table} WHERE {condition}) AND {where}"
        params = [*match_params, *params]
    cursor = conn.execute(f"SELECT {', '.join('a.' + c for c in EXPORT_COLUMNS)} FROM {source} WHERE {where}"
                          " ORDER BY a.published_at, a.canonical_url", params)
    for row in cursor:
        record = dict(zip(EXPORT_COLUMNS, row))
        if decode_json:
            for column in _JSON_EXPORT:
                record[column] = json.loads(record[column]) if record[column] else []
        yield record
