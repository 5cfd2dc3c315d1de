"""Stage benchmarks (run by hand): extraction plus repair per page, and the SQLite writer alone.

Run from the repository root; it needs nothing beyond the project (``bench/crawl_bench.py``
runs it too, after its crawls)::

    .venv/bin/python bench/stage_bench.py
    .venv/bin/python bench/stage_bench.py --items 20000 --repeat 9
    .venv/bin/python bench/stage_bench.py --data ../shared/testdata/real --keep output/stage-bench

It measures two targets of the crawl-throughput issue, in this process, outside any crawl:

1. "Extraction plus repair ≤ 10 ms per page, median, on the real dev pages." Every
   page of ``../shared/testdata/real`` (override with ``--data DIR``; read in place,
   never copied; ``.html.gz`` pages are decompressed before timing) goes through what
   the crawl does with an article page: ``crawler.extraction.extract_article`` on the
   bytes (decoding included; no Content-Type header, as the files have none) and
   then ``pipelines.repair.RepairPipeline.process_item`` on the article (repair of
   every text field and the OpenCC Simplified forms, ``REPAIR_SIMPLIFIED`` on). One
   untimed pass warms caches and tables; then every page runs once per round, for
   ``--repeat`` rounds (default 5), and a page's time is the median of its runs (rounds,
   not a page's runs back to back: this machine's speed drifts by up to a third over
   minutes, and a slow spell then costs every page one run). The fastest run of each
   page and a reference loop's time before and after (``calibrate()``) are printed
   beside it, to tell a slow spell from slow code. The figure is the median
   over pages (all datasets; ``zh`` rows for the Chinese ones alone), with p90, max
   and the mean of extraction and repair apart. A page whose extraction raises
   ``ExtractionError`` counts with the time it took to raise. Times are CPU time of
   this thread (``time.thread_time``): the work is single-threaded, and other
   processes on the machine would inflate wall-clock times. When the folder is
   absent the part is skipped and reported as not measured.

2. "SQLite writing alone ≥ 5,000 items/s." Items are extracted and repaired (not
   timed) from the article pages of ``build_portal(scale=N)`` (the smallest scale
   with ``--items`` article pages, default 10,000; originals, mirror copies and
   republications shuffled with a fixed seed, so the writer meets duplicates as in a
   crawl), then prepared by ``crawler.storage.prepare_item`` (row, canonical URLs,
   dedup fingerprint, full-text tokens: the pure work, which the crawl does in a worker
   process; its CPU time per item is reported apart, "prepare"), then written by
   ``crawler.storage.ArticleWriter.write`` in batches of ``SQLITE_BATCH_SIZE`` into a
   fresh database file (WAL, ``synchronous=NORMAL``), from the first batch to the
   last commit: the SQL work alone, the writer process's share. Twice: with the project's settings (deduplication on: MinHash fingerprints and LSH
   lookups inside the writer's transactions), which the target is judged on, and with
   ``DEDUP_ENABLED`` off, for the share of deduplication. Items/s are by wall time
   (writing waits for the disk at WAL checkpoints); CPU time is shown beside it.

   With ``--writer-base DB`` the same items are also written on top of a copy of the
   crawl database DB (for instance the 100,000-article one that ``crawl_bench.py --keep``
   leaves), made new articles first (their hanzi mapped through a fixed permutation,
   their URLs moved to another host), since the writer's cost per item grows with the
   database: a third row, for reference (the target is judged on a fresh database).

   With ``--breakdown``, where the time goes: the writer again on fresh databases without
   the full-text index (its triggers dropped; with deduplication on and off), and FTS5
   alone: the same articles' index rows inserted into the two full-text tables and
   nothing else, with the project's FTS5 settings, in transactions of ``SQLITE_BATCH_SIZE``
   rows and in one transaction, beside the time per item the target allows.

Options: ``--data DIR``, ``--repeat N``, ``--items N``, ``--only extract|writer`` (run one
part alone), ``--keep DIR`` (keep the databases; by default a temporary folder, removed),
``--writer-base DB``, ``--breakdown``.
Exit code 0 when every target measured is reached, 1 when one is not, 2 when the
benchmark could not run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # the project is not necessarily pip-installed
    sys.path.insert(0, str(REPO))

DEFAULT_DATA = REPO.parent / "shared" / "testdata" / "real"
ZH_DATASETS = ("cwced_zh", "gne_tests_zh")

# The targets.
MAX_EXTRACT_REPAIR_MS = 10.0   # median per real dev page
MIN_WRITER_ITEMS_PER_S = 5_000.0


@dataclass
class RealPage:
    dataset: str
    file: str
    url: str
    body: bytes


def load_real_pages(data: Path) -> list[RealPage]:
    """Every page of every dataset folder under `data` (each with ground_truth.jsonl and html/)."""
    pages = []
    for truth in sorted(data.glob("*/ground_truth.jsonl")):
        folder = truth.parent
        for line in truth.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            body = (folder / record["file"]).read_bytes()
            if record["file"].endswith(".gz"):
                body = gzip.decompress(body)
            url = record.get("url") or f"http://bench.invalid/{folder.name}/{record['file']}"
            pages.append(RealPage(folder.name, record["file"], url, body))
    return pages


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def bench_extract_repair(data: Path, repeat: int = 5) -> dict | None:
    """Per-page times of extraction + repair on the real pages; None when `data` is absent."""
    if not data.is_dir() or not any(data.glob("*/ground_truth.jsonl")):
        return None
    from crawler.extraction import ExtractionError, extract_article
    from pipelines.repair import RepairPipeline

    pages = load_real_pages(data)
    repair = RepairPipeline(simplified=True, stats=None)
    fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")

    # CPU time of this thread: the work is single-threaded and CPU-bound, and other processes
    # on the machine (a test run next door) would inflate wall-clock times.
    clock = time.thread_time

    def once(page: RealPage) -> tuple[float, float, bool]:
        started = clock()
        try:
            article = extract_article(page.url, page.body, status=200, fetched_at=fetched_at)
        except ExtractionError:
            return clock() - started, 0.0, False
        extracted = clock()
        repair.process_item(article)
        return extracted - started, clock() - extracted, True

    for page in pages:  # warm-up: imports, OpenCC and fixer tables, regex caches
        once(page)
    reference = [calibrate()]
    # In rounds (every page once, then again …), not a page's runs back to back: this
    # machine's speed drifts by a third over minutes (other tenants of the host), and a
    # slow spell then costs every page one run, not some pages all of theirs.
    runs_of: list[list[tuple[float, float, bool]]] = [[] for _ in pages]
    for _ in range(repeat):
        for runs, page in zip(runs_of, pages):
            runs.append(once(page))
    reference.append(calibrate())
    results = []
    for page, runs in zip(pages, runs_of):
        totals = [e + r for e, r, _ in runs]
        i = totals.index(statistics.median_low(totals))
        results.append({"dataset": page.dataset, "file": page.file, "bytes": len(page.body),
                        "total_ms": 1000 * totals[i], "extract_ms": 1000 * runs[i][0], "repair_ms": 1000 * runs[i][1],
                        "fastest_ms": 1000 * min(totals), "ok": runs[i][2]})
    return {"pages": results, "repeat": repeat, "data": str(data), "reference_ms": reference}


def calibrate() -> float:
    """CPU ms of a fixed pure-Python loop (the fastest of three): the machine's speed at the
    time, printed beside the figures so that runs on a slower spell can be told apart."""
    best = math.inf
    for _ in range(3):
        started, total = time.thread_time(), 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.thread_time() - started)
    return 1000 * best


def summarise_pages(rows: list[dict]) -> dict:
    totals = [r["total_ms"] for r in rows]
    return {"pages": len(rows), "failed": sum(not r["ok"] for r in rows),
            "median": statistics.median(totals), "p90": _percentile(totals, 0.9), "max": max(totals),
            "extract_mean": statistics.fmean(r["extract_ms"] for r in rows),
            "repair_mean": statistics.fmean(r["repair_ms"] for r in rows),
            "kb_median": statistics.median(r["bytes"] for r in rows) / 1024}


def portal_items(n: int, seed: int = 0) -> list:
    """`n` articles extracted and repaired from the scaled sample portal's article pages, shuffled."""
    from crawler.extraction import ExtractionError, extract_article
    from crawler.portal import build_portal
    from crawler.portal.site import SECTIONS
    from pipelines.repair import RepairPipeline

    per_scale = sum(s.count for s in SECTIONS if s.template)
    portal = build_portal(scale=max(1, math.ceil(n / per_scale)))
    paths = [t.url_path for t in portal.articles]
    random.Random(seed).shuffle(paths)
    repair = RepairPipeline(simplified=True, stats=None)
    fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    items = []
    for path in paths:
        page = portal.pages[path]
        try:
            article = extract_article(f"http://portal.bench{path}", page.body,
                                      content_type=page.headers.get("Content-Type"), status=200,
                                      fetched_at=fetched_at)
        except ExtractionError:
            continue
        items.append(repair.process_item(article))
        if len(items) == n:
            break
    return items


