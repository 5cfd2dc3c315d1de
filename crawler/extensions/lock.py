"""Run lock: two crawls of the same site into the same database never overlap.

Enabled by ``LOCK_ENABLED``; documented in the README ("Scheduled crawls"). When
the spider opens, the extension takes an exclusive, non-blocking ``flock`` on a
lock file beside the database, named from ``SQLITE_PATH`` and the site the spider
crawls (its allowed domains, else its profile's or its own name):
``output/news.db.lock-example.gov.cn`` (allowed domains drop ``www.``). Crawls of other sites into the same
database take other files and run side by side; a second crawl of the same site
finds the lock taken and closes before its first request, with finish reason
``lock_held`` and a log line naming the lock file and the PID written in it;
``scrapy crawl`` then exits with ``LOCK_EXIT_CODE`` (75, EX_TEMPFAIL; see
``crawler/commands/crawl.py``).

The kernel drops a ``flock`` when the process that took it ends, however it ends
(``kill -9`` too), so a lock file left behind never blocks a later run: only a
live holder does. The file itself stays (removing a lock file another process
may have open is how such locks break); its content is only the holder's PID,
for the message.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import re
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

logger = logging.getLogger(__name__)

# The finish reason of a run that found its site locked; the crawl command maps it to LOCK_EXIT_CODE.
LOCK_HELD = "lock_held"
# The finish reason of a run that could not create or lock its lock file (a plain failure, exit code 1).
LOCK_ERROR = "lock_error"


class LockHeld(Exception):
    """The lock file is locked by another process; ``pid`` is what it wrote there (None if nothing yet)."""

    def __init__(self, path: Path, pid: int | None):
        super().__init__(f"{path} is locked by PID {pid if pid is not None else '(not written yet)'}")
        self.path = path
        self.pid = pid


def site_key(domains, fallback: str) -> str:
    """The site part of a lock file's name: the allowed domains, sorted, joined by ``+``.

    >>> site_key(["www.example.gov.cn"], "news")
    'www.example.gov.cn'
    >>> site_key(["b.cn", "a.cn", "a.cn"], "news")
    'a.cn+b.cn'
    >>> site_key([], "haizhou")
    'haizhou'
    >>> len(site_key([f"site{i}.example.gov.cn" for i in range(20)], "news")) <= 100
    True
    """
    key = "+".join(sorted(set(domains or ()))) or fallback
    key = re.sub(r"[^A-Za-z0-9._+-]", "_", key)
    if len(key) > 100:  # file names have a length limit; keep a readable head and make the rest unique
        key = f"{key[:80]}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"
    return key


def lock_path(sqlite_path: str | os.PathLike, spider) -> Path:
    """The lock file of ``spider``'s site for the database ``sqlite_path``."""
    profile = getattr(spider, "profile", None)
    fallback = getattr(profile, "name", None) or spider.name
    # Resolved: /srv/data/news.db and data/news.db run from /srv are one database, one lock.
    database = Path(sqlite_path).resolve()
    return Path(f"{database}.lock-{site_key(getattr(spider, 'allowed_domains', None), fallback)}")


def acquire(path: Path) -> int:
    """Lock ``path`` (created with its folders if missing) for this process and write our PID
    into it; return the open descriptor, which holds the lock until closed.
    Raises :class:`LockHeld` when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
            os.close(fd)
            raise
        pid = _read_pid(fd)
        os.close(fd)
        raise LockHeld(path, pid) from None
    # Not O_TRUNC at open: that would wipe the holder's PID before we know the lock is ours.
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def release(fd: int) -> None:
    """Empty the lock file (its PID is about to be stale) and drop the lock."""
    try:
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the last descriptor of the open file releases the flock


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class RunLock:
    def __init__(self, crawler, sqlite_path: str):
        self.crawler = crawler
        self.sqlite_path = sqlite_path
        self.path: Path | None = None
        self.fd: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("LOCK_ENABLED"):
            raise NotConfigured("LOCK_ENABLED is off")
        path = crawler.settings.get("SQLITE_PATH")
        if not path:
            raise NotConfigured("SQLITE_PATH is empty: the run lock is kept beside the crawl database")
        ext = cls(crawler, path)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        # Raising CloseSpider from a spider_opened handler closes the spider before
        # the engine starts, so not one request (robots.txt included) goes out.
        self.path = lock_path(self.sqlite_path, spider)
        try:
            self.fd = acquire(self.path)
        except LockHeld as held:
            who = f"PID {held.pid}" if held.pid is not None else "another process (PID not written yet)"
            logger.error(
                "Another crawl of %s into %s is running: %s holds the lock file %s. "
                "This run stops before any request (exit code %d).",
                self.path.name.rsplit(".lock-", 1)[1], self.sqlite_path, who, self.path,
                self.crawler.settings.getint("LOCK_EXIT_CODE"))
            raise CloseSpider(LOCK_HELD) from None
        except OSError as exc:
            logger.error("Cannot create or lock the lock file %s (%s): this run stops before any request.",
                         self.path, exc.strerror or exc)
            raise CloseSpider(LOCK_ERROR) from None
        logger.info("Run lock %s taken (PID %d)", self.path, os.getpid())

    def spider_closed(self, spider, reason):
        if self.fd is not None:
            release(self.fd)
            self.fd = None
