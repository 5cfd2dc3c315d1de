"""Crawl throughput and memory benchmark (run by hand): the project's crawl next to a bare Scrapy spider.

Run from the repository root; it needs nothing beyond the project::

    .venv/bin/python bench/crawl_bench.py                        # 10,000 and 100,000 articles (~2 h on 2 CPUs)
    .venv/bin/python bench/crawl_bench.py --articles 10000       # one scale (~12 min)
    .venv/bin/python bench/crawl_bench.py --scale 3 --skip-stage-bench    # a quick look (~1 min)
    .venv/bin/python bench/crawl_bench.py --articles 10000 --profile --keep output/crawl-bench/run
    .venv/bin/python bench/crawl_bench.py --articles 10000,100000 --skip-stages --repeat 3   # busy machine

What it does, per scale:

1. **The portal, on disk.** ``build_portal(scale=N)`` (the sample portal's templates,
   encodings and trouble pages, N times over; 322 original articles per unit of
   scale, so 10,000 articles is scale 32 and 100,000 is scale 311) is generated once
   in a child process and written to a folder: every response body in one file
   (``pages.bin``), one line per URL in ``index.tsv`` (request target, status, headers,
   ETag, kind) and ``portal.json`` (the portal's expected numbers). The folder is
   cached under ``output/crawl-bench/portals/`` and reused while the portal generator's
   source is unchanged (``--regenerate`` forces a new one).

2. **A static server in its own process** (``--serve DIR``, asyncio, HTTP/1.1
   keep-alive, bodies sliced from a memory map of ``pages.bin``) answers exactly as
   ``crawler.portal.PortalServer`` does: the same targets, status codes (404 page,
   500s), ``Content-Type`` headers and bytes (GBK pages, a wrongly declared charset),
   ETag and 304 on ``If-None-Match``, article paths answering with any query string.
   It counts what it answers by kind (article, list, dead or failing article link,
   robots.txt, file) and its own CPU time. Before the crawls a load test (32
   keep-alive connections from this process, over article pages) gives its
   requests per second alone; during each crawl its CPU share shows whether it was
   ever the limit (it is not while well below one core).

3. **Two crawls with the same settings** (the project's ``crawler/settings.py`` with
   the politeness delays lifted as ``crawler.cli.LOCAL_FAST`` does: 32 concurrent
   requests, no delay, no AutoThrottle; robots.txt, retries, depth limit, the
   project's downloader and spider middlewares and extensions, download limits as
   configured):

   a. ``scrapy runspider bench/crawl_bench.py`` runs ``BareSpider`` below: it
      follows the links the news spider follows and discards every page. No item
      pipeline (``ITEM_PIPELINES`` empty) and no project spider module loaded
      (``SPIDER_MODULES`` empty); everything else as (b), the extensions included
      (some change how a crawl runs: robots.txt ``Crawl-delay``, and ``GcTuning``'s
      garbage collector thresholds, so both crawls collect alike), with a
      database of its own for those that record into ``SQLITE_PATH``.
   b. ``scrapy crawl news`` into a fresh SQLite database: decoding, extraction,
      repair, deduplication, the SQLite writer, seen-state lookups, run records.

   Why the link sets are the same: ``BareSpider`` copies the news spider's rules
   (``crawler/spiders/news.py``): on a page whose URL has an article shape (the
   regular expression of ``crawler.extraction.page_kind``) only the breadcrumb links
   are followed (on this portal they sit in elements of class
   ``crawler.portal.templates.CRUMB_CLASSES``); on every other HTML page every link
   of Scrapy's ``LinkExtractor(unique=True)``, pagination links (the news spider's
   ``_PAGER_TEXT``/``_PAGER_URL``) marked ``pager`` for the project's
   ``PaginationDepthMiddleware`` and bounded by ``NEWS_PAGINATION_LIMIT``; every URL
   is requested in ``crawler.urls.canonical_url`` form (tracking parameters
   dropped). The check is in every report: the server's request counts by kind for
   (a) and (b) side by side. They differ only where the news spider decides from
   the stored data (an article link already stored under another URL is not
   requested again, a page without title or body has no breadcrumb to follow).

   Pages per second: responses received (Scrapy's ``response_received_count``,
   robots.txt, 404s and retried 500s included) over the crawl's own elapsed time
   (``elapsed_time_seconds``: engine start to spider closed, the final database
   flush included; process start-up is not). The ratio (b)/(a) is of one run
   against one server. CPU time of each crawl comes from GNU ``/usr/bin/time``
   (``%U + %S``; its worker processes, reaped by it, included), or
   ``getrusage(RUSAGE_CHILDREN)`` in a wrapper where there is none. Peak RSS is the
   highest sum, sampled every 0.2 s from /proc, of the RSS of the crawl process and
   its worker processes (``PROCESS_WORKERS``, ``crawler/offload.py``; pages they share
   counted once per process, so an upper bound), never below ``/usr/bin/time``'s
   ``%M`` (the largest process alone, shown beside it). The same sampling gives
   each process's CPU time (/proc, as of its last sample, so a little short), shown
   per page for the crawl process and the worker processes apart, each side's own peak
   RSS and peak anonymous RSS (``RssAnon``: VmRSS without the file-backed pages of shared
   libraries and mapped files, which the processes may share and the kernel can drop),
   and a timeline, one row a second, of each side's CPU use, RSS and RssAnon: the report
   gives the median share of a core each side used and the seconds in which the crawl
   process was under half busy (it waits for its worker, or Scrapy stopped downloading);
   ``--keep`` leaves the rows in ``<label>.timeline.json``. Both crawls are CPU-bound on Scrapy's one reactor
   thread, so pages/s fall when other processes take the CPU: the report gives each
   crawl's CPU time over its wall time and the load average before it, warns below
   90%, and also gives the ratio of CPU time per page, which other load hardly moves.
   The commit and the changed project files are recorded before each crawl, and
   the report warns when the project's code changed between the crawls it compares.

4. **CPU per page by stage.** A third crawl (c), the full crawl again in a fresh
   database with the same settings, run in-process by ``--stage-worker`` with a
   timer around each stage (``time.thread_time`` of the reactor thread, nested
   stages charged exclusively: decoding inside extraction counts as decoding):
   decode (``crawler.decoding.decode_html``), extraction (``extract_article``),
   page kind (``page_kind``), link extraction (``LinkExtractor.extract_links``),
   seen-state lookups (``SeenState``), the rest of the news spider's callback,
   repair (``RepairPipeline.process_item``), dedup (``crawler.dedup.fingerprint``,
   ``DedupIndex``), the full-text index (``crawler.search.index_tokens``, called by
   SQLite triggers inside the writer's statements), SQLite writing
   (``SQLiteWriterPipeline``, ``ArticleWriter``), and Scrapy engine/other = the
   process's CPU between engine start and stop minus all of those. Figures are per
   response received. A target the project no longer has is left out and named.
   With ``--profile``, at the smallest scale, (d) the full crawl and (e) the bare
   spider run again under ``cProfile``; the report lists the top functions by own
   time, own time by package, and the project's functions by cumulative time
   (cProfile slows the many small calls of Scrapy's engine more than the big ones
   of extraction, so the shares are indicative; the timers of (c) are the figures).

5. **Database size per article**: the database file (its WAL checkpointed on
   close) over the rows of ``articles``, with each table's and index's share from
   SQLite's ``dbstat``.

6. **Stage benchmarks** (``bench/stage_bench.py``, skipped with ``--skip-stage-bench``):
   extraction plus repair per page on the real dev pages of
   ``../shared/testdata/real`` (skipped when absent), and the SQLite writer alone.

Targets (the issue's): (b) at least 0.8 of (a)'s pages/s with the same settings, at
every scale; peak RSS of (b) at 100,000 articles at most 1.2 times that at 10,000
and under 300 MB (needs both scales in one run); extraction plus repair at most
10 ms per page, median, on the real dev pages; the SQLite writer at least 5,000
items/s. A target that a run did not measure is reported as such and does not
change the exit code.

Options: ``--articles N[,M]`` (default 10000,100000; each becomes the smallest scale
with at least N original articles), ``--scale N[,M]`` instead, ``--keep DIR``
(databases, logs, stats, profiles kept there; by default a temporary folder,
removed), ``--portal-cache DIR``, ``--regenerate``, ``--profile``,
``--skip-stages``, ``--skip-stage-bench``, ``--repeat N`` (run (a) and (b) N times
each, alternated, and report the fastest of each: the machine's other load only
ever slows a crawl down), ``--timeout S`` (per subprocess, default 7200). Every
subprocess runs under a timeout in a session of its own and is killed with it, and
the server is stopped however the run ends.

Exit code: 0 when every target measured is reached, 1 when one is not, 2 when a
crawl, the server or the portal generation failed.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import mmap
import os
import queue
import re
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # the project is not necessarily pip-installed
    sys.path.insert(0, str(REPO))

from crawler.urls import canonical_url  # noqa: E402  (w3lib only: light enough for the bare spider)

# The targets.
MIN_SPEED_RATIO = 0.8          # full crawl pages/s / bare spider pages/s
MAX_RSS_GROWTH = 1.2           # peak RSS at 100,000 articles / that at 10,000
MAX_RSS_MB = 300.0             # peak RSS of the full crawl at 100,000 articles
RSS_SCALES = (10_000, 100_000)  # original articles of the two scales the RSS targets compare

DEFAULT_ARTICLES = (10_000, 100_000)
# The local portal is ours: no politeness delays (crawler.cli.LOCAL_FAST); the rest as configured.
CRAWL_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "LOG_LEVEL": "WARNING",
}
# The bare crawl runs no item pipeline and loads no project spider; every other setting stays.
BARE_SETTINGS = {"ITEM_PIPELINES": "{}", "SPIDER_MODULES": ""}

PORTAL_FORMAT = 1  # bump when the on-disk layout changes
DEFAULT_CACHE = REPO / "output" / "crawl-bench" / "portals"
GNU_TIME = "/usr/bin/time"
LOAD_TEST_SECONDS = 4.0
LOAD_TEST_CONNECTIONS = 32
SERVER_BUSY_WARNING = 0.8      # server CPU share of one core above which it may have limited a crawl


class BenchError(Exception):
    """A crawl, the server or the portal generation did not do what the benchmark needs."""


# ---------------------------------------------------------------- child processes


_CHILDREN: set[subprocess.Popen] = set()  # live subprocesses, killed whatever ends the run


def _kill(proc: subprocess.Popen) -> None:
    """Kill a child started in a session of its own, with everything it started."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
    _CHILDREN.discard(proc)


