"""Incremental crawl benchmark (run by hand): a second crawl against the first, and seen-state memory.

Run from the repository root; it needs nothing beyond the project::

    .venv/bin/python bench/incremental_bench.py                  # scale 32 (10,304 articles), ~5 min
    .venv/bin/python bench/incremental_bench.py --scale 3 --skip-memory
    .venv/bin/python bench/incremental_bench.py --keep output/incremental-bench

It measures the targets of the incremental-crawl issue:

1. "A second crawl of the unchanged sample portal, scaled to at least 10,000
   articles, requests at most 5% of article pages and finishes at least 10 times
   faster than the first." The portal (``build_portal(scale=N)``) is served from a
   separate process, which counts every request it answers by what was asked
   for: an article page, a list page, an article link that is dead (404) or
   failing (500, asked again by Scrapy's retries), robots.txt, a file. Then
   ``python -m scrapy crawl news`` runs twice into the same fresh database, with
   the politeness delays lifted (as ``python -m crawler demo`` does) and the
   project's other defaults (``DEPTH_LIMIT`` 12 does not cut the long lists:
   pages of one list keep its depth). "Article requests" are article pages plus
   dead and failing article links, retries included, as the server saw them.
   Wall time is the crawl subprocess's, start to exit.

2. "The seen-state does not grow in memory with the number of known URLs: peak
   RSS with 100,000 known URLs within 30 MB of that with 1,000." The sample
   portal (scale 1) is crawled once into a database; copies of it get 1,000 and
   100,000 more known article URLs (rows in ``articles`` and ``article_urls`` on the
   portal's own host and port, so that the seen-state's lookups search among them),
   and an incremental crawl of the portal runs against each, its peak RSS taken
   by ``/usr/bin/time`` (GNU time's ``%M``), or by ``getrusage(RUSAGE_CHILDREN)`` in a
   wrapper process where there is no GNU time.

Options: ``--scale N`` (default 32, the smallest with at least 10,000 original
articles; scale 30 has 9,660), ``--skip-memory``, ``--keep DIR`` (keep the
databases and crawl logs there; by default a temporary folder, removed),
``--timeout S`` (per crawl, default 1800). Every subprocess is bounded by a
timeout, and the servers are stopped at the end, however the run ends.

Exit code: 0 when every target measured is reached, 1 when one is not, 2 when
a crawl or a server failed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # the project is not necessarily pip-installed
    sys.path.insert(0, str(REPO))

from crawler import search  # noqa: E402
from crawler.portal import Portal, PortalServer, build_portal  # noqa: E402

# The targets.
MAX_SECOND_RUN_SHARE = 0.05   # article requests of run 2 / those of run 1
MIN_SPEEDUP = 10.0            # wall time of run 1 / that of run 2
MAX_RSS_GROWTH_MB = 30.0      # peak RSS with 100,000 known URLs minus that with 1,000
KNOWN_URL_COUNTS = (1_000, 100_000)

# The local portal is ours: no politeness delays (crawler.cli.LOCAL_FAST), and no depth limit.
CRAWL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "LOG_LEVEL": "WARNING",
}
SERVER_START_TIMEOUT = 600  # building scale 32 takes ~12 s; scale 300 would take minutes

GNU_TIME = "/usr/bin/time"


class BenchError(Exception):
    """A crawl or a server did not do what the benchmark needs; the message says which."""


# ---------------------------------------------------------------- the portal, in its own process


@dataclass
class CountingPortal(Portal):
    """A portal that counts the requests it answers, by what they asked for (see `request_kind`)."""

    counts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def lookup(self, target: str):
        page = super().lookup(target)
        kind = request_kind(self, target, page)
        with self.lock:  # the server answers on many threads
            self.counts[kind] += 1
        return page


def request_kind(portal: Portal, target: str, page) -> str:
    """``article`` (an article page, print view or planted bad page, any query string),
    ``article_404`` / ``article_500`` (the portal's dead and failing article links),
    ``list`` (home, section, list, parent and mirror index pages), ``robots``, ``file``,
    ``other_404``."""
    path = target.split("?", 1)[0]
    if path == "/robots.txt":
        return "robots"
    if path in portal.article_paths:
        return "article"
    if page.status >= 500:
        return "article_500"  # the only 500s the portal has are article links
    if page.status == 404:
        return "article_404" if target in portal.expected["not_found_urls"] else "other_404"
    if not page.headers.get("Content-Type", "").startswith("text/html"):
        return "file"
    return "list"


ARTICLE_KINDS = ("article", "article_404", "article_500")


def _serve(scale: int, conn) -> None:
    """Child process: build the portal, serve it, answer "counts" and "stop" on `conn`."""
    try:
        started = time.perf_counter()
        built = build_portal(scale=scale)
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        portal = CountingPortal(pages=built.pages, articles=built.articles, expected=built.expected,
                                article_paths=built.article_paths)
        server = PortalServer(portal).start()
    except BaseException as exc:  # reported to the parent, which stops the run
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    exp = portal.expected
    conn.send(("ready", {
        "url": server.url, "build_seconds": seconds, "build_peak_mb": peak_mb,
        "articles_original": exp["articles_original"], "article_pages_valid": exp["article_pages_valid"],
        "mirror_copies": exp["mirror_copies"], "republished_copies": exp["republished_copies"],
        "dropped": sum(exp["dropped"].values()), "not_found": len(exp["not_found_urls"]),
        "server_error": len(exp["server_error_urls"]), "list_pages": exp["list_pages"],
        "pages": len(portal.pages),
    }))
    try:
        while True:
            command = conn.recv()
            if command == "counts":
                with portal.lock:
                    conn.send(dict(portal.counts))
            else:
                break
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        server.stop()


class PortalProcess:
    """`build_portal(scale)` served from a child process; `counts()` is what it has answered so far."""

    def __init__(self, scale: int):
        self.scale = scale
        context = multiprocessing.get_context("fork")  # the child needs no re-import of this script
        self._conn, self._child = context.Pipe()
        self._process = context.Process(target=_serve, args=(scale, self._child), name=f"portal-scale-{scale}",
                                        daemon=True)
        self.info: dict = {}

    def __enter__(self) -> "PortalProcess":
        self._process.start()
        self._child.close()  # the child's end lives in the child now
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not self._conn.poll(1):
            if not self._process.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise BenchError(f"the scale-{self.scale} portal did not start"
                                 + ("" if self._process.exitcode is None else f" (exit code {self._process.exitcode})"))
        try:
            status, payload = self._conn.recv()
        except EOFError:
            self.stop()
            raise BenchError(f"the scale-{self.scale} portal process ended before it served") from None
        if status != "ready":
            self.stop()
            raise BenchError(f"the scale-{self.scale} portal failed to start: {payload}")
        self.info = payload
        return self

    @property
    def url(self) -> str:
        return self.info["url"]

    def counts(self) -> Counter:
        self._conn.send("counts")
        if not self._conn.poll(30):
            raise BenchError("the portal process did not answer")
        return Counter(self._conn.recv())

    def stop(self) -> None:
        if self._process.is_alive():
            try:
                self._conn.send("stop")
            except OSError:
                pass
            self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)

    def __exit__(self, *exc) -> None:
        self.stop()


# ---------------------------------------------------------------- crawls


@dataclass
class Crawl:
    """One crawl subprocess: what it cost and what it recorded."""

    label: str
    wall: float
    peak_rss_mb: float | None
    run: dict            # its crawl_runs row, stats decoded
    requests: Counter    # what the portal answered during it, by request_kind

    @property
    def stats(self) -> dict:
        return self.run["stats"]

    @property
    def article_requests(self) -> int:
        return sum(self.requests[k] for k in ARTICLE_KINDS)


def _gnu_time() -> bool:
    """True when /usr/bin/time is GNU time (it understands -f %M)."""
    if not os.access(GNU_TIME, os.X_OK):
        return False
    probe = subprocess.run([GNU_TIME, "-f", "%M", "true"], capture_output=True, text=True, timeout=10)
    return probe.returncode == 0 and probe.stderr.strip().isdigit()


# Runs the crawl as its only child and writes the child's peak RSS (KiB on Linux).
_RUSAGE_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


def run_crawl(portal: PortalProcess, db: Path, label: str, logs: Path, timeout: float,
              measure_rss: bool, gnu_time: bool) -> Crawl:
    """``python -m scrapy crawl news`` against the portal into `db`, from the repository root."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"start_url={portal.url}",
           "-s", f"SQLITE_PATH={db}"]
    for name, value in CRAWL_SETTINGS.items():
        cmd += ["-s", f"{name}={value}"]
    rss_file = logs / f"{label}.rss"
    if measure_rss:
        cmd = ([GNU_TIME, "-f", "%M", "-o", str(rss_file)] if gnu_time
               else [sys.executable, "-c", _RUSAGE_WRAPPER, str(rss_file)]) + cmd
    before = portal.counts()
    log_path = logs / f"{label}.log"
    with open(log_path, "w") as log:
        started = time.monotonic()
        # A session of its own, so a timeout kills the crawl too, not only a time wrapper.
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            tail = log_path.read_text(errors="replace")[-2000:]
            raise BenchError(f"crawl {label} did not finish within {timeout:.0f} s (log: {log_path}):\n{tail}") from None
        wall = time.monotonic() - started
    if rc != 0:
        tail = log_path.read_text(errors="replace")[-2000:]
        raise BenchError(f"crawl {label} exited {rc} (log: {log_path}):\n{tail}")
    requests = portal.counts() - before
    peak = None
    if measure_rss:
        peak = int(rss_file.read_text().strip().splitlines()[-1]) / 1024
    return Crawl(label, wall, peak, last_run(db), requests)


