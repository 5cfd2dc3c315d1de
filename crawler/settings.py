"""Scrapy settings for the news crawler: Scrapy's own, then the project's.

Every setting the project adds is here with a comment, and in the README's
settings table with its default. Override any of them per run with
``scrapy crawl news -s NAME=VALUE``.
"""

BOT_NAME = "cn_news"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Scrapy: polite defaults for real portals -------------------------------
# Government and newspaper portals are small servers; these keep one crawl from
# looking like an attack. `python -m crawler demo` lifts them for the local portal.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
# How far from the start page, through sections and articles. Pages of one list do
# not count (crawler.middlewares.PaginationDepthMiddleware); NEWS_PAGINATION_LIMIT
# bounds those.
DEPTH_LIMIT = 12
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawler.middlewares.PaginationDepthMiddleware": 900,
}
# Pages bigger than this are refused (a news article is well under 2 MB).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_TIMES = 2
USER_AGENT = "cn-news-crawler/0.1 (+https://example.invalid/cn-news-crawler; polite research crawler)"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False

# --- Item pipelines, in order (see pipelines/__init__.py) --------------------
ITEM_PIPELINES = {
    "pipelines.repair.RepairPipeline": 100,
    "pipelines.sqlite.SQLiteWriterPipeline": 900,
}

# --- Repair pipeline (pipelines/repair.py, crawler/repair/) ---------------------
# Repair mojibake, mirror-site pinyin and punctuation damage in every article.
REPAIR_ENABLED = True
# Also store OpenCC t2s forms of title and body (title_simplified, body_simplified)
# where they differ, so Traditional copies can be searched as Simplified.
REPAIR_SIMPLIFIED = True

# --- Extensions ------------------------------------------------------------------
EXTENSIONS = {
    "crawler.extensions.lock.RunLock": 100,
    "crawler.extensions.runs.CrawlRunRecorder": 500,
}
# Record each crawl (arguments, start, end, finish reason, all stats) in the
# crawl_runs table of SQLITE_PATH.
CRAWL_RUNS_ENABLED = True

# --- News spider ---------------------------------------------------------------
# Follow links from article pages too, not only their breadcrumb trail. Off: list
# pages reach every article, and article pages are full of related-article links
# into other sites' archives.
NEWS_FOLLOW_ARTICLE_LINKS = False
# Incremental crawls: an article already stored is not requested again until it
# was last seen this many hours ago (-a full=1 fetches everything).
NEWS_RECRAWL_AGE_HOURS = 168.0
# Stop following a list's pagination when every article it links to is known.
NEWS_STOP_PAGINATION_ON_KNOWN = True
# Follow at most this many pagination hops from a list's first page (a guard
# against lists that link to ever-new pages of themselves).
NEWS_PAGINATION_LIMIT = 1000

# --- SQLite writer (pipelines/sqlite.py) ---------------------------------------
# Write items into this database file (created with its folders if missing).
SQLITE_PATH = "output/news.db"
# Items per write transaction: one COMMIT per batch, not per item.
SQLITE_BATCH_SIZE = 200
# Also flush a partial batch when it is this many seconds old, so a slow crawl
# still lands its items on disk.
SQLITE_FLUSH_SECONDS = 5.0

# --- Deduplication (crawler/dedup.py, done by the SQLite writer) -----------------
# Merge copies of one article (mirror, republication, small edits) into one row;
# every URL stays recorded in article_urls with the rule and score that merged it.
DEDUP_ENABLED = True
# Estimated Jaccard similarity (MinHash of 4-character shingles of the normalised
# body) from which two articles are one.
DEDUP_NEAR_THRESHOLD = 0.8
# LSH bands over the 64-value signature (must divide 64): more bands find pairs
# of lower similarity as candidates, at more lookups.
DEDUP_BANDS = 16

# --- Scheduled runs: run lock and exit codes (crawler/extensions/lock.py) --------
# Our `crawl` command (crawler/commands/crawl.py) replaces Scrapy's: same options,
# but a failed crawl exits non-zero, so cron, systemd and Scrapyd see it.
COMMANDS_MODULE = "crawler.commands"
# Take a lock beside SQLITE_PATH for the crawled site when the spider opens, so a
# scheduled run that finds the previous one of the same site still going exits at once.
LOCK_ENABLED = True
# Exit code of a run stopped by the lock: 75 is EX_TEMPFAIL (sysexits.h), "try again later".
LOCK_EXIT_CODE = 75