_RSS_FIELDS = {"VmRSS:": "rss", "RssAnon:": "anon", "RssFile:": "file", "RssShmem:": "shmem"}


def _rss_kib(pid: int) -> dict[str, int]:
    """KiB of `pid`'s resident memory from /proc/PID/status: ``rss`` (VmRSS, what the
    targets are about) and its parts, ``anon`` (the heap: objects, buffers, caches),
    ``file`` (file-backed pages: shared libraries, memory-mapped files) and ``shmem``;
    zeros for a process gone."""
    found = dict.fromkeys(_RSS_FIELDS.values(), 0)
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key = _RSS_FIELDS.get(line.split(None, 1)[0]) if line.startswith(("VmRSS", "Rss")) else None
                if key:
                    found[key] = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return found


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, …), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _descendants(root: int) -> list[int]:
    """Every live process below `root` (from /proc: Linux only; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            try:
                ppid = int(fields[1])
            except (TypeError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cpu_ticks(pid: int) -> int | None:
    """User + system CPU time of `pid` so far, in clock ticks (/proc/PID/stat)."""
    fields = _stat_fields(pid)
    try:
        return int(fields[11]) + int(fields[12])
    except (TypeError, ValueError, IndexError):
        return None


def _is_worker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return b"crawler.worker" in cmdline.read()
    except OSError:
        return False


class TreeMemory(threading.Thread):
    """Samples, every `interval` s, the summed RSS of every process below a wrapper (the crawl
    and its worker processes; the timing wrapper itself left out): `peak_mb`. A sum of RSS
    counts pages the processes share once per process: an upper bound of their memory.
    Also the CPU time each process had at its last sample, summed apart for the worker
    processes (``crawler.worker``) and the others (the crawl process): `cpu_split`; each
    side's own peak RSS (`peak_by_side`); and a timeline, one row a second, of each side's
    CPU use (share of a core) and RSS (`timeline`), which shows whether the crawl process
    and its worker overlap or wait for each other."""

    def __init__(self, root: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_kib, self.peak_processes = 0, 0
        self.cpu: dict[int, tuple[bool, int]] = {}  # pid -> (a worker?, CPU ticks at its last sample)
        self.peak_side_kib = {"crawl": 0, "worker": 0}
        self.peak_anon_kib = {"crawl": 0, "worker": 0}  # each side's peak of RssAnon alone
        # {"t", "crawl_cpu", "worker_cpu", "crawl_mb", "worker_mb", "crawl_anon_mb", "worker_anon_mb"}
        self.timeline: list[dict] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        started = last_at = time.monotonic()
        last_split = (0.0, 0.0)
        while not self.stopped.wait(self.interval):
            pids = _descendants(self.root)
            side_kib = {"crawl": 0, "worker": 0}
            anon_kib = {"crawl": 0, "worker": 0}
            for pid in pids:
                ticks = _cpu_ticks(pid)
                known = self.cpu.get(pid)
                # Asked again until it is one: a worker seen between fork and exec still
                # has the crawl's command line.
                worker = known[0] or _is_worker(pid) if known else _is_worker(pid)
                if ticks is not None:
                    self.cpu[pid] = (worker, ticks)
                resident = _rss_kib(pid)
                side_kib["worker" if worker else "crawl"] += resident["rss"]
                anon_kib["worker" if worker else "crawl"] += resident["anon"]
            total = sum(side_kib.values())
            if total > self.peak_kib:
                self.peak_kib, self.peak_processes = total, len(pids)
            for side, kib in side_kib.items():
                self.peak_side_kib[side] = max(self.peak_side_kib[side], kib)
                self.peak_anon_kib[side] = max(self.peak_anon_kib[side], anon_kib[side])
            now = time.monotonic()
            if now - last_at >= 1.0:
                split = self.cpu_split
                self.timeline.append({
                    "t": round(now - started, 1),
                    "crawl_cpu": round((split[0] - last_split[0]) / (now - last_at), 2),
                    "worker_cpu": round((split[1] - last_split[1]) / (now - last_at), 2),
                    "crawl_mb": round(side_kib["crawl"] / 1024, 1), "worker_mb": round(side_kib["worker"] / 1024, 1),
                    "crawl_anon_mb": round(anon_kib["crawl"] / 1024, 1),
                    "worker_anon_mb": round(anon_kib["worker"] / 1024, 1)})
                last_at, last_split = now, split

    @property
    def cpu_split(self) -> tuple[float, float]:
        """CPU seconds (crawl process, worker processes), as last sampled."""
        tick = os.sysconf("SC_CLK_TCK")
        crawl = sum(ticks for worker, ticks in self.cpu.values() if not worker) / tick
        return crawl, sum(ticks for worker, ticks in self.cpu.values() if worker) / tick

    @property
    def peak_mb(self) -> float:
        return self.peak_kib / 1024

    @property
    def peak_by_side(self) -> tuple[float, float]:
        """Peak RSS in MB of (the crawl process, the worker processes), each at its own peak."""
        return self.peak_side_kib["crawl"] / 1024, self.peak_side_kib["worker"] / 1024

    @property
    def peak_anon_by_side(self) -> tuple[float, float]:
        """Peak anonymous RSS (RssAnon) in MB of (the crawl process, the worker processes):
        what they allocated, without the file-backed pages VmRSS also counts."""
        return self.peak_anon_kib["crawl"] / 1024, self.peak_anon_kib["worker"] / 1024


def busy_summary(timeline: list[dict]) -> str | None:
    """The per-second timeline in one line: median CPU use of each side, and the seconds in
    which the crawl process was under half busy (waiting, as the bare spider never is)."""
    rows = timeline[2:-2] if len(timeline) > 8 else timeline  # start-up and shut-down left out
    if not rows:
        return None
    crawl = statistics.median(r["crawl_cpu"] for r in rows)
    worker = statistics.median(r["worker_cpu"] for r in rows)
    idle = sum(1 for r in rows if r["crawl_cpu"] < 0.5)
    return f"{crawl:.0%} / {worker:.0%}; crawl under 50%: {idle} of {len(rows)} s"


def run_child(cmd: list[str], log_path: Path, timeout: float, what: str, memory: dict | None = None) -> float:
    """Run `cmd` from the repository root, output into `log_path`; its wall time. Raises on
    a non-zero exit or the timeout (the child's whole session is killed). With `memory`, the
    peak summed RSS of the processes below `cmd`'s own (TreeMemory) goes into it as
    ``tree_peak_mb`` (and ``tree_processes``)."""
    with open(log_path, "w") as log:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _CHILDREN.add(proc)
        sampler = None
        if memory is not None:
            sampler = TreeMemory(proc.pid)
            sampler.start()
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise BenchError(f"{what} did not finish within {timeout:.0f} s (log: {log_path}):\n"
                             f"{_tail(log_path)}") from None
        except BaseException:  # Ctrl-C, SIGTERM: the child goes with us
            _kill(proc)
            raise
        finally:
            _CHILDREN.discard(proc)
            if sampler is not None:
                sampler.stopped.set()
                sampler.join()
                memory.update(tree_peak_mb=sampler.peak_mb, tree_processes=sampler.peak_processes,
                              cpu_split=sampler.cpu_split, peak_by_side=sampler.peak_by_side,
                              peak_anon_by_side=sampler.peak_anon_by_side,
                              busy=busy_summary(sampler.timeline))
                # One row a second: what the crawl process and its worker were doing.
                try:
                    log_path.with_suffix(".timeline.json").write_text(json.dumps(sampler.timeline))
                except OSError as exc:  # never in place of the crawl's own error
                    print(f"  (timeline not written: {exc})", file=sys.stderr)
        wall = time.monotonic() - started
    if rc != 0:
        raise BenchError(f"{what} exited {rc} (log: {log_path}):\n{_tail(log_path)}")
    return wall


def _tail(path: Path, n: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def _gnu_time() -> bool:
    """True when /usr/bin/time is GNU time (it understands -f)."""
    if not os.access(GNU_TIME, os.X_OK):
        return False
    probe = subprocess.run([GNU_TIME, "-f", "%M", "true"], capture_output=True, text=True, timeout=10)
    return probe.returncode == 0 and probe.stderr.strip().isdigit()


# Runs the command as its only child and writes "peak-RSS-KiB user-s system-s" of it.
_RUSAGE_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "open(sys.argv[1], 'w').write(f'{r.ru_maxrss} {r.ru_utime} {r.ru_stime}')\n"
    "sys.exit(rc)\n"
)


def timed(cmd: list[str], usage_file: Path, gnu_time: bool) -> list[str]:
    """`cmd` wrapped so that its peak RSS and CPU time land in `usage_file`."""
    if gnu_time:
        return [GNU_TIME, "-f", "%M %U %S", "-o", str(usage_file)] + cmd
    return [sys.executable, "-c", _RUSAGE_WRAPPER, str(usage_file)] + cmd


def read_usage(usage_file: Path) -> tuple[float, float]:
    """(peak RSS in MB, CPU seconds) from a `timed` run."""
    rss_kib, user, system = usage_file.read_text().strip().splitlines()[-1].split()
    return int(rss_kib) / 1024, float(user) + float(system)


# ---------------------------------------------------------------- the portal, on disk


def scale_for(articles: int) -> int:
    """The smallest portal scale with at least `articles` original articles."""
    from crawler.portal.site import SECTIONS

    per_scale = sum(s.count for s in SECTIONS if s.template)
    return max(1, math.ceil(articles / per_scale))


def generator_digest() -> str:
    """SHA-1 of the portal generator's source (the modules of crawler/portal that building a
    portal imports) and data files: a cached portal is reused only while they are unchanged."""
    import importlib

    importlib.import_module("crawler.portal.generate")  # loads what build_portal needs

    folder = REPO / "crawler" / "portal"
    paths = {Path(m.__file__).resolve() for m in list(sys.modules.values())
             if getattr(m, "__file__", None) and Path(m.__file__).resolve().is_relative_to(folder)}
    paths |= {p.resolve() for p in (folder / "data").rglob("*") if p.is_file()} if (folder / "data").is_dir() else set()
    digest = hashlib.sha1(f"format {PORTAL_FORMAT}\n".encode())
    for path in sorted(paths):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _request_kind(target: str, status: int, content_type: str, article_path: bool) -> str:
    """Kind of a served page, as the server counts requests (see `_Site.lookup` for 404s)."""
    if target == "/robots.txt":
        return "robots"
    if article_path:
        return "article"       # article pages, print views, planted bad pages
    if status >= 500:
        return "article_500"   # the only 500s the portal has are article links
    if not content_type.startswith("text/html"):
        return "file"
    return "list"


def write_portal(scale: int, folder: Path) -> None:
    """Child process: build the portal at `scale` and write it into `folder` (portal.json last)."""
    from crawler.portal import build_portal
    from crawler.portal.model import NOT_FOUND

    started = time.perf_counter()
    portal = build_portal(scale=scale)
    build_seconds = time.perf_counter() - started
    folder.mkdir(parents=True, exist_ok=True)
    offset = 0
    with open(folder / "pages.bin", "wb") as blob, open(folder / "index.tsv", "w", encoding="utf-8") as index:
        for target, page in portal.pages.items():
            if "\t" in target or "\n" in target:
                raise ValueError(f"a portal target holds a tab or newline: {target!r}")
            # ETag as crawler.portal.server makes it: 200 answers only.
            etag = f'"{hashlib.sha1(page.body).hexdigest()[:16]}"' if page.status == 200 else ""
            article_path = target in portal.article_paths
            kind = _request_kind(target, page.status, page.headers.get("Content-Type", ""), article_path)
            index.write("\t".join((target, str(page.status), str(offset), str(len(page.body)), etag, kind,
                                   "1" if article_path else "0", json.dumps(page.headers))) + "\n")
            blob.write(page.body)
            offset += len(page.body)
    (folder / "not_found.bin").write_bytes(NOT_FOUND.body)
    meta = {
        "format": PORTAL_FORMAT, "generator": generator_digest(), "scale": scale,
        "pages": len(portal.pages), "bytes": offset, "build_seconds": round(build_seconds, 1),
        "build_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "not_found_headers": NOT_FOUND.headers, "expected": portal.expected,
    }
    (folder / "portal.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


def ensure_portal(scale: int, cache: Path, regenerate: bool, timeout: float, logs: Path) -> tuple[Path, dict, bool]:
    """The on-disk portal at `scale`, generated unless a valid one is cached: (folder, meta, reused)."""
    folder = cache / f"scale-{scale}"
    meta_path = folder / "portal.json"
    digest = generator_digest()
    if not regenerate and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError:
            meta = {}
        if meta.get("generator") == digest and meta.get("scale") == scale and meta.get("format") == PORTAL_FORMAT:
            return folder, meta, True
    partial = cache / f"scale-{scale}.partial-{os.getpid()}"
    cache.mkdir(parents=True, exist_ok=True)
    try:
        run_child([sys.executable, __file__, "--generate", str(scale), str(partial)],
                  logs / f"generate-scale{scale}.log", timeout, f"generating the scale-{scale} portal")
        if folder.exists():
            _remove_tree(folder)
        partial.rename(folder)  # complete folders only under the cache's name
    finally:
        if partial.exists():
            _remove_tree(partial)
    return folder, json.loads(meta_path.read_text(encoding="utf-8")), False


def _remove_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    folder.rmdir()


# ---------------------------------------------------------------- the static server


_REASONS = {200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found",
            500: "Internal Server Error", 501: "Not Implemented"}
# What crawler.portal.server sends (BaseHTTPRequestHandler: server_version + sys_version).
_SERVER_HEADER = f"HaizhouCMS/1.0 Python/{sys.version.split()[0]}"


@dataclass(frozen=True)
class _Entry:
    status: int
    fields: bytes          # "Name: value\r\n" lines of the page's own headers
    offset: int
    length: int
    etag: bytes | None
    kind: str


class _Site:
    """The portal folder, served: targets resolved as `crawler.portal.Portal.lookup` does."""

    def __init__(self, folder: Path):
        meta = json.loads((folder / "portal.json").read_text(encoding="utf-8"))
        self._file = open(folder / "pages.bin", "rb")
        self.data = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        self.pages: dict[str, _Entry] = {}
        self.article_paths: set[str] = set()
        with open(folder / "index.tsv", encoding="utf-8") as index:
            for line in index:
                target, status, offset, length, etag, kind, article_path, headers = line.rstrip("\n").split("\t")
                self.pages[target] = _Entry(int(status), _fields(json.loads(headers)), int(offset), int(length),
                                            etag.encode("ascii") or None, kind)
                if article_path == "1":
                    self.article_paths.add(target)
        self.not_found = (_fields(meta["not_found_headers"]), (folder / "not_found.bin").read_bytes())
        self.not_found_urls = frozenset(meta["expected"]["not_found_urls"])
        self.counts: Counter = Counter()
        self.window: list[float] = []   # monotonic time of the first and the last request since "mark"
        self.cpu_mark = _cpu_seconds()

    def lookup(self, target: str) -> _Entry | None:
        """The page of a request target ("/path?query"), or None for the 404 page."""
        entry = self.pages.get(target)
        if entry is not None:
            return entry
        path = target.split("?", 1)[0].split("#", 1)[0]
        if path in self.article_paths:
            return self.pages[path]
        return None

    def snapshot(self) -> dict:
        """Counts by kind, CPU seconds and the request window since the last mark."""
        return {"counts": dict(self.counts), "cpu": _cpu_seconds() - self.cpu_mark,
                "first": self.window[0] if self.window else None, "last": self.window[1] if self.window else None,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "now": time.monotonic()}

    def mark(self) -> None:
        self.counts.clear()
        self.window = []
        self.cpu_mark = _cpu_seconds()


def _fields(headers: dict) -> bytes:
    return "".join(f"{name}: {value}\r\n" for name, value in headers.items()).encode("latin-1")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Connection(asyncio.Protocol):
    """One client connection: HTTP/1.1 requests without bodies (GET, HEAD), kept alive."""

    def __init__(self, site: _Site, clock: dict):
        self.site = site
        self.clock = clock      # {"date": the Date header value, refreshed every second}
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and not self.transport.is_closing():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:  # no header block is that long
                    self.transport.close()
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            self.answer(head)

    def answer(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3:
            self.respond(400, b"", b"", None, close=True)
            return
        method, raw_target, version = parts
        if_none_match, close = None, version == b"HTTP/1.0"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"if-none-match":
                if_none_match = value.strip()
            elif name == b"connection":
                value = value.strip().lower()
                close = value == b"close" or (version == b"HTTP/1.0" and value != b"keep-alive")
        if method not in (b"GET", b"HEAD"):
            self.respond(501, b"", b"", None, close=True)
            return
        site = self.site
        now = time.monotonic()
        if site.window:
            site.window[1] = now
        else:
            site.window = [now, now]
        target = raw_target.decode("latin-1")
        entry = site.lookup(target)
        if entry is None:
            site.counts["article_404" if target in site.not_found_urls
                        else "robots" if target == "/robots.txt" else "other_404"] += 1
            fields, body = site.not_found
            self.respond(404, fields, body if method == b"GET" else b"", len(body), close=close)
            return
        site.counts[entry.kind] += 1
        if entry.etag is not None and if_none_match == entry.etag:
            site.counts["not_modified"] += 1
            self.respond(304, b"ETag: " + entry.etag + b"\r\n", b"", 0, close=close)
            return
        fields = entry.fields + (b"ETag: " + entry.etag + b"\r\n" if entry.etag is not None else b"")
        body = site.data[entry.offset:entry.offset + entry.length] if method == b"GET" else b""
        self.respond(entry.status, fields, body, entry.length, close=close)

    def respond(self, status: int, fields: bytes, body: bytes, length: int | None, close: bool) -> None:
        head = (f"HTTP/1.1 {status} {_REASONS[status]}\r\nServer: {_SERVER_HEADER}\r\n"
                f"Date: {self.clock['date']}\r\n").encode("latin-1") + fields
        if length is not None:
            head += f"Content-Length: {length}\r\n".encode("ascii")
        if close:
            head += b"Connection: close\r\n"
        self.transport.write(head + b"\r\n" + body)
        if close:
            self.transport.close()

    def connection_lost(self, exc) -> None:
        self.transport = None


async def _serve(folder: Path, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    site = _Site(folder)
    clock = {"date": formatdate(usegmt=True)}

    def tick() -> None:
        clock["date"] = formatdate(usegmt=True)
        loop.call_later(1.0, tick)

    tick()
    server = await loop.create_server(lambda: _Connection(site, clock), host, port, backlog=1024,
                                      reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    print(json.dumps({"url": f"http://{host}:{bound}/", "pages": len(site.pages),
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
    # Commands on stdin, one per line: "mark" (start counting afresh), "counts" (a JSON
    # line with counts, CPU and request window since the mark). End of input: stop.
    # The parent holds the other end, so the server also stops when the parent dies.
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = (await reader.readline()).strip()
        if not line or line == b"stop":
            break
        if line == b"mark":
            site.mark()
            print("{}", flush=True)
        elif line == b"counts":
            print(json.dumps(site.snapshot()), flush=True)
    server.close()


class ServerProcess:
    """The static server (`--serve DIR`) in a child process; `counts()` is what it answered
    since the last `mark()`."""

    def __init__(self, folder: Path, log: Path, start_timeout: float = 300):
        self.folder, self.log, self.start_timeout = folder, log, start_timeout
        self.proc: subprocess.Popen | None = None
        self._lines: queue.Queue = queue.Queue()
        self.info: dict = {}

    def __enter__(self) -> "ServerProcess":
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen([sys.executable, __file__, "--serve", str(self.folder)], cwd=REPO,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                                         start_new_session=True)
        _CHILDREN.add(self.proc)
        threading.Thread(target=self._read, daemon=True, name="server-stdout").start()
        try:
            self.info = self._answer(self.start_timeout)
        except BenchError:
            self.stop()
            raise
        return self

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _answer(self, timeout: float) -> dict:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise BenchError(f"the static server did not answer within {timeout:.0f} s (log: {self.log})") from None
        if line is None:
            raise BenchError(f"the static server ended (exit code {self.proc.poll()}; log: {self.log}):\n"
                             f"{_tail(self.log)}")
        return json.loads(line)

    def _ask(self, command: str) -> dict:
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except OSError:
            raise BenchError(f"the static server is gone (log: {self.log}):\n{_tail(self.log)}") from None
        return self._answer(60)

    @property
    def url(self) -> str:
        return self.info["url"]

    def mark(self) -> None:
        self._ask("mark")

    def counts(self) -> dict:
        return self._ask("counts")

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()  # end of input: the server stops
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        _kill(self.proc)
        self.proc = None

    def __exit__(self, *exc) -> None:
        self.stop()


async def _load(host: str, port: int, targets: list[str], seconds: float, connections: int) -> int:
    """Requests answered in `seconds` by `connections` keep-alive clients cycling through `targets`."""
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + seconds
    done = 0

    async def client(first: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(host, port)
        i = first
        try:
            while loop.time() < stop_at:
                writer.write(f"GET {targets[i % len(targets)]} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
                i += connections
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"\r\nContent-Length: (\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
                done += 1
        finally:
            writer.close()

    await asyncio.gather(*(client(i) for i in range(connections)))
    return done


def load_test(server: ServerProcess, folder: Path) -> dict:
    """The server alone: requests/s over the article pages from `LOAD_TEST_CONNECTIONS`
    keep-alive connections, and the server's CPU share meanwhile."""
    targets = []
    with open(folder / "index.tsv", encoding="utf-8") as index:
        for line in index:
            parts = line.split("\t", 6)
            if parts[5] == "article":
                targets.append(parts[0])
    parts = urlsplit(server.url)
    server.mark()
    started = time.monotonic()
    done = asyncio.run(_load(parts.hostname, parts.port, targets, LOAD_TEST_SECONDS, LOAD_TEST_CONNECTIONS))
    wall = time.monotonic() - started
    snap = server.counts()
    server.mark()
    busy = snap["cpu"] / wall
    return {"requests": done, "wall": wall, "rps": done / wall, "server_busy": busy,
            "server_cpu_per_request_ms": 1000 * snap["cpu"] / max(done, 1),
            "capacity_rps": done / snap["cpu"] if snap["cpu"] else float("inf")}