def made_new(item: dict, permutation: dict[int, int]) -> dict:
    """A copy of ``item`` that is another article: its hanzi mapped through ``permutation``,
    its URLs on another host."""
    item = dict(item)
    for field in ("title", "body", "title_simplified", "body_simplified"):
        if isinstance(item.get(field), str):
            item[field] = item[field].translate(permutation)
    for field in ("url", "canonical_url"):
        parts = urlsplit(item[field])
        item[field] = parts._replace(netloc="base-" + parts.netloc).geturl()
    return item


def remove_database(path: Path) -> None:
    """Delete the SQLite database ``path`` and its WAL files, if there: a run starts afresh."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def bench_writer(items: list, folder: Path, dedup: bool, base: Path | None = None, search_index: bool = True) -> dict:
    """Items/s of ArticleWriter.write on prepared `items` into a fresh database in `folder`
    (or into a copy of `base`, the items made new articles first: :func:`made_new`), and
    the CPU time prepare_item took per item (not in the items/s). Without `search_index`
    the full-text index's triggers are dropped from the fresh database first, so the
    writer writes everything but the index: for the breakdown, never a configuration."""
    import sqlite3

    from itemadapter import ItemAdapter

    from crawler import settings as project
    from crawler.storage import ArticleWriter, open_database, prepare_item

    path = folder / (f"writer-{'dedup' if dedup else 'nodedup'}{'-base' if base else ''}"
                     f"{'' if search_index else '-noindex'}.db")
    remove_database(path)
    dicts = [ItemAdapter(item).asdict() for item in items]  # what the pipeline hands on
    base_articles = 0
    if base is not None:
        hanzi = list(range(0x4E00, 0x9FA6))
        shuffled = hanzi[:]
        random.Random(7).shuffle(shuffled)
        permutation = dict(zip(hanzi, shuffled))
        dicts = [made_new(item, permutation) for item in dicts]
        # Read-only: the source database is left exactly as it is (no checkpoint, no -shm).
        source, copy = sqlite3.connect(f"file:{base}?mode=ro", uri=True), sqlite3.connect(path)
        try:
            source.backup(copy)
            base_articles = copy.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            source.close()
            copy.close()
    cpu_started = time.process_time()
    prepared = [prepare_item(item, project.DEDUP_BANDS) for item in dicts]
    prepare_cpu = time.process_time() - cpu_started
    db = open_database(path)  # schema made here, not timed
    if not search_index:
        for trigger in SEARCH_TRIGGERS:
            db.conn.execute(f"DROP TRIGGER {trigger}")
    writer = ArticleWriter(db, dedup, project.DEDUP_NEAR_THRESHOLD, project.DEDUP_BANDS, project.DEDUP_MIN_BANDS)
    size = project.SQLITE_BATCH_SIZE
    started, cpu_started = time.perf_counter(), time.process_time()
    for start in range(0, len(prepared), size):
        writer.write(prepared[start:start + size])
    db.conn.close()
    # Wall time: writing includes waiting for the disk (WAL checkpoints); CPU time beside it.
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    conn = sqlite3.connect(path)
    try:
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0] - base_articles
    finally:
        conn.close()
    size = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())
    return {"items": len(items), "seconds": seconds, "cpu": cpu, "items_per_s": len(items) / seconds,
            "stored": stored, "bytes": size, "dedup": dedup, "prepare_ms": 1000 * prepare_cpu / len(items),
            "base_articles": base_articles, "search_index": search_index}


# The triggers that keep the full-text index (crawler.search.SCHEMA) in step with ``articles``.
SEARCH_TRIGGERS = ("articles_fts_insert", "articles_fts_delete", "articles_fts_update")


def bench_fts_alone(items: list, folder: Path, batch: int | None) -> dict:
    """FTS5's own cost of indexing `items`: their index rows (title and body tokens, and
    characters: :func:`crawler.search.index_entry`, computed before timing) inserted into
    the two full-text tables of a fresh database made as the project makes it (its FTS5
    settings, SQLite's page cache) and nothing else: one statement per table and one
    transaction per `batch` rows (``None``: all rows in one). Every item is indexed, as
    the writer does with deduplication off (with it on, the duplicates are not)."""
    from itemadapter import ItemAdapter

    from crawler import search
    from crawler.storage import connect

    path = folder / f"fts-alone-{batch or 'one'}.db"
    remove_database(path)
    entries = [search.index_entry(d.get("title"), d.get("body")) for d in (ItemAdapter(i).asdict() for i in items)]
    conn = connect(path)  # the project's schema and pragmas, not timed
    for trigger in SEARCH_TRIGGERS:
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.commit()
    step = batch or len(entries)
    started = time.perf_counter()
    for first in range(0, len(entries), step):
        chunk = list(enumerate(entries[first:first + step], start=first + 1))
        with conn:
            conn.executemany("INSERT INTO articles_fts (rowid, body, title) VALUES (?, ?, ?)",
                             [(n, e.body_tokens, e.title_tokens) for n, e in chunk])
            conn.executemany("INSERT INTO articles_chars (rowid, chars) VALUES (?, ?)",
                             [(n, e.chars) for n, e in chunk])
    conn.close()
    seconds = time.perf_counter() - started
    tokens = sum(len(e.body_tokens.split()) + len(e.title_tokens.split()) for e in entries) / len(entries)
    return {"items": len(entries), "seconds": seconds, "batch": batch, "tokens": tokens,
            "ms": 1000 * seconds / len(entries)}


# ---------------------------------------------------------------- report


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else "reached" if ok else "NOT reached"


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    print(f"\n{title}")
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def report_extract_repair(result: dict | None, data: Path) -> tuple[list[str], bool | None]:
    """Prints the per-dataset table; returns the target row and its verdict."""
    if result is None:
        print(f"\nextraction + repair on real pages: skipped, no datasets in {data} "
              "(pass --data DIR; the folder is never copied into the repository)")
        return (["extraction + repair per real page, median", "skipped (no data)",
                 f"≤ {MAX_EXTRACT_REPAIR_MS:.0f} ms", _verdict(None)], None)
    rows_by = {}
    pages = result["pages"]
    for name in sorted({p["dataset"] for p in pages}):
        rows_by[name] = summarise_pages([p for p in pages if p["dataset"] == name])
    zh = [p for p in pages if p["dataset"] in ZH_DATASETS]
    if zh:
        rows_by["zh (cwced_zh + gne_tests_zh)"] = summarise_pages(zh)
    rows_by["all"] = summary = summarise_pages(pages)
    rows = [[name, f"{s['pages']}", f"{s['failed']}", f"{s['kb_median']:,.0f} KiB", f"{s['median']:.2f} ms",
             f"{s['p90']:.2f} ms", f"{s['max']:.2f} ms", f"{s['extract_mean']:.2f} ms", f"{s['repair_mean']:.2f} ms"]
            for name, s in rows_by.items()]
    print_table(f"extraction + repair per real dev page ({result['data']}; median of {result['repeat']} runs each)",
                ["data", "pages", "failed", "size (median)", "median", "p90", "max", "extract (mean)",
                 "repair (mean)"], rows)
    slowest = sorted(pages, key=lambda p: -p["total_ms"])[:3]
    print("slowest: " + ", ".join(f"{p['dataset']}/{Path(p['file']).name[:24]} {p['total_ms']:.1f} ms "
                                  f"({p['bytes'] / 1024:,.0f} KiB)" for p in slowest))
    fastest = statistics.median(p["fastest_ms"] for p in pages)
    before, after = result["reference_ms"]
    print(f"fastest run of each page, median over pages: {fastest:.2f} ms; reference loop (calibrate()) "
          f"{before:.0f} ms before the timed rounds, {after:.0f} ms after (lower is a faster machine)")
    ok = summary["median"] <= MAX_EXTRACT_REPAIR_MS
    return ([f"extraction + repair per real page, median ({summary['pages']} pages)", f"{summary['median']:.2f} ms",
             f"≤ {MAX_EXTRACT_REPAIR_MS:.0f} ms", _verdict(ok)], ok)


def report_writer(on: dict, off: dict, based: dict | None = None) -> list[tuple[list[str], bool | None]]:
    rows = [[f"dedup {'on (as configured)' if r['dedup'] else 'off'}"
             + (f", on top of {r['base_articles']:,} articles" if r["base_articles"] else ""),
             f"{r['items']:,}", f"{r['stored']:,}",
             f"{r['seconds']:,.2f} s", f"{r['cpu']:,.2f} s", f"{r['items_per_s']:,.0f}",
             f"{1000 * r['seconds'] / r['items']:.3f} ms", f"{r['prepare_ms']:.3f} ms",
             f"{r['bytes'] / max(r['stored'] + r['base_articles'], 1) / 1024:,.1f} KiB"]
            for r in (on, off, based) if r is not None]
    print_table("SQLite writer alone (ArticleWriter.write on prepared items, fresh database unless said,"
                " items of the sample portal; prepare_item's CPU per item apart)",
                ["", "items", "articles stored", "wall", "CPU", "items/s", "per item", "prepare (CPU)",
                 "db per article"], rows)
    ok = on["items_per_s"] >= MIN_WRITER_ITEMS_PER_S
    targets = [
        (["SQLite writer alone on prepared items, items/s (dedup on, as configured)", f"{on['items_per_s']:,.0f}",
          f"≥ {MIN_WRITER_ITEMS_PER_S:,.0f}", _verdict(ok)], ok),
        (["  the same with DEDUP_ENABLED off (for reference)", f"{off['items_per_s']:,.0f}",
          f"≥ {MIN_WRITER_ITEMS_PER_S:,.0f}", _verdict(off["items_per_s"] >= MIN_WRITER_ITEMS_PER_S)], None),
    ]
    if based is not None:
        targets.append(([f"  the same on top of {based['base_articles']:,} articles (for reference)",
                      f"{based['items_per_s']:,.0f}", f"≥ {MIN_WRITER_ITEMS_PER_S:,.0f}",
                      _verdict(based["items_per_s"] >= MIN_WRITER_ITEMS_PER_S)], None))
    return targets


def report_breakdown(on: dict, off: dict, bare_on: dict, bare_off: dict, fts: list[dict]) -> None:
    """Where the writer's time per item goes: the runs with and without deduplication and
    the full-text index, FTS5 alone, and the budget the target leaves."""
    def per_item(r: dict) -> float:
        return 1000 * r["seconds"] / r["items"]

    rows = [[label, f"{r['items_per_s']:,.0f}", f"{per_item(r):.3f} ms"]
            for label, r in (("dedup on, full-text index on (as configured)", on),
                             ("dedup off, full-text index on", off),
                             ("dedup on, full-text index off", bare_on),
                             ("dedup off, full-text index off", bare_off))]
    for r in fts:
        how = f"{r['batch']} rows a transaction" if r["batch"] else "all rows in one transaction"
        rows.append([f"FTS5 alone, {how} ({r['tokens']:.0f} tokens an article)", f"{1000 / r['ms']:,.0f}",
                     f"{r['ms']:.3f} ms"])
    rows.append([f"budget of the target ({MIN_WRITER_ITEMS_PER_S:,.0f} items/s)", f"{MIN_WRITER_ITEMS_PER_S:,.0f}",
                 f"{1000 / MIN_WRITER_ITEMS_PER_S:.3f} ms"])
    print_table("Where the writer's time goes (the same items; fresh databases; wall time)",
                ["", "items/s", "per item"], rows)
    # Added one after the other, so that the three sum to the whole writer: the index's share
    # measured without deduplication, deduplication's with the index (which includes the
    # index work it causes: a copy replaced by a better one is unindexed, the other indexed).
    print(f"per item: the article rows and URLs {per_item(bare_off):.3f} ms, + the full-text index "
          f"{per_item(off) - per_item(bare_off):.3f} ms, + deduplication {per_item(on) - per_item(off):.3f} ms "
          f"(without the index: {per_item(bare_on) - per_item(bare_off):.3f} ms) = {per_item(on):.3f} ms")


def run(folder: Path, data: Path = DEFAULT_DATA, repeat: int = 5, items: int = 10_000,
        only: str | None = None, writer_base: Path | None = None, breakdown: bool = False) -> dict:
    """Both parts (or ``only`` one), reported; returns {"rows": [(target row, verdict or None)]}."""
    rows = [report_extract_repair(bench_extract_repair(data, repeat), data)] if only != "writer" else []
    if only == "extract":
        return {"rows": rows}
    print(f"\npreparing {items:,} items from the sample portal (extraction and repair, not timed) …", flush=True)
    prepared = portal_items(items)
    on = bench_writer(prepared, folder, dedup=True)
    off = bench_writer(prepared, folder, dedup=False)
    based = bench_writer(prepared, folder, dedup=True, base=writer_base) if writer_base else None
    rows += report_writer(on, off, based)
    if breakdown:
        from crawler import settings as project

        bare_on = bench_writer(prepared, folder, dedup=True, search_index=False)
        bare_off = bench_writer(prepared, folder, dedup=False, search_index=False)
        fts = [bench_fts_alone(prepared, folder, batch) for batch in (project.SQLITE_BATCH_SIZE, None)]
        report_breakdown(on, off, bare_on, bare_off, fts)
    return {"rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="the real pages (default <repo>/../shared/testdata/real)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per real page (default 5)")
    parser.add_argument("--items", type=int, default=10_000, help="items for the writer (default 10000)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the writer's databases in DIR (default: a temporary folder, removed)")
    parser.add_argument("--only", choices=("extract", "writer"),
                        help="run one part alone: extract (extraction + repair) or writer")
    parser.add_argument("--writer-base", type=Path, metavar="DB",
                        help="also time the writer on top of a copy of this crawl database")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the writer without the full-text index and FTS5 alone (where the time goes)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.items < 1:
        parser.error("--repeat and --items must be at least 1")
    if args.breakdown and args.only == "extract":
        parser.error("--breakdown times the writer: not with --only extract")
    if args.writer_base is not None and args.only == "extract":
        parser.error("--writer-base times the writer: not with --only extract")
    if args.writer_base is not None and not args.writer_base.is_file():
        parser.error(f"--writer-base {args.writer_base}: no such file (a crawl database, e.g. from"
                     " crawl_bench.py --keep)")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        folder, cleanup = args.keep, None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="stage-bench-")
        folder = Path(cleanup.name)
    try:
        figures = run(folder, args.data, args.repeat, args.items, args.only, args.writer_base, args.breakdown)
    except Exception as exc:  # noqa: BLE001 - any failure of the project code under test is "could not run"
        print(f"stage_bench: could not run: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        if cleanup is not None:
            cleanup.cleanup()
    print_table("Targets", ["", "measured", "target", ""], [row for row, _ in figures["rows"]])
    verdicts = [ok for _, ok in figures["rows"] if ok is not None]
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
