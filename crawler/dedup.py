"""Content fingerprints and near-duplicate search, kept in the crawl database.

A Traditional mirror copy with pinyin, a republished copy in another section and
the original are one article. After repair, each article's body is reduced to its
*normalised text*: OpenCC t2s, then only letters, digits and hanzi (no spaces, no
punctuation). Two fingerprints are taken from it:

- ``content_hash``: SHA-1 of the normalised text. Equal hashes: the same article
  (rule ``exact_fingerprint``, score 1.0).
- a MinHash signature of its 4-character shingles, for small edits and appended
  notes: articles whose estimated Jaccard similarity reaches ``DEDUP_NEAR_THRESHOLD``
  are the same article (rule ``near_duplicate``, the score is the estimate).
  Computed with numpy for the whole text at once (shingle hashes from the code
  points, one multiply-shift hash per permutation): datasketch's ``MinHash`` hashed
  each shingle with SHA-1 in a Python loop, which was two thirds of the writer's time.

Candidates are found by locality-sensitive hashing whose buckets live in SQLite
(``DEDUP_BANDS`` bands of the signature), not in RAM, so the index survives the
process and does not grow the crawler's memory. A bucket is one integer (band and
hash) and its members are fingerprint ids, not URLs: the tables are ``WITHOUT ROWID``
B-trees of (bucket, id) pairs, about 12 bytes each.

Every article adds ``DEDUP_BANDS`` entries at random places of the B-tree, so one
batch of 200 articles dirtied thousands of its pages, all written to the WAL at the
commit: at 100,000 articles, ~50 KiB of page writes per article and most of the
writer's time. New entries therefore go to a small table first, ``lsh_recent``,
whose few pages stay in SQLite's cache; once it holds :data:`MERGE_AT` entries they
are moved into the large ``lsh_buckets`` in one statement, in key order, which
writes each of its pages at most once (:meth:`DedupIndex.merge_if_due`, run by the
writer at the end of a batch, in its transaction). A lookup reads both tables.

Templated pages (the same notice in every district) fill a few buckets with hundreds or
thousands of members, and reading them was most of a lookup's time. A lookup skips the
members of its largest buckets in ``lsh_buckets``, up to one fewer than a candidate must
share (:data:`SKIP_LARGEST`), fetches every article that shares enough of the rest
(:meth:`DedupIndex.members`), and keeps those whose signatures have enough whole bands
equal: what it finds is what a full read finds. Which buckets are large is read from
``lsh_sizes``, the member counts of buckets with :data:`LARGE_BUCKET` or more members,
counted at each merge.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache


from .repair import to_simplified

NUM_PERM = 64
SHINGLE = 4
# Entries lsh_recent holds before they are merged into lsh_buckets (4,096 articles in 16
# bands, ~1 MB). A commit writes every page of lsh_recent that the batch touched, and a
# merge every page of lsh_buckets: this size keeps the sum of the two small up to a few
# hundred thousand articles (measured in bench/stage_bench.py --writer-base).
MERGE_AT = 65_536
# The tables of (bucket, fingerprint) pairs: every deletion of an index entry is done in both.
BUCKET_TABLES = ("lsh_buckets", "lsh_recent")
# Buckets of lsh_buckets with this many members or more are counted in lsh_sizes, and a
# lookup may skip reading them. Reading a member costs ~0.45 us, fetching and comparing a
# candidate ~3.5 us: a bucket of 64 is worth skipping when that adds a few candidates.
LARGE_BUCKET = 64
# The largest buckets a lookup skips, at most (and fewer than a candidate must share: see
# DedupIndex.members). On a 100,000-article crawl database (bench/dedup_bench.py, 3,000
# lookups) a lookup read 1,155 members and fetched 1.7 candidates, 0.805 ms; skipping its
# largest bucket, 495 and 3.3, 0.490 ms; two, 274 and 12.9, 0.427 ms; three, 174 and 126.8,
# 0.913 ms.
SKIP_LARGEST = 2
# Bumped when signatures change: stored ones are then computed again (rebuild_if_stale()).
SIGNATURE_VERSION = 5  # 1: datasketch MinHash (SHA-1 per shingle); 2, 3: numpy, below;
# 4: the same signatures, buckets as integers and members as fingerprint ids (tables remade);
# 5: the same, new buckets in lsh_recent first. A version 4 database is taken as it is
# when its lsh_recent is empty; an earlier version rebuilds a version 5 one (it reads
# lsh_buckets alone), and leaves lsh_recent entries this version then rebuilds from.
_NOT_TEXT = re.compile(r"[\W_]+")
# The permutations' constants, derived from their names with BLAKE2 (not a random
# generator, whose stream numpy may change): signatures must be the same in every
# process, run and version of the libraries.
def _constant(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


@lru_cache(maxsize=1)
def _minhash():
    """numpy and the permutations' constants (odd multipliers, offsets, the shingle mix).
    numpy is imported here, on first use, not with the module: the crawl process imports
    this module (its schema, through crawler.storage) and leaves signatures to its worker
    process, and numpy is 11 MB of its memory."""
    import numpy as np

    a = np.array([_constant(f"minhash-a-{i}") | 1 for i in range(NUM_PERM)], dtype=np.uint64)
    b = np.array([_constant(f"minhash-b-{i}") for i in range(NUM_PERM)], dtype=np.uint64)
    return np, a, b, np.uint64(0x9E3779B97F4A7C15)


def normalise(text: str) -> str:
    """Simplified letters, digits and hanzi only.

    >>> normalise("統一戰線，工作（擴大）會議 2016")
    '统一战线工作扩大会议2016'
    """
    return _NOT_TEXT.sub("", to_simplified(text)).lower()


@dataclass(frozen=True)
class Fingerprint:
    content_hash: str
    signature: bytes
    """NUM_PERM uint32 MinHash values, little-endian."""


def _signature(text: str):
    """MinHash of the set of ``SHINGLE``-character shingles of ``text``: NUM_PERM uint32."""
    np, multipliers, offsets, mix = _minhash()
    points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    if len(points) == 0:
        points = np.zeros(1, dtype=np.uint64)
    width = min(SHINGLE, len(points))
    shingles = np.zeros(len(points) - width + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as hashing wants
        for offset in range(width):
            shingles = shingles * np.uint64(0x110000) + points[offset:len(points) - width + 1 + offset]
        # Repeated shingles are left in: a minimum over them is the minimum over the set,
        # and np.unique's sort cost more than hashing the repeats (0.24 -> 0.14 ms a portal article).
        # Hashed _SHINGLES_AT_ONCE at a time, so that a huge text needs no huge matrix.
        shingles = shingles * mix
        least = None
        for start in range(0, len(shingles), _SHINGLES_AT_ONCE):
            hashed = multipliers[:, None] * shingles[None, start:start + _SHINGLES_AT_ONCE]
            hashed += offsets[:, None]  # in place: no second matrix
            hashed = hashed.min(axis=1)
            least = hashed if least is None else np.minimum(least, hashed)
    # A permutation's value is the high 32 bits of its hash: taken of the minimum, which is
    # the minimum of the high bits (the shift keeps order), not of the whole matrix.
    return (least >> np.uint64(32)).astype("<u4")


_SHINGLES_AT_ONCE = 8192  # a NUM_PERM x 8192 uint64 matrix: 4 MiB


def fingerprint(title: str, body: str) -> Fingerprint:
    """The fingerprints of an article (the body; the title too when the body is short)."""
    text = normalise(body)
    if len(text) < 50:
        text = normalise(title) + text
    return Fingerprint(hashlib.sha1(text.encode("utf-8")).hexdigest(), _signature(text).tobytes())


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures."""
    np = _minhash()[0]
    return float(np.mean(np.frombuffer(a, "<u4") == np.frombuffer(b, "<u4")))


