"""``scrapy crawl`` with exit codes a scheduler can act on.

Scrapy's own ``crawl`` exits 1 only when the crawl could not start (the spider
raised while being built, a component failed to load) and 0 however the crawl
then ended, even Ctrl-C. This one, enabled by ``COMMANDS_MODULE`` in
``crawler/settings.py``, also looks at how the crawl ended; the codes are
documented in the README ("Exit codes"):

- 0: the crawl finished, or stopped at a limit it was given (``CLOSESPIDER_ITEMCOUNT``,
  ``CLOSESPIDER_PAGECOUNT``, ``CLOSESPIDER_TIMEOUT``), and the spider got at least
  one page to look at (robots.txt and error answers such as 403 or 503 do not count);
- ``LOCK_EXIT_CODE`` (75): another crawl of the same site into the same database
  holds the run lock (``crawler/extensions/lock.py``); nothing was crawled;
- 1: any other ending: the crawl could not start, was interrupted (``shutdown``:
  Ctrl-C, SIGTERM, a Scrapyd cancel), its start requests raised (``start_error``),
  ``CLOSESPIDER_ERRORCOUNT`` was reached, or not one page came back (the portal is
  down, unreachable or refusing us);
- 2: wrong usage (Scrapy's own).
"""

from __future__ import annotations

import logging

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from ..extensions.lock import LOCK_HELD

logger = logging.getLogger(__name__)

# Finish reasons of a run that did what it was asked: the crawl ran out of pages,
# or reached a limit the caller set on purpose.
OK_REASONS = frozenset({"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"})


def exit_code(stats: dict, lock_exit_code: int = 75, worker: bool = False) -> int:
    """The exit code of a crawl that started, from its final stats. A ``worker`` of a
    distributed crawl (REDIS_URL set) that finished without a page found the shared
    queue already done: that is success (whether the site answered is the run's
    question, not one worker's).

    >>> exit_code({"finish_reason": "finished", "news/pages/list": 3, "news/pages/article": 37})
    0
    >>> exit_code({"finish_reason": "closespider_pagecount", "news/pages/list": 10})
    0
    >>> exit_code({"finish_reason": "lock_held"})
    75
    >>> exit_code({"finish_reason": "shutdown", "news/pages/list": 40})
    1
    >>> exit_code({"finish_reason": "finished"})  # not one response: the site is unreachable
    1
    >>> exit_code({"finish_reason": "finished", "response_received_count": 5})  # robots.txt and 403s only
    1
    >>> exit_code({"finish_reason": "finished"}, worker=True)
    0
    """
    reason = stats.get("finish_reason")
    if reason == LOCK_HELD:
        return lock_exit_code
    if reason not in OK_REASONS or not (pages_handled(stats) or worker):
        return 1
    return 0


def pages_handled(stats: dict) -> int:
    """Pages the spider got to look at: robots.txt and error answers (403, 503 …) do not count."""
    return (sum(v for k, v in stats.items() if k.startswith("news/pages/"))
            + stats.get("incremental/not_modified", 0) + stats.get("news/skipped/non_html", 0))


class Command(ScrapyCrawlCommand):
    def long_desc(self) -> str:
        return ("Run a spider of the current project, by name. Exit code 0 when the crawl finished, "
                "LOCK_EXIT_CODE (75) when another crawl of the same site into the same database is "
                "running, 1 when the crawl failed (see the README, 'Exit codes').")

    def _create_crawler(self, spidercls):
        self._crawler = super()._create_crawler(spidercls)
        return self._crawler

    def run(self, args, opts) -> None:
        self._crawler = None
        super().run(args, opts)
        if self.exitcode or self._crawler is None:  # the crawl did not start: Scrapy already says why
            return
        stats = self._crawler.stats.get_stats()
        settings = self._crawler.settings
        self.exitcode = exit_code(stats, settings.getint("LOCK_EXIT_CODE", 75), worker=bool(settings.get("REDIS_URL")))
        if self.exitcode == 1:
            reason = stats.get("finish_reason")
            why = (f"finish reason {reason}" if reason not in OK_REASONS
                   else "not one page was received (is the site reachable, does it refuse us?)")
            logger.error("Crawl failed: %s; exit code 1", why)
