"""``python -m crawler``: the command line. Thin: each command calls the library.

    python -m crawler demo [--db PATH]          serve the sample portal, crawl it, summarise
    python -m crawler extract FILE... [--url U] [--site NAME]
                                                one JSON line per file, as the spider extracts
    python -m crawler serve-portal [--port N] [--scale N]
                                                serve the sample portal alone (N times bigger)
    python -m crawler repair [--jsonl]          repair text from stdin to stdout
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
