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
# Outputs of one response processed in parallel (Scrapy: 100). Scrapy starts this many
# tasks for every response, whatever it yields; a page here yields one article or a
# list's links, so 16 is plenty, and the bare crawl spends ~20% less CPU per page.
CONCURRENT_ITEMS = 16
# Bytes of responses Scrapy holds between their download and the end of their processing
# before it starts no more downloads (Scrapy: 5,000,000). Article pages wait there for the
# worker process (PROCESS_WORKERS). On a fast site Scrapy's 5 MB held 300-700 pages, with
# up to 18,000 live coroutines and 11,000 asyncio Tasks in the crawl process, which its
# garbage collector walked: at 100,000 articles 2,377-2,409 collections, 71-79 s. 1.5 MB
# (~200 pages of the benchmark portal, the writer's batch and some): 1,526 collections,
# 36.8 s, full / bare pages/s 0.852 (0.742-0.745 before), peak RSS 235 MB (284-308). At 500 kB
# downloads stopped while a batch was written, and the crawl process was under half busy
# 57 s of the crawl (0.693). bench/README.md, session 11.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_500_000
# How far from the start page, through sections and articles. Pages of one list do
# not count (crawler.middlewares.PaginationDepthMiddleware); NEWS_PAGINATION_LIMIT
# bounds those.
DEPTH_LIMIT = 12
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "crawler.middlewares.PaginationDepthMiddleware": 900,
    "crawler.traps.TrapMiddleware": 950,  # see "Hostile web" below
}
# Pages bigger than this are refused (a news article is well under 2 MB).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_TIMES = 2
USER_AGENT = "cn-news-crawler/0.1 (+https://example.invalid/cn-news-crawler; polite research crawler)"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False

# --- Crawl state on disk (crawler/dupefilter.py) ------------------------------------
# Request fingerprints in a SQLite file, not in a set in RAM (a distributed crawl keeps
# Redis's: crawler/distributed/). Without JOBDIR a temporary file, deleted at the end;
# with JOBDIR, JOBDIR/requests.seen.sqlite, kept for the resumed job.
DUPEFILTER_CLASS = "crawler.dupefilter.DiskDupeFilter"
# Fingerprints last seen kept in memory in front of the SQLite table (the links every page repeats).
DUPEFILTER_CACHE_SIZE = 10000
# New fingerprints per SQLite commit.
DUPEFILTER_BATCH_SIZE = 1000
# Folder of the per-run temporary fingerprint file; empty: the system's temporary folder.
DUPEFILTER_TEMP_DIR = ""

# --- Worker processes (crawler/offload.py) -----------------------------------------
# Processes that extract and repair articles while Scrapy's one thread goes on
# fetching (a fast site is otherwise limited by that thread). 0: in the crawl process.
# One per spare CPU core at most; each takes ~60-90 MB. The first also writes the
# database (SQLITE_WRITER_PROCESS).
PROCESS_WORKERS = 1
# Seconds a worker process may hold tasks without answering any before it is taken to
# be stuck (a hostile page in endless regex backtracking) and killed: the task that hung
# it fails after a second try, the crawl goes on (crawler/offload.py). 0: no limit.
WORKER_TASK_TIMEOUT = 300.0

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
    "crawler.extensions.gctuning.GcTuning": 50,
    "crawler.extensions.lock.RunLock": 100,
    "crawler.extensions.runs.CrawlRunRecorder": 500,
    "crawler.extensions.failures.FailureRecorder": 600,  # see "Hostile web" below
    "crawler.extensions.crawldelay.CrawlDelay": 700,
}
# Record each crawl (arguments, start, end, finish reason, all stats) in the
# crawl_runs table of SQLITE_PATH.
CRAWL_RUNS_ENABLED = True
# Run Python's cyclic garbage collector less often in the crawl process while the
# engine runs (crawler/extensions/gctuning.py): its full collections walked every
# live object every few seconds, 17–19% of the crawl process's CPU.
GC_TUNING_ENABLED = True
# gc.set_threshold() values meanwhile (Python's: 700, 10, 10); on the command line
# -s GC_TUNING_THRESHOLDS=10000,10,10.
GC_TUNING_THRESHOLDS = (10000, 10, 10)

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

