"""Datasette plugin: Chinese full-text search in Datasette, on crawl databases.

Registered through the ``datasette`` entry point in ``pyproject.toml``, so it is
active whenever Datasette runs in the project's environment (``python -m crawler
serve``, or ``datasette output/news.db`` directly). On a database that has the
project's index (``articles_fts``), each connection gets the SQL functions of
:func:`crawler.search.register_functions`, and Datasette's own ``escape_fts`` is
replaced by :func:`crawler.search.match_expression`: the search box of the
``articles`` table then takes the project's query language (words of any length,
"phrases", OR, -word, Traditional or Simplified) instead of handing Chinese to
FTS5 as one token. Databases without that table are left alone.
"""

from __future__ import annotations

from datasette import hookimpl

from . import search


def _escape_fts(text: str | None) -> str:
    try:
        return search.match_expression(text or "")
    except search.QueryError:
        return '""'  # matches nothing: an empty or punctuation-only search shows no rows


# trylast: run after Datasette's own prepare_connection, whose escape_fts this replaces.
@hookimpl(trylast=True)
def prepare_connection(conn, database, datasette):
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'").fetchone() is None:
        return
    search.register_functions(conn)
    conn.create_function("escape_fts", 1, _escape_fts, deterministic=True)
