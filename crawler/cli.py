"""``python -m crawler``: the command line. Thin: each command calls the library.

    python -m crawler demo [--db PATH]          serve the sample portal, crawl it, summarise
    python -m crawler extract FILE... [--url U] [--site NAME]
                                                one JSON line per file, as the spider extracts
    python -m crawler serve-portal [--port N] [--scale N]
                                                serve the sample portal alone (N times bigger)
    python -m crawler repair [--jsonl]          repair text from stdin to stdout
    python -m crawler search QUERY [filters] [--limit N] [--sort S] [--json]
                                                full-text search (Chinese, any length)
    python -m crawler stats [filters] [--json]  counts per site and section, latest crawl runs
    python -m crawler sections [filters] [--json]
                                                the section tree from the breadcrumbs, with counts
    python -m crawler export --format jsonl|csv [filters] [--query Q] [-o FILE]
    python -m crawler index [--rebuild]         build the full-text index of an existing database
    python -m crawler serve [--port N]          browse the database with Datasette

Filters: --site HOST --section NAME --editor NAME --since DATE --until DATE.
Every command that reads a database takes --db PATH (default output/news.db).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

DEFAULT_DB = "output/news.db"


def _project_settings(overrides: dict | None = None):
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


# The local portal is ours: no politeness delays needed against it.
LOCAL_FAST = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
}


def run_crawl(start_url: str, db_path: str, extra_settings: dict | None = None) -> dict:
    """Crawl ``start_url`` with the news spider in this process; return the crawl's stats."""
    from scrapy.crawler import CrawlerProcess

    from .spiders.news import NewsSpider

    settings = _project_settings({"SQLITE_PATH": db_path, **(extra_settings or {})})
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, start_url=start_url)
    process.start()
    return crawler.stats.get_stats()


def summarize(db_path: str, site_prefix: str) -> dict:
    """Counts the demo prints, for the articles whose URL starts with ``site_prefix``."""
    from .storage import open_database

    db = open_database(db_path)
    like = site_prefix + "%"
    one = lambda sql: next(db.query(sql, [like]))["n"]  # noqa: E731
    summary = {
        "articles": one("select count(*) n from articles where canonical_url like ?"),
        "sections": list(db.query(
            "select section, count(*) n from articles where canonical_url like ? "
            "group by section order by n desc, section", [like])),
        "editors": list(db.query(
            "select editor, count(*) n from articles where canonical_url like ? and editor is not null "
            "group by editor order by n desc, editor", [like])),
        "top_keywords": list(db.query(
            "select k.value keyword, count(*) n from articles, json_each(articles.keywords) k "
            "where canonical_url like ? group by k.value order by n desc, k.value limit 10", [like])),
    }
    db.conn.close()
    return summary


def cmd_demo(args) -> int:
    from .portal import PortalServer
    from .storage import forget_urls, open_database

    with PortalServer(port=args.port) as server:
        db = open_database(args.db)
        # Earlier demos ran on other ports: their rows are the same articles under
        # another address, so forget the sample portal's articles first.
        removed = forget_urls(db, "http://127.0.0.1:")
        db.conn.close()
        if removed:
            print(f"Removed {removed} rows of an earlier demo from {args.db}")
        print(f"Serving the sample portal at {server.url}; crawling it into {args.db} …", flush=True)
        started = time.monotonic()
        stats = run_crawl(server.url, args.db, {**LOCAL_FAST, "LOG_LEVEL": args.log_level})
        elapsed = time.monotonic() - started
    summary = summarize(args.db, server.url.rstrip("/"))
    dropped = {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("extract/dropped/")}
    print(f"Crawled {stats.get('response_received_count', 0)} pages in {elapsed:.1f} s: "
          f"{summary['articles']} articles stored in {args.db} "
          f"({stats.get('sqlite/duplicate', 0)} copies under other URLs merged into them)")
    print(f"  dropped: {', '.join(f'{k} {v}' for k, v in sorted(dropped.items())) or 'none'}; "
          f"non-HTML skipped: {stats.get('news/skipped/non_html', 0)}; "
          f"blocked by robots.txt: {stats.get('robotstxt/forbidden', 0)}; "
          f"offsite requests filtered: {stats.get('offsite/filtered', 0)}")
    print(f"  sections ({len(summary['sections'])}): "
          + "，".join(f"{r['section']} {r['n']}" for r in summary["sections"]))
    print(f"  editors ({len(summary['editors'])}): "
          + "，".join(f"{r['editor']} {r['n']}" for r in summary["editors"][:10])
          + ("…" if len(summary["editors"]) > 10 else ""))
    print("  top keywords: " + "，".join(f"{r['keyword']} {r['n']}" for r in summary["top_keywords"]))
    return 0 if stats.get("finish_reason") == "finished" else 1