# --- Hostile web: failures, refusals, limits and traps (README "Hostile web") -----
# The project's checks around Scrapy's downloader (crawler/downloadermiddlewares/):
# private addresses refused before any connection (after the offsite filter, before
# robots.txt is fetched for a new host); a 429/503 retry waits for Retry-After (runs
# before RetryMiddleware, 550); gzip/deflate bodies checked before Scrapy inflates them
# (590); redirects checked before they are followed (in place of Scrapy's, same place).
DOWNLOADER_MIDDLEWARES = {
    "crawler.downloadermiddlewares.addressfilter.AddressFilterMiddleware": 60,
    "crawler.downloadermiddlewares.retryafter.RetryAfterMiddleware": 560,
    "crawler.downloadermiddlewares.compression.CompressionCheckMiddleware": 595,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.downloadermiddlewares.redirect.SafeRedirectMiddleware": 600,
}
# Redirects followed from one link at most (Scrapy's default: 20). Portals need 1–3
# (http → https → www → new CMS path); a longer chain is a loop with a counter in it.
REDIRECT_MAX_TIMES = 10
# Refuse requests to private, loopback and link-local addresses (a public portal's
# redirect to http://10.0.0.1/, a name of its own resolving to 127.0.0.1), unless the
# crawl starts on one or its profile says allow_private_addresses = true.
ADDRESS_FILTER_ENABLED = True
# Wait for a 429/503 answer's Retry-After before its retry …
RETRY_AFTER_ENABLED = True
# … unless it asks for more than this many seconds: then give the URL up for this run
# (failure retry_after_too_long) instead of holding the crawl.
RETRY_AFTER_MAX_DELAY = 30.0
# Retry gzip/deflate bodies cut short (Scrapy would keep the half it could inflate) and
# refuse those that inflate past DOWNLOAD_MAXSIZE (gzip bombs) before inflating them.
COMPRESSION_CHECK_ENABLED = True
# Honour robots.txt Crawl-delay (Scrapy ignores it): the host's download slot waits at
# least that long between requests, without jitter …
CRAWL_DELAY_ENABLED = True
# … up to this many seconds (a file asking for an hour would never let a crawl finish).
CRAWL_DELAY_MAX = 10.0
# Record every request given up on (URL, reason, attempts, last status) in the failures
# table of SQLITE_PATH, and count failures/<reason> (crawler/extensions/failures.py).
FAILURES_ENABLED = True
# Failure rows per write transaction …
FAILURES_BATCH_SIZE = 100
# … or fewer, once the oldest waiting row is this many seconds old.
FAILURES_FLUSH_SECONDS = 5.0
# Drop links into spider traps (crawler/traps.py), counted as traps/<rule>.
TRAP_ENABLED = True
# Ever-deeper paths: at most this many path segments (news URLs have 2–6).
TRAP_MAX_PATH_SEGMENTS = 16
# Broken relative links (/deep/more/more/more/): one segment at most this many times in a path.
TRAP_MAX_SEGMENT_REPEATS = 2
# A list linking to itself with new query strings: distinct queries (pagination
# parameters aside) followed per path from pages of that path.
TRAP_MAX_QUERY_VARIANTS = 50
# Endless calendars: distinct dates followed per URL shape from dated pages (a year of
# daily pages: an e-paper's archive reached edition by edition stops after a year).
TRAP_MAX_CALENDAR_DATES = 366

# --- SQLite writer (pipelines/sqlite.py) ---------------------------------------
# Write items into this database file (created with its folders if missing).
SQLITE_PATH = "output/news.db"
# Items per write transaction: one COMMIT per batch, not per item.
SQLITE_BATCH_SIZE = 200
# Also flush a partial batch when it is this many seconds old, so a slow crawl
# still lands its items on disk.
SQLITE_FLUSH_SECONDS = 5.0
# Write from the first worker process (PROCESS_WORKERS): fingerprints, index tokens and
# SQL off Scrapy's thread, the next batch filling while one is written. False, or
# PROCESS_WORKERS = 0: on Scrapy's thread.
SQLITE_WRITER_PROCESS = True

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
# Buckets a stored article must share with a new one to be compared with it, at least:
# 2 skips the templated pages that share one band (at 0.8 and 16 bands, 99.7% of pairs of
# similarity 0.8 share 2 or more); 1 compares every band collision. Raised to the fewest a
# match shares when that is more (4 at 0.8 with 16 bands of 4: 12 unequal values of 64
# break at most 12 bands; crawler.dedup.shared_bands_of_a_match), which loses nothing;
# a value above that can lose matches.
DEDUP_MIN_BANDS = 2

# --- Scheduled runs: run lock and exit codes (crawler/extensions/lock.py) --------
# Our `crawl` command (crawler/commands/crawl.py) replaces Scrapy's: same options,
# but a failed crawl exits non-zero, so cron, systemd and Scrapyd see it.
COMMANDS_MODULE = "crawler.commands"
# Take a lock beside SQLITE_PATH for the crawled site when the spider opens, so a
# scheduled run that finds the previous one of the same site still going exits at once.
LOCK_ENABLED = True
# Exit code of a run stopped by the lock: 75 is EX_TEMPFAIL (sysexits.h), "try again later".
LOCK_EXIT_CODE = 75

# --- Distributed crawling (crawler/distributed/, scrapy-redis; README "Distributed crawling") ---
# Empty: a crawl is one process writing its own database. Set (redis://host:6379/0):
# `scrapy crawl news` is a worker sharing scrapy-redis's request queue and dupefilter
# with every other worker of the same crawl and pushing its items to Redis, and
# `scrapy drain` is the one writer of those items into SQLITE_PATH.
REDIS_URL = ""
# Prefix of a crawl's keys (:requests, :dupefilter, :workers, :inflight:<worker>);
# %(site)s is the crawl's allowed domains, so crawls of other sites never mix.
DISTRIBUTED_CRAWL_KEY = "cn_news:%(spider)s:%(site)s"
# A worker (and the writer) closes once there has been nothing to do, nothing queued
# and nothing in flight at any worker, for this many seconds; 0: never.
DISTRIBUTED_IDLE_CLOSE_SECONDS = 30.0
# A worker or writer that has not renewed its lease for this long is taken for dead:
# the requests it had taken are queued again, its writer lease is free.
DISTRIBUTED_LEASE_SECONDS = 30.0
# The bound on the dupefilter: a run's fingerprints (and queue) are deleted when its
# last worker leaves with nothing queued, and expire this many seconds after the last
# worker heartbeat of an abandoned run.
DISTRIBUTED_RUN_TTL = 86400.0
# The list workers push items to and `scrapy drain` reads (scrapy-redis's setting):
# one item queue per database.
REDIS_ITEMS_KEY = "cn_news:items"