def last_run(db: Path) -> dict:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    if row is None:
        raise BenchError(f"{db} has no crawl_runs row: was CRAWL_RUNS_ENABLED turned off?")
    run = dict(row)
    run["stats"] = json.loads(run["stats"] or "{}")
    run["dropped"] = json.loads(run["dropped"] or "{}")
    if run["finish_reason"] != "finished":
        raise BenchError(f"a crawl into {db} ended with {run['finish_reason']!r}")
    return run


def count_articles(db: Path) -> tuple[int, int]:
    """(rows in articles, rows in article_urls)."""
    conn = sqlite3.connect(db)
    try:
        return (conn.execute("SELECT count(*) FROM articles").fetchone()[0],
                conn.execute("SELECT count(*) FROM article_urls").fetchone()[0])
    finally:
        conn.close()


# ---------------------------------------------------------------- known URLs for the memory runs


def copy_database(src: Path, dst: Path) -> None:
    """A consistent copy of a WAL database (its -wal file included)."""
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def add_known_urls(db: Path, base_url: str, n: int) -> None:
    """Add `n` stored articles, seen just now, on the portal's host: URLs the portal
    never links, shaped like its own government article URLs."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    base = base_url.rstrip("/")
    host = urlsplit(base).hostname
    conn = sqlite3.connect(db)
    search.register_functions(conn)  # the full-text index's triggers call them
    body = "海州市召开专题会议，研究部署有关工作。会议强调，要坚持问题导向，确保各项任务落地见效。" * 4

    def rows():
        for i in range(n):
            docid = 50_000_000 + i
            month = f"20{16 + i % 9}{1 + i % 12:02d}"
            url = f"{base}/yw/{month}/t{month}{1 + i % 28:02d}_{docid}.html"
            yield url, docid

    try:
        with conn:
            conn.executemany(
                "INSERT INTO articles (canonical_url, url, title, body, section, site, fetched_at, status,"
                " content_hash, first_stored_at, updated_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, '要闻', ?, ?, 200, ?, ?, ?, ?)",
                ((url, url, f"合成文章{docid}", f"{body}（{docid}）", host, now, f"{docid:040x}", now, now, now)
                 for url, docid in rows()))
            conn.executemany(
                "INSERT INTO article_urls (url, article, rule, score, first_seen_at, last_seen_at)"
                " VALUES (?, ?, 'self', 1.0, ?, ?)",
                ((url, url, now, now) for url, _ in rows()))
    finally:
        conn.close()


# ---------------------------------------------------------------- report


def _mb(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} MB"


def _verdict(ok: bool) -> str:
    return "reached" if ok else "NOT reached"


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)  # noqa: E731
                               for i, (c, w) in enumerate(zip(r, widths))).rstrip()
    print(f"\n{title}")
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def report_incremental(scale: int, info: dict, first: Crawl, second: Crawl, stored: int) -> bool:
    share = second.article_requests / first.article_requests if first.article_requests else float("inf")
    speedup = first.wall / second.wall if second.wall else float("inf")
    s1, s2 = first.stats, second.stats
    lists = lambda c: c.requests["list"]  # noqa: E731
    rows = [
        ["article requests (server)", f"{first.article_requests:,}", f"{second.article_requests:,}",
         f"{share:.2%}", f"≤ {MAX_SECOND_RUN_SHARE:.0%}", _verdict(share <= MAX_SECOND_RUN_SHARE)],
        ["  article pages (200)", f"{first.requests['article']:,}", f"{second.requests['article']:,}", "", "", ""],
        ["  dead links (404)", f"{first.requests['article_404']:,}", f"{second.requests['article_404']:,}",
         "", "", ""],
        ["  failing links (500, with retries)", f"{first.requests['article_500']:,}",
         f"{second.requests['article_500']:,}", "", "", ""],
        ["list pages requested", f"{lists(first):,}", f"{lists(second):,}", "", "", ""],
        ["all requests (server)", f"{sum(first.requests.values()):,}", f"{sum(second.requests.values()):,}",
         "", "", ""],
        ["news/pages/article (stats)", f"{s1.get('news/pages/article', 0):,}", f"{s2.get('news/pages/article', 0):,}",
         "", "", ""],
        ["incremental/skipped_known", f"{s1.get('incremental/skipped_known', 0):,}",
         f"{s2.get('incremental/skipped_known', 0):,}", "", "", ""],
        ["incremental/pagination_stopped", f"{s1.get('incremental/pagination_stopped', 0):,}",
         f"{s2.get('incremental/pagination_stopped', 0):,}", "", "", ""],
        ["new / duplicate / unchanged", f"{first.run['new']:,} / {first.run['duplicates']:,} / {first.run['unchanged']:,}",
         f"{second.run['new']:,} / {second.run['duplicates']:,} / {second.run['unchanged']:,}", "", "", ""],
        ["wall time", f"{first.wall:,.1f} s", f"{second.wall:,.1f} s", f"{speedup:,.1f}× faster",
         f"≥ {MIN_SPEEDUP:.0f}×", _verdict(speedup >= MIN_SPEEDUP)],
    ]
    print_table(
        f"Incremental crawl, portal scale {scale}: {info['articles_original']:,} original articles, "
        f"{info['article_pages_valid']:,} valid article pages, {info['list_pages']:,} list pages reachable; "
        f"{stored:,} articles stored after run 1",
        ["", "run 1", "run 2", "run 2 vs 1", "target", ""], rows)
    return share <= MAX_SECOND_RUN_SHARE and speedup >= MIN_SPEEDUP


def report_memory(real_known: int, crawls: dict[int, tuple[Crawl, int]], how: str) -> bool:
    low, high = (crawls[n][0] for n in KNOWN_URL_COUNTS)
    growth = high.peak_rss_mb - low.peak_rss_mb
    rows = [[f"{n:,} (+{real_known:,} real)", f"{rows_:,}", _mb(c.peak_rss_mb), f"{c.wall:,.1f} s",
             f"{c.requests['article']:,}", f"{c.stats.get('incremental/skipped_known', 0):,}"]
            for n, (c, rows_) in crawls.items()]
    print_table(f"Seen-state memory: incremental crawl of the sample portal (scale 1), peak RSS by {how}",
                ["known URLs", "article_urls rows", "peak RSS", "wall", "article pages", "skipped_known"], rows)
    ok = growth <= MAX_RSS_GROWTH_MB
    print(f"difference {KNOWN_URL_COUNTS[1]:,} vs {KNOWN_URL_COUNTS[0]:,} known URLs: {growth:+.1f} MB "
          f"(target ≤ {MAX_RSS_GROWTH_MB:.0f} MB: {_verdict(ok)})")
    return ok


# ---------------------------------------------------------------- main


def bench_incremental(scale: int, work: Path, timeout: float, gnu_time: bool) -> bool:
    print(f"Building and serving the portal at scale {scale} in a separate process …", flush=True)
    with PortalProcess(scale) as portal:
        info = portal.info
        print(f"  {info['pages']:,} pages, {info['articles_original']:,} original articles; built in "
              f"{info['build_seconds']:.1f} s, server peak RSS {info['build_peak_mb']:,.0f} MB; {portal.url}",
              flush=True)
        db = work / f"scale{scale}.db"
        print("  run 1 (empty database) …", flush=True)
        first = run_crawl(portal, db, f"scale{scale}-run1", work, timeout, True, gnu_time)
        print(f"    {first.wall:.1f} s", flush=True)
        print("  run 2 (same database) …", flush=True)
        second = run_crawl(portal, db, f"scale{scale}-run2", work, timeout, True, gnu_time)
        print(f"    {second.wall:.1f} s", flush=True)
    stored, _ = count_articles(db)
    ok = report_incremental(scale, info, first, second, stored)
    print(f"peak RSS of the crawl: run 1 {_mb(first.peak_rss_mb)}, run 2 {_mb(second.peak_rss_mb)}")
    missing = info["articles_original"] - stored
    if missing:
        print(f"note: {stored:,} articles stored for {info['articles_original']:,} originals: "
              f"{abs(missing):,} {'fewer' if missing > 0 else 'more'} (near-duplicate merges of distinct "
              "generated articles, or pages the crawl did not reach)")
    return ok


def bench_memory(work: Path, timeout: float, gnu_time: bool) -> bool:
    print("\nSeen-state memory: serving the sample portal (scale 1) …", flush=True)
    with PortalProcess(1) as portal:
        base = work / "memory-base.db"
        run_crawl(portal, base, "memory-base", work, timeout, False, gnu_time)
        real_known = count_articles(base)[1]
        crawls: dict[int, tuple[Crawl, int]] = {}
        for n in KNOWN_URL_COUNTS:
            db = work / f"memory-{n}.db"
            copy_database(base, db)
            add_known_urls(db, portal.url, n)
            print(f"  incremental crawl with {n:,} + {real_known:,} known URLs …", flush=True)
            crawls[n] = (run_crawl(portal, db, f"memory-{n}", work, timeout, True, gnu_time), count_articles(db)[1])
    return report_memory(real_known, crawls, "GNU time" if gnu_time else "getrusage(RUSAGE_CHILDREN)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=32,
                        help="portal scale for the two crawls (default 32: 10,304 original articles, "
                             "the smallest scale with at least 10,000)")
    parser.add_argument("--skip-memory", action="store_true", help="skip the seen-state memory runs")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the databases and crawl logs in DIR (default: a temporary folder, removed)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per crawl (default 1800)")
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error(f"--scale must be at least 1, got {args.scale}")
    gnu_time = _gnu_time()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        if any(args.keep.glob("*.db")):
            parser.error(f"{args.keep} already holds databases: give an empty or new folder")
        work, cleanup = args.keep.resolve(), None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="incremental-bench-")
        work = Path(cleanup.name)
    try:
        ok = bench_incremental(args.scale, work, args.timeout, gnu_time)
        if not args.skip_memory:
            ok = bench_memory(work, args.timeout, gnu_time) and ok
    except BenchError as exc:
        print(f"incremental_bench: {exc}", file=sys.stderr)
        if cleanup is not None:
            print("(the temporary folder is removed: run with --keep DIR to keep databases and logs)",
                  file=sys.stderr)
        return 2
    finally:
        if cleanup is not None:
            cleanup.cleanup()
    if args.keep:
        print(f"\ndatabases and crawl logs kept in {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