def lsh_buckets(signature: bytes, bands: int) -> list[int]:
    """The buckets of a signature in ``bands`` bands (table ``lsh_buckets``): for each
    band, ``band << 56`` plus a 56-bit hash of the band's rows (at most 64 bands: a
    positive 62-bit integer, which SQLite stores in 8 bytes or fewer)."""
    rows = NUM_PERM // bands
    return [band << 56 | int.from_bytes(hashlib.blake2b(signature[band * rows * 4:(band + 1) * rows * 4],
                                                         digest_size=7).digest(), "little")
            for band in range(bands)]


def shared_bands_of_a_match(threshold: float, bands: int) -> int:
    """The fewest buckets two signatures share when :meth:`DedupIndex.find` takes them for
    the same article (their score, the share of equal values, reaches ``threshold``).

    A band's bucket is a hash of its values, so two signatures whose values in a band are
    all equal share that band's bucket. A score of ``threshold`` needs ``agree`` of the
    ``NUM_PERM`` values equal; the other ``NUM_PERM - agree`` values can break at most one
    band each, so at least ``bands - (NUM_PERM - agree)`` bands are whole (4 at 0.8 with 16
    bands of 4: 52 values equal, 12 unequal). Looking only at stored articles that share
    this many buckets loses no match that LSH finds. 0 when a match may share none (wide
    bands, a low threshold: LSH itself misses some); ``bands`` when no score reaches
    ``threshold`` (over 1)."""
    agree = next((a for a in range(NUM_PERM + 1) if a / NUM_PERM >= threshold), None)
    if agree is None:
        return bands
    return max(0, bands - (NUM_PERM - agree))