# ---------------------------------------------------------------- the bare spider


# Copied from crawler/extraction/__init__.py (page_kind's URL test): article-shaped URLs.
_ARTICLE_URL = re.compile(
    r"(?:/t\d{8}_\d+|content_\d+|/\d{4}-?\d{2}/?\d{2}/[^/]+\.s?html?$|/art_\d+|/articles?/|/detail|"
    r"/\d{6,}\.s?html?$|/\d{4}/\d{4}/)",
    re.IGNORECASE,
)
# Copied from crawler/spiders/news.py: pagination links, by their text or their URL.
_PAGER_TEXT = re.compile(r"^\s*(?:下一页|下页|上一页|上页|尾页|末页|首页|\d{1,4}|next|prev|previous|last|[>»›]+|[<«‹]+)\s*$",
                         re.I)
_PAGER_URL = re.compile(r"(?:index_\d+\.s?html?$|[?&](?:page|p|pageno|pageindex)=\d+)", re.I)
# crawler.portal.templates.CRUMB_CLASSES: the portal's breadcrumb trails sit in one of these.
_CRUMBS_CSS = ".location, .position, .crumbs, .crumb"


class BareSpider(scrapy.Spider):
    """The news spider's link following without its page processing: pages are discarded.

    ``scrapy runspider bench/crawl_bench.py -a start_url=URL [-a stats_out=FILE]``;
    the crawl's final stats are written to ``stats_out`` as JSON.
    """

    name = "bare"
    handle_httpstatus_list = [304]  # as the news spider

    def __init__(self, start_url: str | None = None, stats_out: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not start_url:
            raise ValueError("the bare spider needs -a start_url=URL")
        self.start_urls = [start_url]
        host = urlsplit(start_url).hostname or ""
        self.allowed_domains = [host[4:] if host.startswith("www.") else host]
        self.stats_out = stats_out
        self.links = LinkExtractor(unique=True)
        self.crumbs = LinkExtractor(restrict_css=_CRUMBS_CSS, unique=True)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.pagination_limit = crawler.settings.getint("NEWS_PAGINATION_LIMIT", 1000)
        # engine_stopped comes after spider_closed: the stats are final then.
        crawler.signals.connect(spider.write_stats, signal=signals.engine_stopped)
        return spider

    def parse(self, response):
        if response.status == 304 or not isinstance(response, HtmlResponse):
            return
        parts = urlsplit(response.url)
        if _ARTICLE_URL.search(parts.path + ("?" + parts.query if parts.query else "")):
            for link in self.crumbs.extract_links(response):
                yield scrapy.Request(canonical_url(link.url), callback=self.parse)
            return
        links = self.links.extract_links(response)
        hops = response.meta.get("pager_hops", 0) + 1
        pagers = [link for link in links if _PAGER_TEXT.match(link.text or "") or _PAGER_URL.search(link.url)]
        pager_urls = {link.url for link in pagers}
        if pagers and hops > self.pagination_limit:
            pagers = []
        for link in links:
            if link.url not in pager_urls:
                yield scrapy.Request(canonical_url(link.url), callback=self.parse)
        for link in pagers:
            yield scrapy.Request(canonical_url(link.url), callback=self.parse,
                                 meta={"pager": True, "pager_hops": hops})

    def write_stats(self) -> None:
        if self.stats_out:
            Path(self.stats_out).write_text(json.dumps(self.crawler.stats.get_stats(), default=str))


# ---------------------------------------------------------------- crawls


@dataclass
class Crawl:
    """One crawl subprocess: what it cost, what Scrapy counted, what the server answered."""

    label: str
    wall: float                   # the process, start to exit
    peak_rss_mb: float | None
    cpu_s: float | None           # the process's user + system time
    stats: dict                   # Scrapy's final stats
    server: dict                  # the server's snapshot: counts by kind, CPU, request window
    extra: dict = field(default_factory=dict)

    @property
    def responses(self) -> int:
        return int(self.stats.get("response_received_count", 0))

    @property
    def elapsed(self) -> float:
        return float(self.stats.get("elapsed_time_seconds") or self.wall)

    @property
    def pages_per_s(self) -> float:
        return self.responses / self.elapsed if self.elapsed else 0.0

    @property
    def requests(self) -> Counter:
        return Counter(self.server["counts"])

    @property
    def cpu_share(self) -> float | None:
        """CPU time over wall time of the crawl process: below ~0.9 it did not have a core to itself."""
        return self.cpu_s / self.wall if self.cpu_s and self.wall and "cpu_s" not in self.extra else None

    @property
    def server_busy(self) -> float:
        first, last = self.server.get("first"), self.server.get("last")
        return self.server["cpu"] / (last - first) if first is not None and last and last > first else 0.0


def _settings_args(settings: dict) -> list[str]:
    args = []
    for name, value in settings.items():
        args += ["-s", f"{name}={value}"]
    return args


def run_bare(server: ServerProcess, work: Path, label: str, timeout: float, gnu_time: bool) -> Crawl:
    stats_file, usage = work / f"{label}.stats.json", work / f"{label}.usage"
    load, state = os.getloadavg()[0], project_state()
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(Path(__file__).resolve()),
           "-a", f"start_url={server.url}", "-a", f"stats_out={stats_file}", "-s", f"SQLITE_PATH={work / label}.db",
           *_settings_args({**CRAWL_SETTINGS, **BARE_SETTINGS})]
    server.mark()
    memory: dict = {}
    wall = run_child(timed(cmd, usage, gnu_time), work / f"{label}.log", timeout, f"crawl {label}", memory)
    snap = server.counts()
    if not stats_file.is_file():
        raise BenchError(f"crawl {label} wrote no stats (log: {work / f'{label}.log'})")
    stats = json.loads(stats_file.read_text())
    _check_finished(label, stats)
    rss, cpu = read_usage(usage)
    # Peak RSS: the crawl process and its worker processes together (the largest one alone in extra).
    memory["largest_process_mb"] = rss
    rss = max(rss, memory.get("tree_peak_mb", 0.0))
    return Crawl(label, wall, rss, cpu, stats, snap, {"load": load, "project": state, **memory})