def cmd_extract(args) -> int:
    from .extraction import ExtractionError, extract_article
    from .profiles import ProfileError, load_profile

    profile = None
    if args.site:
        try:
            profile = load_profile(args.site)
        except ProfileError as exc:
            print(f"extract: {exc}", file=sys.stderr)
            return 2
    failed = 0
    for name in args.files:
        path = Path(name)
        try:
            body = path.read_bytes()
        except OSError as exc:
            print(f"extract: cannot read {name}: {exc.strerror}", file=sys.stderr)
            return 2
        url = args.url or path.resolve().as_uri()
        try:
            record = asdict(extract_article(url, body, profile=profile))
        except ExtractionError as exc:
            failed += 1
            record = {"url": url, "file": name, "error": exc.reason}
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def cmd_repair(args) -> int:
    from .repair import repair_document

    if not args.jsonl:
        text = sys.stdin.read()
        lines = text.split("\n")
        result = repair_document(lines)
        sys.stdout.write("\n".join(result.texts))
        if args.explain:
            print(f"repairs: {', '.join(result.repairs) or 'none'}; flags: {', '.join(result.flags) or 'none'}",
                  file=sys.stderr)
        return 0
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            print(f"repair: line {number} is not JSON ({exc}); each line must be an object with a \"text\" string",
                  file=sys.stderr)
            return 2
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            print(f"repair: line {number} has no \"text\" string; each line must be an object with one",
                  file=sys.stderr)
            return 2
        result = repair_document(record["text"].split("\n"))
        record["text"] = "\n".join(result.texts)
        record["repairs"] = result.repairs
        if result.flags:
            record["repair_flags"] = result.flags
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return 0