@dataclass(frozen=True)
class Match:
    article: str
    """canonical_url of the stored article this one duplicates."""
    rule: str
    score: float


# Member counts of the large buckets of lsh_buckets, as of the last merge that touched them
# (removals do not lower them until the next merge that touches them): which buckets a
# lookup skips. Only a matter of speed: a count that is wrong or missing changes what a
# lookup reads, never what it finds.
_SIZES_TABLE = """
CREATE TABLE IF NOT EXISTS lsh_sizes (
    bucket INTEGER PRIMARY KEY,     -- an lsh_buckets bucket with LARGE_BUCKET members or more
    members INTEGER NOT NULL);
"""
# Everything a fingerprint's buckets put in the index: emptied together when the buckets are made again.
INDEX_TABLES = (*BUCKET_TABLES, "lsh_sizes")


def _count_sizes(conn: sqlite3.Connection, buckets: str | None = None) -> None:
    """Count the large buckets of ``lsh_buckets`` into ``lsh_sizes``: every bucket, or those
    the query ``buckets`` gives, whose old counts are deleted first (a bucket that fell
    below :data:`LARGE_BUCKET` then has none). A count already there is replaced."""
    where = ""
    if buckets is not None:
        where = f"WHERE bucket IN ({buckets})"
        conn.execute(f"DELETE FROM lsh_sizes {where}")
    conn.execute("INSERT OR REPLACE INTO lsh_sizes (bucket, members) SELECT bucket, count(*) FROM lsh_buckets"
                 f" {where} GROUP BY bucket HAVING count(*) >= ?", (LARGE_BUCKET,))


SCHEMA = """
CREATE TABLE IF NOT EXISTS fingerprints (
    id INTEGER PRIMARY KEY,
    canonical_url TEXT NOT NULL UNIQUE, content_hash TEXT NOT NULL, signature BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS fingerprints_hash ON fingerprints (content_hash);
-- A lookup reads the members of its buckets from the primary key alone. The index on
-- the members grows at its end (ids are given in order), so it costs little to keep.
CREATE TABLE IF NOT EXISTS lsh_buckets (
    bucket INTEGER NOT NULL,        -- lsh_buckets(): band << 56 | hash of the band
    fingerprint INTEGER NOT NULL,   -- fingerprints.id
    PRIMARY KEY (bucket, fingerprint)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lsh_buckets_fingerprint ON lsh_buckets (fingerprint);
-- The same pairs, for the articles indexed since the last merge into lsh_buckets.
CREATE TABLE IF NOT EXISTS lsh_recent (
    bucket INTEGER NOT NULL,
    fingerprint INTEGER NOT NULL,
    PRIMARY KEY (bucket, fingerprint)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lsh_recent_fingerprint ON lsh_recent (fingerprint);
""" + _SIZES_TABLE + """
CREATE TABLE IF NOT EXISTS dedup_index (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,  -- SIGNATURE_VERSION of the stored signatures
    bands INTEGER              -- DEDUP_BANDS of the stored buckets
);
"""