def run_full(server: ServerProcess, work: Path, label: str, timeout: float, gnu_time: bool) -> Crawl:
    db, usage = work / f"{label}.db", work / f"{label}.usage"
    load, state = os.getloadavg()[0], project_state()
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"start_url={server.url}",
           "-s", f"SQLITE_PATH={db}", *_settings_args(CRAWL_SETTINGS)]
    server.mark()
    memory: dict = {}
    wall = run_child(timed(cmd, usage, gnu_time), work / f"{label}.log", timeout, f"crawl {label}", memory)
    snap = server.counts()
    stats = last_run_stats(db)
    _check_finished(label, stats)
    rss, cpu = read_usage(usage)
    # Peak RSS: the crawl process and its worker processes together (the largest one alone in extra).
    memory["largest_process_mb"] = rss
    rss = max(rss, memory.get("tree_peak_mb", 0.0))
    return Crawl(label, wall, rss, cpu, stats, snap, {"db": db, "load": load, "project": state, **memory})


def run_stages(server: ServerProcess, work: Path, label: str, timeout: float, profile: bool,
               spider: str = "news") -> Crawl:
    """A crawl in-process (`--stage-worker`): the full one with stage timers, or either under cProfile."""
    db, out = work / f"{label}.db", work / f"{label}.json"
    load, state = os.getloadavg()[0], project_state()
    cmd = [sys.executable, __file__, "--stage-worker", server.url, str(db), str(out), "--worker-spider", spider]
    if profile:
        cmd += ["--profile-out", str(work / f"{label}.prof")]
    server.mark()
    wall = run_child(cmd, work / f"{label}.log", timeout, f"crawl {label}")
    snap = server.counts()
    result = json.loads(out.read_text())
    result["load"], result["project"] = load, state
    _check_finished(label, result["stats"])
    return Crawl(label, wall, result["peak_rss_mb"], result["cpu_s"], result["stats"], snap, result)