def cmd_serve_portal(args) -> int:
    from .portal import serve_portal

    if args.scale < 1:
        print(f"serve-portal: --scale must be at least 1, got {args.scale}", file=sys.stderr)
        return 2
    try:
        serve_portal(port=args.port, host=args.host, scale=args.scale)
    except OSError as exc:
        print(f"serve-portal: cannot listen on {args.host}:{args.port}: {exc.strerror}; "
              "try another --port (0 picks a free one)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


# --- querying the database ------------------------------------------------------

def _open_for_query(args, command: str):
    """The database of ``args.db`` and the filters of ``args``; None after printing
    the reason when either is unusable."""
    from .query import Filters, QueryInputError, connect

    try:
        filters = Filters(site=args.site, section=args.section, editor=args.editor,
                          since=args.since, until=args.until)
        filters.where()  # checks the dates
        conn = connect(args.db, announce=lambda message: print(message, file=sys.stderr, flush=True))
    except QueryInputError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return None, None
    return conn, filters


def cmd_search(args) -> int:
    from .query import QueryInputError, search_articles

    conn, filters = _open_for_query(args, "search")
    if conn is None:
        return 2
    tty = sys.stdout.isatty() and not args.json
    marks = ("<mark>", "</mark>") if args.json else ("\x1b[1;31m", "\x1b[0m") if tty else ("[", "]")
    try:
        hits = search_articles(conn, args.query, filters, limit=args.limit, sort=args.sort, marks=marks)
    except QueryInputError as exc:
        print(f"search: {exc}", file=sys.stderr)
        return 2
    for number, hit in enumerate(hits, 1):
        if args.json:
            print(json.dumps(hit, ensure_ascii=False))
            continue
        about = " · ".join(x for x in ((hit["published_at"] or "")[:10], hit["section"],
                                       hit["editor"] and f"编辑 {hit['editor']}", hit["site"]) if x)
        print(f"{number:>3}. {hit['title_highlighted']}\n     {about}\n     {hit['canonical_url']}\n"
              f"     {hit['snippet']}\n")
    if not hits and not args.json:
        print(f"No article matches {args.query!r}" + (" with these filters" if filters.where()[1] else "") + ".",
              file=sys.stderr)
    return 0


def cmd_stats(args) -> int:
    from .query import stats

    conn, filters = _open_for_query(args, "stats")
    if conn is None:
        return 2
    result = stats(conn, filters, runs=args.runs)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    totals = result["totals"]
    print(f"articles {totals['articles']}, sites {totals['sites']}, URLs they were seen at {totals['urls']}, "
          f"earlier revisions kept {totals['revisions']}")
    site = None
    for row in result["sections"]:
        if row["site"] != site:
            site = row["site"]
            print(f"\n{site}")
        print(f"  {row['articles']:>7}  {row['section'] or '(no section)'}"
              f"  {(row['first_published'] or '')[:10]} … {(row['last_published'] or '')[:10]}")
    if result["runs"]:
        print("\nlatest crawl runs:")
        for run in result["runs"]:
            print(f"  #{run['id']} {run['spider']} {run['args'] or ''} {run['started_at']} → "
                  f"{run['finished_at'] or '(not finished)'} {run['finish_reason'] or ''}: "
                  f"new {run['new'] or 0}, updated {run['updated'] or 0}, unchanged {run['unchanged'] or 0}, "
                  f"duplicates {run['duplicates'] or 0}, errors {run['errors'] or 0}")
    return 0


def cmd_sections(args) -> int:
    from .query import sections

    conn, filters = _open_for_query(args, "sections")
    if conn is None:
        return 2
    trees = sections(conn, filters)
    if args.json:
        print(json.dumps(trees, ensure_ascii=False, indent=2))
        return 0

    def show(node: dict, depth: int) -> None:
        print(f"{'  ' * depth}{node['name']}  {node['articles']}")
        for child in node["children"]:
            show(child, depth + 1)

    for tree in trees:
        show(tree, 0)
    return 0


def cmd_export(args) -> int:
    import csv

    from .query import EXPORT_COLUMNS, QueryInputError, export_rows

    conn, filters = _open_for_query(args, "export")
    if conn is None:
        return 2
    try:
        out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    except OSError as exc:
        print(f"export: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return 2
    count = 0
    try:
        rows = export_rows(conn, filters, text=args.query, decode_json=args.format == "jsonl")
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS) if args.format == "csv" else None
        if writer:
            writer.writeheader()
        for row in rows:
            if writer:
                writer.writerow(row)
            else:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    except QueryInputError as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 2
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"Exported {count} articles" + (f" to {args.output}" if args.output else ""), file=sys.stderr)
    return 0


def cmd_index(args) -> int:
    from . import search
    from .query import DatabaseMissing, connect

    try:
        # connect() builds the index when it is missing or stale.
        conn = connect(args.db, announce=lambda message: print(message, file=sys.stderr, flush=True))
    except DatabaseMissing as exc:
        print(f"index: {exc}", file=sys.stderr)
        return 2
    state = search.index_state(conn)
    if args.rebuild:
        built = search.build_index(conn)
        print(f"Rebuilt the full-text index of {args.db}: {built['articles']} articles in {built['seconds']:.1f} s")
    else:
        count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        print(f"The full-text index of {args.db} is {state}: {count} articles (--rebuild builds it again)")
    conn.close()
    return 0


