"""The request dupefilter of single-process crawls: Scrapy's, with the fingerprints on disk.

Scrapy's ``RFPDupeFilter`` keeps the fingerprint of every request a crawl ever
scheduled in a Python set: about 120 bytes a request, for the whole run, so a
crawl's memory grows with its size (the project's rule is crawl state on disk,
not in RAM). ``DiskDupeFilter``, enabled by ``DUPEFILTER_CLASS``, filters the
same requests (the crawler's request fingerprinter, ``dont_filter`` left to the
scheduler, ``DUPEFILTER_DEBUG``, the ``dupefilter/filtered`` stat: all
``RFPDupeFilter``'s) with the fingerprints in a SQLite table:

- without ``JOBDIR``, in a temporary file of its own (``DUPEFILTER_TEMP_DIR``, or
  the system's temporary folder), deleted when the crawl closes. A process that is
  killed leaves it behind (``dupefilter-*.sqlite``), as Scrapy leaves ``JOBDIR``;
- with ``JOBDIR``, in ``JOBDIR/requests.seen.sqlite``, kept, so a paused job
  resumes with the fingerprints it had, as ``RFPDupeFilter``'s ``requests.seen``.
  A job begun with ``RFPDupeFilter`` takes that file's fingerprints when it is
  resumed with this filter.

In front of the table, up to ``DUPEFILTER_CACHE_SIZE`` of the fingerprints last
seen are held in memory (the links every page repeats, navigation and section
lists, are most of the duplicates), and new ones are committed
``DUPEFILTER_BATCH_SIZE`` at a time (inserted at once, so a lookup sees them
before their commit). A fingerprint the cache does not hold costs one
``INSERT OR IGNORE`` on SQLite's page cache, whose size is bounded too
(``PRAGMA cache_size``, 2 MB).

Distributed crawls (``REDIS_URL``) keep their own dupefilter, in Redis
(:mod:`crawler.distributed.dupefilter`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
from pathlib import Path

from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.job import job_dir

logger = logging.getLogger(__name__)

# The file of the fingerprints in JOBDIR, and RFPDupeFilter's, read when ours is new.
JOBDIR_FILE = "requests.seen.sqlite"
SCRAPY_JOBDIR_FILE = "requests.seen"
# SQLite's page cache for the table, in KiB (the default is about 2 MB too, said here
# so the bound is ours).
PAGE_CACHE_KIB = 2048


def _scrapy_fingerprints(data: bytes):
    """The fingerprints of RFPDupeFilter's ``requests.seen``: each a 2-byte big-endian
    length and the bytes; a record cut short by an unclean stop is left out."""
    pos = 0
    while pos + 2 <= len(data):
        size = int.from_bytes(data[pos:pos + 2], "big")
        fingerprint = data[pos + 2:pos + 2 + size]
        if len(fingerprint) < size:
            return
        yield fingerprint
        pos += 2 + size


class DiskDupeFilter(RFPDupeFilter):
    """``RFPDupeFilter`` with its fingerprints in SQLite: see the module docstring."""

    def __init__(self, path: str | None = None, debug: bool = False, *, fingerprinter=None,
                 cache_size: int = 10_000, batch_size: int = 1_000, temp_dir: str | None = None) -> None:
        # No path for RFPDupeFilter: it would read requests.seen into its set.
        super().__init__(None, debug, fingerprinter=fingerprinter)
        if cache_size < 0 or batch_size < 1:
            raise ValueError(f"DiskDupeFilter needs cache_size >= 0 and batch_size >= 1,"
                             f" got {cache_size} and {batch_size}")
        self.cache_size = cache_size
        self.batch_size = batch_size
        # The cache: two generations of at most cache_size / 2 fingerprints each; when the
        # young one is full it becomes the old one and the old one is dropped. A hit in the
        # old generation moves the fingerprint to the young one, so links every page
        # repeats stay. (Two sets cost less per request than an LRU's bookkeeping.)
        self._young: set[bytes] = set()
        self._old: set[bytes] = set()
        self._generation = max(1, cache_size // 2) if cache_size else 0
        self._uncommitted = 0
        self.temporary = not path
        if path:
            self.path = Path(path, JOBDIR_FILE)
            new = not self.path.exists()
        else:
            fd, name = tempfile.mkstemp(prefix="dupefilter-", suffix=".sqlite", dir=temp_dir or None)
            os.close(fd)
            self.path = Path(name)
            new = True
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            if self.temporary:
                # Nobody else opens this file, nor reads it after the run: no journal,
                # no fsync, the lock held (SQLite then keeps its page cache between
                # transactions: several times faster per request than without).
                self.conn.execute("PRAGMA locking_mode = EXCLUSIVE")
                self.conn.execute("PRAGMA journal_mode = OFF")
                self.conn.execute("PRAGMA synchronous = OFF")
            else:
                # A job is paused with a clean close (which commits); WAL keeps the
                # committed batches through an unclean one.
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
            self.conn.execute("CREATE TABLE IF NOT EXISTS fingerprints (fp BLOB PRIMARY KEY) WITHOUT ROWID")
            if new and path and Path(path, SCRAPY_JOBDIR_FILE).is_file():
                self._import_scrapy_file(Path(path, SCRAPY_JOBDIR_FILE))
        except BaseException:
            self._close_connection()
            raise
        self._cursor = self.conn.cursor()
        self._cursor.execute("BEGIN")

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(job_dir(settings), settings.getbool("DUPEFILTER_DEBUG"),
                   fingerprinter=crawler.request_fingerprinter,
                   cache_size=settings.getint("DUPEFILTER_CACHE_SIZE", 10_000),
                   batch_size=settings.getint("DUPEFILTER_BATCH_SIZE", 1_000),
                   temp_dir=settings.get("DUPEFILTER_TEMP_DIR") or None)

    def _import_scrapy_file(self, file: Path) -> None:
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT OR IGNORE INTO fingerprints VALUES (?)",
                                  ((fp,) for fp in _scrapy_fingerprints(file.read_bytes())))
        logger.info("Dupefilter: took the fingerprints of %s into %s", file, self.path)

    def request_seen(self, request) -> bool:
        fp = self._fingerprint(request)
        if fp in self._young:
            return True
        if fp in self._old:
            seen = True
        else:
            # Not in the cache: insert it; no row inserted means the table had it.
            seen = self._cursor.execute("INSERT OR IGNORE INTO fingerprints VALUES (?)", (fp,)).rowcount == 0
            if not seen:
                self._uncommitted += 1
                if self._uncommitted >= self.batch_size:
                    self._commit()
                    self._cursor.execute("BEGIN")
        if self._generation:
            self._young.add(fp)
            if len(self._young) >= self._generation:
                self._old, self._young = self._young, set()
        return seen

    def _commit(self) -> None:
        if self.conn.in_transaction:
            self._cursor.execute("COMMIT")
        self._uncommitted = 0

    def __len__(self) -> int:
        """The number of fingerprints kept (committed or not)."""
        return self.conn.execute("SELECT count(*) FROM fingerprints").fetchone()[0]

    def close(self, reason: str) -> None:
        if self.conn is None:
            return
        try:
            self._commit()
        finally:
            self._close_connection()

    def _close_connection(self) -> None:
        self.conn.close()
        self.conn = None
        self._young, self._old = set(), set()
        if self.temporary:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