def _check_finished(label: str, stats: dict) -> None:
    if stats.get("finish_reason") != "finished":
        raise BenchError(f"crawl {label} ended with {stats.get('finish_reason')!r}, not 'finished'")
    if not stats.get("response_received_count"):
        raise BenchError(f"crawl {label} received no response")


def last_run_stats(db: Path) -> dict:
    """The stats of the last crawl recorded in `db` (crawl_runs, written by CrawlRunRecorder)."""
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT stats, finish_reason FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    if row is None or row[0] is None:
        raise BenchError(f"{db} has no finished crawl_runs row: was CRAWL_RUNS_ENABLED turned off?")
    return json.loads(row[0])


# ---------------------------------------------------------------- stage timers (the worker)


# Stage -> what it times ("module:attribute", "module:Class.method"). A function imported by
# name into other modules is replaced there too. Nested calls are charged to the innermost stage.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("decode", ("crawler.decoding:decode_html",)),
    ("extraction", ("crawler.extraction:extract_article",)),
    ("page kind", ("crawler.extraction:page_kind",)),
    ("link extraction", ("scrapy.linkextractors.lxmlhtml:LxmlLinkExtractor.extract_links",)),
    ("seen-state", ("crawler.seen:SeenState.lookup",)),
    ("spider, rest", ("crawler.spiders.news:NewsSpider.parse",)),
    ("repair", ("pipelines.repair:RepairPipeline.process_item",)),
    ("dedup", ("crawler.dedup:fingerprint", "crawler.dedup:DedupIndex.find", "crawler.dedup:DedupIndex.add",
               "crawler.dedup:DedupIndex.remove")),
    ("search index", ("crawler.search:index_tokens",)),  # called by SQLite triggers inside the writer
    ("SQLite write", ("pipelines.sqlite:SQLiteWriterPipeline.process_item",
                      "pipelines.sqlite:SQLiteWriterPipeline.close_spider", "crawler.storage:ArticleWriter.write")),
)
OTHER_STAGE = "Scrapy engine, other"


class StageClock:
    """CPU time of the reactor thread by stage, exclusive: entering a stage pauses the one around it."""

    def __init__(self) -> None:
        self.totals: Counter = Counter()
        self.calls: Counter = Counter()
        self.stack: list[str] = []
        self.mark = 0.0
        self.thread = threading.get_ident()

    def enter(self, stage: str) -> None:
        now = time.thread_time()
        if self.stack:
            self.totals[self.stack[-1]] += now - self.mark
        self.stack.append(stage)
        self.calls[stage] += 1
        self.mark = now

    def leave(self) -> None:
        now = time.thread_time()
        self.totals[self.stack.pop()] += now - self.mark
        self.mark = now

    def wrap(self, func, stage: str):
        import functools
        import inspect

        clock = self
        if inspect.isgeneratorfunction(func):
            def resumed(gen):
                while True:
                    clock.enter(stage)
                    try:
                        item = next(gen)
                    except StopIteration:
                        return
                    finally:
                        clock.leave()
                    yield item

            @functools.wraps(func)
            def generator(*args, **kwargs):
                if threading.get_ident() != clock.thread:
                    return func(*args, **kwargs)
                return resumed(func(*args, **kwargs))

            return generator

        @functools.wraps(func)
        def timed_call(*args, **kwargs):
            if threading.get_ident() != clock.thread:
                return func(*args, **kwargs)
            clock.enter(stage)
            try:
                return func(*args, **kwargs)
            finally:
                clock.leave()

        return timed_call