def cmd_serve(args) -> int:
    from .browse import DatasetteMissing, serve
    from .query import DatabaseMissing, connect

    try:
        connect(args.db, announce=lambda message: print(message, file=sys.stderr, flush=True)).close()
        print(f"Serving {args.db} with Datasette at http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
        return serve(args.db, host=args.host, port=args.port)
    except (DatabaseMissing, DatasetteMissing) as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2


def _add_db(parser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, help=f"database file (default {DEFAULT_DB})")


def _add_filters(parser) -> None:
    _add_db(parser)
    parser.add_argument("--site", help="only articles from this host, or from hosts under this domain (gov.cn)")
    parser.add_argument("--section", help="only articles in this section, at any level of their breadcrumb")
    parser.add_argument("--editor", help="only articles by this editor (责任编辑)")
    parser.add_argument("--since", metavar="DATE", help="published on or after DATE (YYYY-MM-DD, YYYY-MM or YYYY)")
    parser.add_argument("--until", metavar="DATE", help="published on or before DATE (YYYY-MM-DD, YYYY-MM or YYYY)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="serve the sample portal, crawl it into SQLite, print a summary")
    demo.add_argument("--db", default=DEFAULT_DB, help=f"database file (default {DEFAULT_DB})")
    demo.add_argument("--port", type=int, default=0, help="port for the portal (default: a free one)")
    demo.add_argument("--log-level", default="WARNING", help="Scrapy log level (default WARNING)")
    demo.set_defaults(func=cmd_demo)

    extract = sub.add_parser("extract", help="extract articles from saved HTML files, one JSON line each")
    extract.add_argument("files", nargs="+", metavar="FILE")
    extract.add_argument("--url", help="the URL the page came from (default: the file's file:// URL)")
    extract.add_argument("--site", metavar="NAME",
                         help="use this site profile's selectors, noise and charset (a name in crawler/profiles/ "
                              "or a path to a .toml file)")
    extract.set_defaults(func=cmd_extract)

    repair = sub.add_parser("repair", help="repair text from stdin to stdout, as one document",
                            description="Repair mojibake and mirror-site damage in text read from stdin. "
                                        "Example: echo '統(tǒng)戰(zhàn)工作,,會議' | python -m crawler repair")
    repair.add_argument("--jsonl", action="store_true",
                        help="each input line is a JSON object whose \"text\" is repaired as one document; "
                             "written back with \"text\" replaced and the fixers' names under \"repairs\"")
    repair.add_argument("--explain", action="store_true", help="print the fixers that changed the text on stderr")
    repair.set_defaults(func=cmd_repair)

    serve = sub.add_parser("serve-portal", help="serve the sample portal until Ctrl-C")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--scale", type=int, default=1, metavar="N",
                       help="N times the articles of every section, and of the planted trouble pages "
                            "(default 1: the sample portal; 30 gives about 10,000 articles)")
    serve.set_defaults(func=cmd_serve_portal)

    find = sub.add_parser("search", help="full-text search of the articles (Chinese words of any length)",
                          description="Search titles and bodies. Words must all appear; \"a phrase\" as written; "
                                      "OR between two words; -word excludes. Traditional and Simplified find "
                                      "each other. Example: python -m crawler search 统战 --since 2024-01")
    find.add_argument("query")
    _add_filters(find)
    find.add_argument("--limit", type=int, default=20, help="hits to show (default 20)")
    find.add_argument("--sort", default="rank", choices=["rank", "newest", "oldest"],
                      help="rank (best match first, the default), newest or oldest")
    find.add_argument("--json", action="store_true", help="one JSON object per hit, hits marked <mark>…</mark>")
    find.set_defaults(func=cmd_search)

    counts = sub.add_parser("stats", help="article counts per site and section, and the latest crawl runs")
    _add_filters(counts)
    counts.add_argument("--runs", type=int, default=5, help="how many recent crawl runs to show (default 5)")
    counts.add_argument("--json", action="store_true", help="print JSON")
    counts.set_defaults(func=cmd_stats)

    tree = sub.add_parser("sections", help="the section tree built from the articles' breadcrumbs, with counts")
    _add_filters(tree)
    tree.add_argument("--json", action="store_true", help="print JSON")
    tree.set_defaults(func=cmd_sections)

    export = sub.add_parser("export", help="write the selected articles as JSON lines or CSV",
                            description="Example: python -m crawler export --format csv --section 统一战线 "
                                        "-o tyzx.csv")
    export.add_argument("--format", required=True, choices=["jsonl", "csv"], help="jsonl or csv")
    _add_filters(export)
    export.add_argument("--query", help="only the articles this search query finds")
    export.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")
    export.set_defaults(func=cmd_export)

    index = sub.add_parser("index", help="build the full-text index of a database (made by an older version)")
    _add_db(index)
    index.add_argument("--rebuild", action="store_true", help="build it again even if it is current")
    index.set_defaults(func=cmd_index)

    browse = sub.add_parser("serve", help="browse and search the database with Datasette (optional extra)")
    _add_db(browse)
    browse.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    browse.add_argument("--port", type=int, default=8001, help="port (default 8001)")
    browse.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