@contextmanager
def _write_lock(conn: sqlite3.Connection):
    """A transaction of its own, holding the write lock from its first statement; committed
    at the end of the block, rolled back on an error. A caller's open transaction would be
    rolled back with it on an error, so it is refused instead."""
    if conn.in_transaction:
        raise RuntimeError("the dedup index upgrades need a connection without an open transaction: commit first")
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        yield


def upgrade_tables(conn: sqlite3.Connection) -> None:
    """Bring tables an earlier version made to this layout, before :data:`SCHEMA` runs:
    ``fingerprints`` without ids and ``lsh_buckets`` with URLs as members are dropped
    (:data:`SCHEMA` makes them again, and their ``dedup_index`` version is older, so
    :meth:`DedupIndex.rebuild_if_stale` fills them from the stored articles);
    ``dedup_index`` gets its ``bands`` column; ``lsh_sizes`` is made and counted for an
    ``lsh_buckets`` that has none. One transaction: a crash leaves the old tables or none,
    never half of them."""
    def columns(table: str) -> list[str]:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]

    with _write_lock(conn):
        fingerprints, buckets, index = columns("fingerprints"), columns("lsh_buckets"), columns("dedup_index")
        if fingerprints and "id" not in fingerprints:
            conn.execute("DROP TABLE fingerprints")
        if buckets and "fingerprint" not in buckets:
            conn.execute("DROP TABLE lsh_buckets")
        elif buckets and not columns("lsh_sizes"):  # made before lsh_sizes: its large buckets counted
            conn.execute(_SIZES_TABLE)
            _count_sizes(conn)
        if index and "bands" not in index:
            conn.execute("ALTER TABLE dedup_index ADD COLUMN bands INTEGER")