def install_stage_timers(clock: StageClock) -> list[str]:
    """Wrap every target of STAGES; returns those that do not exist (the project moved on)."""
    import importlib

    for name in ("crawler.spiders.news", "pipelines.repair", "pipelines.sqlite", "crawler.storage"):
        importlib.import_module(name)  # every module that imports a timed function by name
    missing = []
    for stage, targets in STAGES:
        for target in targets:
            module_name, attr = target.split(":")
            *classes, name = attr.split(".")
            try:
                owner = importlib.import_module(module_name)
                for cls in classes:
                    owner = getattr(owner, cls)
                original = getattr(owner, name)
            except (ImportError, AttributeError):
                missing.append(target)
                continue
            wrapped = clock.wrap(original, stage)
            setattr(owner, name, wrapped)
            if not classes:  # also where it was imported by name
                for module in list(sys.modules.values()):
                    if (getattr(module, "__name__", "").startswith(("crawler", "pipelines"))
                            and getattr(module, name, None) is original):
                        setattr(module, name, wrapped)
    return missing


def stage_worker(start_url: str, db: str, out: str, profile_out: str | None, spider: str = "news") -> int:
    """Child process: a crawl with the project settings and CRAWL_SETTINGS, timed by stage (or under
    cProfile); results as JSON into `out`. `spider` "bare" runs BareSpider with BARE_SETTINGS."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    # No worker or writer process: every stage on this process's reactor thread, where the timers are.
    settings.setdict({**CRAWL_SETTINGS, "SQLITE_PATH": db, "PROCESS_WORKERS": 0, "SQLITE_WRITER_PROCESS": False,
                      **(BARE_SETTINGS if spider == "bare" else {})}, priority="cmdline")
    if spider == "bare":
        spider_class = BareSpider
    else:
        from crawler.spiders.news import NewsSpider as spider_class
    clock = StageClock()
    missing = install_stage_timers(clock) if profile_out is None and spider == "news" else []
    marks: dict[str, tuple[float, float]] = {}

    def snap(name: str) -> None:
        marks[name] = (_cpu_seconds(), time.thread_time())

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_class)
    # weak=False: the dispatcher would otherwise drop these lambdas as soon as they are collected.
    crawler.signals.connect(lambda: snap("start"), signal=signals.engine_started, weak=False)
    crawler.signals.connect(lambda: snap("stop"), signal=signals.engine_stopped, weak=False)
    process.crawl(crawler, start_url=start_url)
    profiler = None
    if profile_out is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    process.start()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile_out)
    stats = crawler.stats.get_stats()
    cpu = marks["stop"][0] - marks["start"][0]
    result = {
        "stats": json.loads(json.dumps(stats, default=str)),
        "cpu_s": cpu, "main_thread_cpu_s": marks["stop"][1] - marks["start"][1],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "stages": dict(clock.totals), "calls": dict(clock.calls), "profiled": profile_out is not None,
        "missing": missing,
    }
    Path(out).write_text(json.dumps(result))
    return 0


# ---------------------------------------------------------------- database size


def database_size(db: Path) -> dict:
    """Bytes of the database (and WAL, if one is left), rows, and bytes by table/index (dbstat)."""
    files = sum(p.stat().st_size for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists())
    conn = sqlite3.connect(db)
    try:
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        urls = conn.execute("SELECT count(*) FROM article_urls").fetchone()[0]
        try:
            by_name = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"))
        except sqlite3.OperationalError:  # SQLite built without the dbstat table
            by_name = {}
        body_chars = conn.execute("SELECT sum(length(body)) FROM articles").fetchone()[0] or 0
    finally:
        conn.close()
    return {"bytes": files, "articles": articles, "article_urls": urls, "by_name": by_name,
            "body_chars": body_chars}


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


@dataclass
class ScaleResult:
    scale: int
    meta: dict
    reused: bool
    load: dict
    bare: Crawl
    full: Crawl
    stages: Crawl | None
    db: dict
    runs: list = field(default_factory=list)   # every (bare, full) pair when --repeat > 1

    @property
    def articles(self) -> int:
        return self.meta["expected"]["articles_original"]

    @property
    def full_rss(self) -> float:
        """Peak RSS of the full crawl: the highest of its runs."""
        return max([f.peak_rss_mb for _, f in self.runs] or [self.full.peak_rss_mb])

    @property
    def bare_rss(self) -> float:
        return max([b.peak_rss_mb for b, _ in self.runs] or [self.bare.peak_rss_mb])

    @property
    def cpu_ratio(self) -> float:
        """CPU time per page of (a) over that of (b), each its least disturbed run."""
        def per_page(crawls):
            return min(c.cpu_s / c.responses for c in crawls)
        return per_page([b for b, _ in self.runs] or [self.bare]) / per_page([f for _, f in self.runs] or [self.full])

    @property
    def ratio(self) -> float:
        return self.full.pages_per_s / self.bare.pages_per_s if self.bare.pages_per_s else 0.0


REQUEST_KINDS = ("article", "list", "article_404", "article_500", "robots", "file", "other_404", "not_modified")


def report_scale(r: ScaleResult) -> None:
    exp = r.meta["expected"]
    print(f"\n=== scale {r.scale}: {exp['articles_original']:,} original articles, "
          f"{exp['article_pages_valid']:,} valid article pages, {exp['list_pages']:,} list pages reachable, "
          f"{r.meta['pages']:,} served pages, {r.meta['bytes'] / 1e6:,.0f} MB "
          f"({'cached' if r.reused else 'generated'}: build {r.meta['build_seconds']} s, "
          f"peak {r.meta['build_peak_mb']:,.0f} MB)")
    print(f"static server alone: {r.load['rps']:,.0f} req/s over {LOAD_TEST_CONNECTIONS} keep-alive connections "
          f"(server CPU {r.load['server_busy']:.0%} of a core, {r.load['server_cpu_per_request_ms']:.3f} ms "
          f"per request: ~{r.load['capacity_rps']:,.0f} req/s per core)")
    crawls = [r.bare, r.full] + ([r.stages] if r.stages else [])
    names = ["(a) bare", "(b) full"] + (["(c) full, timed"] if r.stages else [])
    rows = [[f"server: {kind}"] + [f"{c.requests[kind]:,}" for c in crawls] for kind in REQUEST_KINDS
            if any(c.requests[kind] for c in crawls)]
    rows.append(["server: all requests"] + [f"{sum(c.requests[k] for k in REQUEST_KINDS if k != 'not_modified'):,}"
                                            for c in crawls])
    rows += [
        ["responses received (Scrapy)"] + [f"{c.responses:,}" for c in crawls],
        ["requests filtered (dupe / offsite / robots)"] + [
            f"{c.stats.get('dupefilter/filtered', 0):,} / {c.stats.get('offsite/filtered', 0):,} / "
            f"{c.stats.get('robotstxt/forbidden', 0):,}" for c in crawls],
        ["crawl time (elapsed_time_seconds)"] + [f"{c.elapsed:,.1f} s" for c in crawls],
        ["process wall time"] + [f"{c.wall:,.1f} s" for c in crawls],
        ["pages/s"] + [f"{c.pages_per_s:,.1f}" for c in crawls],
        ["peak RSS (crawl + worker processes, summed)"] + [
            f"{c.peak_rss_mb:,.1f} MB" if c.peak_rss_mb else "–" for c in crawls],
        ["  largest process alone / processes"] + [
            f"{c.extra['largest_process_mb']:,.1f} MB / {c.extra.get('tree_processes', 1)}"
            if "largest_process_mb" in c.extra else "–" for c in crawls],
        ["CPU per page (processes, start-up included)"] + [
            f"{1000 * c.cpu_s / c.responses:,.2f} ms" if c.cpu_s and c.label != "stages" else "–"
            for c in crawls[:2]] + (["–"] if r.stages else []),
        ["  of which crawl process / worker processes (sampled)"] + [
            " / ".join(f"{1000 * cpu / c.responses:,.2f} ms" for cpu in c.extra["cpu_split"])
            if c.extra.get("cpu_split") and c.label != "stages" else "–" for c in crawls],
        ["peak RSS of the crawl process / worker processes, each"] + [
            " / ".join(f"{mb:,.1f} MB" for mb in c.extra["peak_by_side"])
            if c.extra.get("peak_by_side") and c.label != "stages" else "–" for c in crawls],
        ["  of which anonymous (RssAnon: no file-backed pages), each"] + [
            " / ".join(f"{mb:,.1f} MB" for mb in c.extra["peak_anon_by_side"])
            if c.extra.get("peak_anon_by_side") and c.label != "stages" else "–" for c in crawls],
        ["busy per second, median: crawl process / worker"] + [
            c.extra.get("busy") or "–" if c.label != "stages" else "–" for c in crawls],
        ["crawl process GC: collections (full) / seconds (GcTuning)"] + [
            f"{c.stats['gc/collections']:,} ({c.stats.get('gc/full_collections', 0):,}) / {c.stats['gc/seconds']:,.1f} s"
            if "gc/collections" in c.stats else "–" for c in crawls],
        ["crawl CPU / wall time (all its processes)"] + [f"{c.cpu_share:.0%}" if c.cpu_share else "–" for c in crawls],
        ["load average before the crawl (1 min)"] + [f"{c.extra['load']:.2f}" for c in crawls],
        ["server CPU share while crawled"] + [f"{c.server_busy:.0%}" for c in crawls],
    ]
    title = "crawls against the same server, same settings"
    if len(r.runs) > 1:
        title += f" (the fastest of {len(r.runs)} alternated runs of each)"
    print_table(title, [""] + names, rows)
    if len(r.runs) > 1:
        for i, (b, f) in enumerate(r.runs, 1):
            print(f"  run {i}: (a) {b.pages_per_s:,.1f} pages/s, {1000 * b.cpu_s / b.responses:.2f} ms CPU/page; "
                  f"(b) {f.pages_per_s:,.1f} pages/s, {1000 * f.cpu_s / f.responses:.2f} ms CPU/page")
    print(f"ratio of pages/s, (b) / (a): {r.ratio:.3f} (target ≥ {MIN_SPEED_RATIO}: "
          f"{_verdict(r.ratio >= MIN_SPEED_RATIO)})")
    diff = {k: r.full.requests[k] - r.bare.requests[k] for k in REQUEST_KINDS if r.full.requests[k] != r.bare.requests[k]}
    if diff:
        print("requests (b) minus (a) by kind: " + ", ".join(f"{k} {v:+,}" for k, v in diff.items()))
    else:
        print("(a) and (b) asked the server for the same number of pages of every kind")
    print(f"ratio of CPU per page, (a) / (b): {r.cpu_ratio:.3f} (the same comparison, insensitive to other load)")
    starved = [c.label for c in (r.bare, r.full) if c.cpu_share is not None and c.cpu_share < 0.9]
    if starved:
        print(f"warning: {', '.join(starved)} had less than 90% of a core: other processes were running on this "
              "machine; pages/s are low by as much (see the load averages)")
    states = {c.extra["project"] for c in crawls}
    if len(states) > 1:
        print("warning: the project's code changed between these crawls (others are editing it):\n  "
              + "\n  ".join(f"{c.label}: {c.extra['project']}" for c in crawls))
    busy = max(c.server_busy for c in crawls)
    if busy >= SERVER_BUSY_WARNING:
        print(f"warning: the server used {busy:.0%} of a core during a crawl: it may have limited that crawl")
    if r.stages:
        report_stages(r.stages)
    report_db(r.db)


def report_stages(c: Crawl) -> None:
    stages = Counter(c.extra["stages"])
    total = c.extra["cpu_s"]
    other = total - sum(stages.values())
    pages = c.responses
    articles = c.stats.get("news/pages/article", 0)
    names = [s for s, _ in STAGES] + [OTHER_STAGE]
    stages[OTHER_STAGE] = other
    rows = [[name, f"{stages[name]:,.1f} s", f"{1000 * stages[name] / pages:,.3f} ms",
             f"{stages[name] / total:.1%}", f"{c.extra['calls'].get(name, 0):,}" if name != OTHER_STAGE else ""]
            for name in names]
    rows.append(["total (process CPU, engine start to stop)", f"{total:,.1f} s", f"{1000 * total / pages:,.3f} ms",
                 "100%", ""])
    print_table(f"(c) CPU time by stage: {pages:,} responses, {articles:,} article pages, "
                f"{c.pages_per_s:,.1f} pages/s with the timers on",
                ["stage", "CPU", "per page", "share", "calls"], rows)
    per_article = sum(stages[s] for s in ("decode", "extraction", "repair")) / max(articles, 1)
    print(f"decode + extraction + repair per article page (mean): {1000 * per_article:.2f} ms")
    if c.extra.get("missing"):
        print(f"not timed (not in the project any more): {', '.join(c.extra['missing'])}")


def report_db(db: dict) -> None:
    n = max(db["articles"], 1)
    print(f"database: {db['bytes'] / 1e6:,.1f} MB for {db['articles']:,} articles ({db['article_urls']:,} URLs): "
          f"{db['bytes'] / n / 1024:,.1f} KiB per article (body text {db['body_chars'] / n:,.0f} characters "
          "per article)")
    if db["by_name"]:
        top = list(db["by_name"].items())[:8]
        print("  by table/index: " + ", ".join(f"{name} {size / n / 1024:,.2f} KiB" for name, size in top))


def report_summary(results: list[ScaleResult], stage_figures: dict | None) -> bool | None:
    """The targets table; returns True/False when every measured target is / is not reached."""
    rows: list[list[str]] = []
    verdicts: list[bool] = []
    for r in results:
        ok = r.ratio >= MIN_SPEED_RATIO
        verdicts.append(ok)
        rows.append([f"full / bare pages/s, {r.articles:,} articles",
                     f"{r.full.pages_per_s:,.1f} / {r.bare.pages_per_s:,.1f} = {r.ratio:.3f} "
                     f"(CPU/page: {r.cpu_ratio:.3f})",
                     f"≥ {MIN_SPEED_RATIO}", _verdict(ok)])
    by_articles = {r.articles: r for r in results}
    low = next((r for r in results if r.articles >= RSS_SCALES[0] and r.articles < RSS_SCALES[1]), None)
    high = next((r for r in results if r.articles >= RSS_SCALES[1]), None)
    for r in sorted(by_articles.values(), key=lambda r: r.articles):
        rows.append([f"peak RSS, {r.articles:,} articles", f"full {r.full_rss:,.1f} MB, "
                     f"bare {r.bare_rss:,.1f} MB", "", ""])
    if low and high:
        growth = high.full_rss / low.full_rss
        ok_growth, ok_cap = growth <= MAX_RSS_GROWTH, high.full_rss < MAX_RSS_MB
        verdicts += [ok_growth, ok_cap]
        rows.append([f"peak RSS {high.articles:,} / {low.articles:,} articles",
                     f"{growth:.2f}× (bare {high.bare_rss / low.bare_rss:.2f}×)",
                     f"≤ {MAX_RSS_GROWTH}×", _verdict(ok_growth)])
        rows.append([f"peak RSS at {high.articles:,} articles", f"{high.full_rss:,.1f} MB",
                     f"< {MAX_RSS_MB:.0f} MB", _verdict(ok_cap)])
    else:
        rows.append(["peak RSS 100,000 vs 10,000 articles", "needs both scales in one run",
                     f"≤ {MAX_RSS_GROWTH}×, < {MAX_RSS_MB:.0f} MB", _verdict(None)])
    if stage_figures is not None:
        for row, ok in stage_figures["rows"]:
            rows.append(row)
            if ok is not None:
                verdicts.append(ok)
    for r in results:
        n = max(r.db["articles"], 1)
        rows.append([f"database per article, {r.articles:,} articles", f"{r.db['bytes'] / n / 1024:,.1f} KiB",
                     "", ""])
    print_table("Targets", ["", "measured", "target", ""], rows)
    return all(verdicts) if verdicts else None


def _short_path(filename: str) -> str:
    """A profiled file's path from the repository, the site-packages or the standard library."""
    for marker in ("site-packages/", str(REPO) + "/", f"lib/python{sys.version_info[0]}.{sys.version_info[1]}/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _package_of(filename: str, name: str) -> str:
    """Where a profiled function belongs: a project module, a third-party package, a standard
    library module, or (built-ins) the library its name mentions."""
    if filename == "~":  # a built-in: "<method 'execute' of 'sqlite3.Connection' objects>"
        for library in ("sqlite3", "lxml", "opencc", "hashlib", "numpy", "re.Pattern", "asyncio", "socket"):
            if library.split(".")[0] in name:
                return library.split(".")[0] + " (C)"
        return "builtins"
    path = _short_path(filename)
    if path.startswith(("crawler/", "pipelines/")):
        return ".".join(path.split("/")[:2]).removesuffix(".py")
    return path.split("/")[0].removesuffix(".py")


def report_profile(prof: Path, label: str, project: bool = True, top: int = 25) -> None:
    """Top functions by own time, and the project's functions by cumulative time."""
    import pstats

    stats = pstats.Stats(str(prof))
    total = stats.total_tt
    entries = []
    for (filename, line, name), (cc, nc, tt, ct, callers) in stats.stats.items():
        entries.append((filename, line, name, nc, tt, ct))

    def where(filename: str, line: int, name: str) -> str:
        return f"{_short_path(filename)}:{line}({name})" if line else name

    rows = [[where(f, ln, n), f"{nc:,}", f"{tt:,.2f} s", f"{tt / total:.1%}", f"{ct:,.2f} s"]
            for f, ln, n, nc, tt, ct in sorted(entries, key=lambda e: -e[4])[:top]]
    print_table(f"{label} under cProfile, top {top} by own time (profiled CPU {total:,.1f} s)",
                ["function", "calls", "own", "share", "cumulative"], rows)
    by_package: Counter = Counter()
    for filename, _, name, _, tt, _ in entries:
        by_package[_package_of(filename, name)] += tt
    print(f"{label}: own time by package: " + ", ".join(
        f"{package} {seconds / total:.0%}" for package, seconds in by_package.most_common(12)))
    if not project:
        return
    mine = [e for e in entries if e[0].startswith((str(REPO / "crawler"), str(REPO / "pipelines")))]
    rows = [[where(f, ln, n), f"{nc:,}", f"{ct:,.2f} s", f"{ct / total:.1%}", f"{tt:,.2f} s"]
            for f, ln, n, nc, tt, ct in sorted(mine, key=lambda e: -e[5])[:top]]
    print_table(f"{label} under cProfile, the project's top {top} by cumulative time",
                ["function", "calls", "cumulative", "share", "own"], rows)


# ---------------------------------------------------------------- main


def bench_scale(scale: int, args, work: Path, gnu_time: bool, profile: bool) -> ScaleResult:
    print(f"\nPortal at scale {scale} …", flush=True)
    started = time.monotonic()
    folder, meta, reused = ensure_portal(scale, args.portal_cache, args.regenerate, args.timeout, work)
    print(f"  {'cached' if reused else 'generated'}: {folder} ({time.monotonic() - started:.0f} s)", flush=True)
    with ServerProcess(folder, work / f"server-scale{scale}.log") as server:
        print(f"  serving {server.info['pages']:,} pages at {server.url} (server RSS "
              f"{server.info['rss_mb']:,.0f} MB); load test …", flush=True)
        load = load_test(server, folder)
        print(f"  {load['rps']:,.0f} req/s", flush=True)
        runs: list[tuple[Crawl, Crawl]] = []
        for i in range(args.repeat):
            # Alternated, so that a stretch of load from other processes falls on both.
            suffix = f"-{i + 1}" if args.repeat > 1 else ""
            pair = []
            for run, name, label in ((run_bare, "bare", "(a) bare spider"), (run_full, "full", "(b) full crawl")):
                print(f"  {label}{f' run {i + 1} of {args.repeat}' if args.repeat > 1 else ''} …", flush=True)
                crawl = run(server, work, f"scale{scale}-{name}{suffix}", args.timeout, gnu_time)
                print(f"    {crawl.responses:,} responses in {crawl.elapsed:,.1f} s: {crawl.pages_per_s:,.1f} pages/s, "
                      f"{1000 * crawl.cpu_s / crawl.responses:,.2f} ms CPU per page, "
                      f"peak RSS {crawl.peak_rss_mb:,.1f} MB", flush=True)
                pair.append(crawl)
            runs.append((pair[0], pair[1]))
        # The least disturbed run of each: other processes only ever slow a crawl down.
        bare = max((b for b, _ in runs), key=lambda c: c.pages_per_s)
        full = max((f for _, f in runs), key=lambda c: c.pages_per_s)
        stages = None
        if not args.skip_stages:
            print("  (c) full crawl with stage timers …", flush=True)
            stages = run_stages(server, work, f"scale{scale}-stages", args.timeout, False)
            print(f"    {stages.responses:,} responses in {stages.elapsed:,.1f} s", flush=True)
        if profile:
            for spider, label in (("news", "(d) full crawl"), ("bare", "(e) bare spider")):
                print(f"  {label} under cProfile …", flush=True)
                prof = run_stages(server, work, f"scale{scale}-profile-{spider}", args.timeout, True, spider)
                print(f"    {prof.responses:,} responses in {prof.elapsed:,.1f} s; profile "
                      f"{work / f'scale{scale}-profile-{spider}.prof'}", flush=True)
    result = ScaleResult(scale, meta, reused, load, bare, full, stages, database_size(full.extra["db"]), runs)
    report_scale(result)
    if profile:
        report_profile(work / f"scale{scale}-profile-news.prof", "(d) full crawl")
        report_profile(work / f"scale{scale}-profile-bare.prof", "(e) bare spider", project=False)
    return result


def _parse_numbers(value: str, what: str) -> list[int]:
    try:
        numbers = [int(v.replace("_", "")) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be whole numbers separated by commas, got {value!r}") from None
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError(f"{what} must be at least 1, got {value!r}")
    return numbers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--articles", type=lambda v: _parse_numbers(v, "--articles"), metavar="N[,M]",
                       help="original articles of each portal, comma-separated (default 10000,100000: scales 32 and 311)")
    which.add_argument("--scale", type=lambda v: _parse_numbers(v, "--scale"), metavar="N[,M]",
                       help="portal scales instead (322 original articles each)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep databases, logs, stats and profiles in DIR (default: a temporary folder, removed)")
    parser.add_argument("--portal-cache", type=Path, default=DEFAULT_CACHE, metavar="DIR",
                        help=f"where generated portals are kept and reused (default {DEFAULT_CACHE.relative_to(REPO)})")
    parser.add_argument("--regenerate", action="store_true", help="generate the portals even if cached")
    parser.add_argument("--profile", action="store_true",
                        help="also run the full crawl under cProfile at the smallest scale and list the hotspots")
    parser.add_argument("--skip-stages", action="store_true", help="skip the stage-timed crawl (c)")
    parser.add_argument("--skip-stage-bench", action="store_true",
                        help="skip bench/stage_bench.py (extraction + repair on real pages, SQLite writer alone)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run (a) and (b) N times each, alternated, and report the fastest run of each "
                             "(default 1; use 3 on a machine that others are using)")
    parser.add_argument("--timeout", type=float, default=7200, help="seconds allowed per subprocess (default 7200)")
    # Internal: the child processes this script starts.
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, metavar=("SCALE", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--stage-worker", nargs=3, metavar=("URL", "DB", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    parser.add_argument("--worker-spider", choices=("news", "bare"), default="news", help=argparse.SUPPRESS)
    return parser


def project_state() -> str:
    """The commit measured, and the project files changed since (others may be editing them)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=30).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--", "crawler", "pipelines"], cwd=REPO,
                                capture_output=True, text=True, timeout=30).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (no git)"
    changed = [line[3:] for line in status]
    return f"commit {head or '?'}" + (f", with uncommitted changes to {', '.join(changed)}" if changed else "")


def _on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # runs the clean-up below: children killed, server stopped


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.serve:
        asyncio.run(_serve(args.serve, "127.0.0.1", 0))
        return 0
    if args.generate:
        write_portal(int(args.generate[0]), Path(args.generate[1]))
        return 0
    if args.stage_worker:
        return stage_worker(*args.stage_worker, args.profile_out, args.worker_spider)

    if args.repeat < 1:
        build_parser().error(f"--repeat must be at least 1, got {args.repeat}")
    scales = sorted(set(args.scale or [scale_for(n) for n in (args.articles or DEFAULT_ARTICLES)]))
    args.portal_cache = args.portal_cache.resolve()
    gnu_time = _gnu_time()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        if any(args.keep.glob("*.db")):
            print(f"crawl_bench: {args.keep} already holds databases: give an empty or new folder", file=sys.stderr)
            return 2
        work, cleanup = args.keep.resolve(), None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="crawl-bench-")
        work = Path(cleanup.name)
    signal.signal(signal.SIGTERM, _on_sigterm)
    print(f"Crawl benchmark: scales {', '.join(map(str, scales))}; peak RSS by "
          f"{'GNU time' if gnu_time else 'getrusage(RUSAGE_CHILDREN)'}; work folder {work}", flush=True)
    print(f"project: {project_state()}; {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"Scrapy {scrapy.__version__}", flush=True)
    try:
        results = [bench_scale(s, args, work, gnu_time, args.profile and s == scales[0]) for s in scales]
        stage_figures = None
        if not args.skip_stage_bench:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            import stage_bench

            print("\nStage benchmarks (bench/stage_bench.py) …", flush=True)
            try:
                stage_figures = stage_bench.run(work)
            except Exception as exc:  # noqa: BLE001 - the project code under test failed
                raise BenchError(f"bench/stage_bench.py failed: {type(exc).__name__}: {exc}") from exc
        ok = report_summary(results, stage_figures)
    except BenchError as exc:
        print(f"crawl_bench: {exc}", file=sys.stderr)
        if cleanup is not None:
            print("(the temporary folder is removed: run with --keep DIR to keep databases and logs)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("crawl_bench: interrupted", file=sys.stderr)
        return 2
    finally:
        for proc in list(_CHILDREN):
            _kill(proc)
        if cleanup is not None:
            cleanup.cleanup()
    if args.keep:
        print(f"\ndatabases, logs and stats kept in {work}")
    return 0 if ok is not False else 1


if __name__ == "__main__":
    raise SystemExit(main())