class DedupIndex:
    """Exact and near-duplicate lookups over the ``fingerprints``, ``lsh_buckets`` and
    ``lsh_recent`` tables.

    :meth:`find`, :meth:`add` and :meth:`remove` work on the caller's connection and inside
    the caller's transaction, so an article and its index entries are committed together;
    :meth:`rebuild_if_stale` and :meth:`use_bands` take the write lock in a transaction of
    their own. The tables are made by
    :func:`crawler.storage.ensure_schema` (``SCHEMA``).
    """

    def __init__(self, conn: sqlite3.Connection, threshold: float = 0.8, bands: int = 16, min_bands: int = 2):
        if NUM_PERM % bands:
            raise ValueError(f"DEDUP_BANDS must divide {NUM_PERM}, got {bands}")
        self.conn, self.threshold, self.bands = conn, threshold, bands
        # Candidates must share at least this many buckets: the larger of DEDUP_MIN_BANDS
        # and the fewest a match shares (shared_bands_of_a_match), so the bound loses nothing.
        self.min_bands = min(max(min_bands, shared_bands_of_a_match(threshold, bands), 1), bands)
        self.skip_largest = SKIP_LARGEST  # see members(); changed by bench/dedup_bench.py

    def find(self, print_: Fingerprint, exclude: str, buckets=None) -> Match | None:
        """The stored article ``print_`` duplicates (other than ``exclude``), or None.
        ``buckets``: :func:`lsh_buckets` of its signature in this index's bands, if known."""
        row = self.conn.execute(
            "SELECT canonical_url FROM fingerprints WHERE content_hash = ? AND canonical_url != ? LIMIT 1",
            (print_.content_hash, exclude)).fetchone()
        if row:
            return Match(row[0], "exact_fingerprint", 1.0)
        best: Match | None = None
        members, parameters, needed = self.members(buckets or lsh_buckets(print_.signature, self.bands))
        # One query for all bands (an index search per band), in the order the articles
        # were indexed (the first of equal best scores wins).
        candidates = self.conn.execute(
            "SELECT f.canonical_url, f.signature FROM fingerprints f JOIN ("
            f" SELECT fingerprint FROM ({members}) GROUP BY fingerprint HAVING count(*) >= ?) c"
            " ON f.id = c.fingerprint ORDER BY c.fingerprint", [*parameters, needed]).fetchall()
        candidates = [c for c in candidates if c[0] != exclude and len(c[1]) == NUM_PERM * 4]
        if not candidates:
            return None
        # All candidates compared at once; the first of the best scores wins, as in a loop.
        np = _minhash()[0]
        theirs = np.frombuffer(b"".join(signature for _, signature in candidates), "<u4").reshape(-1, NUM_PERM)
        equal = theirs == np.frombuffer(print_.signature, "<u4")
        agree = np.count_nonzero(equal, axis=1)
        if needed < self.min_bands:
            # Buckets were skipped: the articles fetched include some that share fewer than
            # min_bands buckets. Those a full read would not have compared are left out (a
            # band's bucket is shared when its values are all equal), so that a min_bands
            # above the fewest a match shares decides as it does without skipping.
            whole = np.count_nonzero(equal.reshape(len(candidates), self.bands, -1).all(axis=2), axis=1)
            agree = np.where(whole >= self.min_bands, agree, -1)
        first_best = int(np.argmax(agree))
        score = float(agree[first_best]) / NUM_PERM
        if score >= self.threshold:
            best = Match(candidates[first_best][0], "near_duplicate", round(score, 3))
        return best

    def members(self, keys: list[int]) -> tuple[str, list, int]:
        """What a lookup of the buckets ``keys`` reads: a query of one row per bucket member
        (its fingerprint id), its parameters, and in how many of those rows a stored
        article must be to be compared (a candidate).

        A stored article is compared when it shares ``min_bands`` buckets or more:
        templated pages (the same notice in every district) share a band or two with
        hundreds of articles at a similarity near 0.5, and fetching their signatures was
        most of the lookup's time; one that shares fewer than shared_bands_of_a_match()
        cannot reach the threshold.

        The members of the largest of ``keys`` in ``lsh_buckets`` (by ``lsh_sizes``) are
        not read: ``skip_largest`` buckets (:data:`SKIP_LARGEST`) at most, and fewer than
        ``min_bands``. Each skipped bucket lowers the rows a candidate needs by one. A
        stored article that shares ``min_bands`` buckets loses at most one row per
        skipped bucket, so it is still fetched: the lookup fetches more articles, never
        fewer, and :meth:`find` compares only those with ``min_bands`` whole bands equal,
        so it finds what a full read finds. ``lsh_recent`` is read for every bucket; a pair
        is in one table only.
        """
        skipped: set[int] = set()
        skippable = min(self.skip_largest, self.min_bands - 1, len(keys) - 1)
        if skippable > 0:
            marks = ", ".join("?" * len(keys))
            skipped = {bucket for bucket, in self.conn.execute(
                f"SELECT bucket FROM lsh_sizes WHERE bucket IN ({marks}) ORDER BY members DESC, bucket LIMIT ?",
                [*keys, skippable])}
        read = [key for key in keys if key not in skipped]
        query = (f"SELECT fingerprint FROM lsh_buckets WHERE bucket IN ({', '.join('?' * len(read))})"
                 f" UNION ALL SELECT fingerprint FROM lsh_recent WHERE bucket IN ({', '.join('?' * len(keys))})")
        return query, [*read, *keys], self.min_bands - len(skipped)

    def add(self, canonical_url: str, print_: Fingerprint, new: bool = False, buckets=None) -> None:
        """Index ``canonical_url``'s fingerprint (``new``: it has none yet, skip the delete;
        ``buckets`` as in :meth:`find`)."""
        if not new:
            self.remove(canonical_url)
        values = (canonical_url, print_.content_hash, print_.signature)
        insert = "INSERT OR IGNORE INTO fingerprints (canonical_url, content_hash, signature) VALUES (?, ?, ?)"
        cursor = self.conn.execute(insert, values)
        if cursor.rowcount == 0:  # a fingerprint left by an article deleted by hand holds the URL
            self.remove(canonical_url)
            cursor = self.conn.execute(insert, values)
        member = cursor.lastrowid
        self.conn.executemany("INSERT INTO lsh_recent VALUES (?, ?)",
                              [(bucket, member) for bucket in buckets or lsh_buckets(print_.signature, self.bands)])

    def merge_if_due(self) -> bool:
        """Move the entries of ``lsh_recent`` into ``lsh_buckets`` if it holds
        :data:`MERGE_AT` or more (in the caller's transaction); returns whether it did."""
        if self.conn.execute("SELECT count(*) FROM lsh_recent").fetchone()[0] < MERGE_AT:
            return False
        self.merge()
        return True

    def merge(self) -> None:
        """Move every entry of ``lsh_recent`` into ``lsh_buckets``, in key order, and count
        again the buckets it added to (``lsh_sizes``: those that are large)."""
        # OR IGNORE: a pair already there is the same fact (nothing puts one in both tables).
        self.conn.execute("INSERT OR IGNORE INTO lsh_buckets SELECT bucket, fingerprint FROM lsh_recent"
                          " ORDER BY bucket, fingerprint")
        _count_sizes(self.conn, "SELECT bucket FROM lsh_recent")
        self.conn.execute("DELETE FROM lsh_recent")

    def rebuild_if_stale(self, texts) -> int:
        """Compute the fingerprint of every stored article again when the stored ones
        were made by another SIGNATURE_VERSION (or none is recorded); ``texts()`` gives
        (url, title, body) of every stored article. Returns how many were computed.
        Takes the write lock first (two processes opening an old database: one rebuilds)."""
        with _write_lock(self.conn):
            row = self.conn.execute("SELECT version FROM dedup_index WHERE id = 1").fetchone()
            if row is not None and row[0] == SIGNATURE_VERSION:
                return 0
            if (row is not None and row[0] == 4
                    and self.conn.execute("SELECT 1 FROM lsh_recent LIMIT 1").fetchone() is None):
                # Version 4: the same fingerprints and buckets, all in lsh_buckets. With
                # entries in lsh_recent, an earlier version wrote after this one: rebuilt.
                self.conn.execute("UPDATE dedup_index SET version = ? WHERE id = 1", (SIGNATURE_VERSION,))
                return 0
            for table in (*INDEX_TABLES, "fingerprints"):
                self.conn.execute(f"DELETE FROM {table}")
            count = 0
            for url, title, body in texts():
                self.add(url, fingerprint(title or "", body or ""), new=True)
                count += 1
                if count % 1000 == 0:
                    self.merge_if_due()
            self.merge()
            self.conn.execute("INSERT OR REPLACE INTO dedup_index (id, version, bands) VALUES (1, ?, ?)",
                              (SIGNATURE_VERSION, self.bands))
        return count

    def use_bands(self) -> int:
        """Make the stored buckets this index's ``bands`` (``DEDUP_BANDS``), computing them
        again from the stored signatures when they were made with another number (a
        database rebuilt at open, or a changed setting); returns how many articles were
        done. Buckets of two band counts side by side would never match each other."""
        with _write_lock(self.conn):
            row = self.conn.execute("SELECT bands FROM dedup_index WHERE id = 1").fetchone()
            if row is not None and row[0] == self.bands:
                return 0
            for table in INDEX_TABLES:
                self.conn.execute(f"DELETE FROM {table}")
            count = 0
            last = -1 << 63
            while rows := self.conn.execute("SELECT id, signature FROM fingerprints WHERE id > ? ORDER BY id"
                                            " LIMIT 1000", (last,)).fetchall():
                last = rows[-1][0]
                self.conn.executemany("INSERT INTO lsh_buckets VALUES (?, ?)",
                                      [(bucket, member) for member, signature in rows
                                       for bucket in lsh_buckets(signature, self.bands)])
                count += len(rows)
            _count_sizes(self.conn)
            # No row (tables made without ensure_schema): version 0, so the next open rebuilds.
            self.conn.execute("INSERT INTO dedup_index (id, version, bands) VALUES (1, 0, ?)"
                              " ON CONFLICT (id) DO UPDATE SET bands = excluded.bands", (self.bands,))
        return count

    def remove(self, canonical_url: str) -> None:
        for table in BUCKET_TABLES:
            self.conn.execute(f"DELETE FROM {table} WHERE fingerprint IN"
                              " (SELECT id FROM fingerprints WHERE canonical_url = ?)", (canonical_url,))
        self.conn.execute("DELETE FROM fingerprints WHERE canonical_url = ?", (canonical_url,))
