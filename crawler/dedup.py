"""Content fingerprints and near-duplicate search, kept in the crawl database.

A Traditional mirror copy with pinyin, a republished copy in another section and
the original are one article. After repair, each article's body is reduced to its
*normalised text*: OpenCC t2s, then only letters, digits and hanzi (no spaces, no
punctuation). Two fingerprints are taken from it:

- ``content_hash``: SHA-1 of the normalised text. Equal hashes: the same article
  (rule ``exact_fingerprint``, score 1.0).
- a MinHash signature (datasketch) of its 4-character shingles, for small edits
  and appended notes: articles whose estimated Jaccard similarity reaches
  ``DEDUP_NEAR_THRESHOLD`` are the same article (rule ``near_duplicate``, the score
  is the estimate).

Candidates are found by locality-sensitive hashing whose buckets live in SQLite
(table ``lsh_buckets``, ``DEDUP_BANDS`` bands of the signature), not in RAM, so the
index survives the process and does not grow the crawler's memory.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from .repair import to_simplified

NUM_PERM = 64
SHINGLE = 4
_NOT_TEXT = re.compile(r"[\W_]+")


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


def fingerprint(title: str, body: str) -> Fingerprint:
    """The fingerprints of an article (the body; the title too when the body is short)."""
    text = normalise(body)
    if len(text) < 50:
        text = normalise(title) + text
    minhash = MinHash(num_perm=NUM_PERM)
    shingles = {text[i:i + SHINGLE] for i in range(max(len(text) - SHINGLE + 1, 1))}
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    return Fingerprint(
        hashlib.sha1(text.encode("utf-8")).hexdigest(),
        minhash.hashvalues.astype("<u4").tobytes(),
    )


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(np.frombuffer(a, "<u4") == np.frombuffer(b, "<u4")))


def _buckets(signature: bytes, bands: int) -> list[tuple[int, int]]:
    rows = NUM_PERM // bands
    return [(band, int.from_bytes(hashlib.blake2b(signature[band * rows * 4:(band + 1) * rows * 4],
                                                   digest_size=7).digest(), "little"))
            for band in range(bands)]


@dataclass(frozen=True)
class Match:
    article: str
    """canonical_url of the stored article this one duplicates."""
    rule: str
    score: float


SCHEMA = """
CREATE TABLE IF NOT EXISTS fingerprints (
    canonical_url TEXT PRIMARY KEY, content_hash TEXT NOT NULL, signature BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS fingerprints_hash ON fingerprints (content_hash);
CREATE TABLE IF NOT EXISTS lsh_buckets (band INTEGER NOT NULL, bucket INTEGER NOT NULL, canonical_url TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS lsh_buckets_key ON lsh_buckets (band, bucket);
CREATE INDEX IF NOT EXISTS lsh_buckets_url ON lsh_buckets (canonical_url);
"""


class DedupIndex:
    """Exact and near-duplicate lookups over the ``fingerprints`` and ``lsh_buckets`` tables.

    Works on the caller's connection and inside the caller's transaction, so an
    article and its index entries are committed together. The tables are made by
    :func:`crawler.storage.open_database` (``SCHEMA``).
    """

    def __init__(self, conn: sqlite3.Connection, threshold: float = 0.8, bands: int = 16):
        if NUM_PERM % bands:
            raise ValueError(f"DEDUP_BANDS must divide {NUM_PERM}, got {bands}")
        self.conn, self.threshold, self.bands = conn, threshold, bands

    def find(self, print_: Fingerprint, exclude: str) -> Match | None:
        row = self.conn.execute(
            "SELECT canonical_url FROM fingerprints WHERE content_hash = ? AND canonical_url != ? LIMIT 1",
            (print_.content_hash, exclude)).fetchone()
        if row:
            return Match(row[0], "exact_fingerprint", 1.0)
        best: Match | None = None
        seen: set[str] = set()
        for band, bucket in _buckets(print_.signature, self.bands):
            for url, signature in self.conn.execute(
                    "SELECT f.canonical_url, f.signature FROM lsh_buckets b"
                    " JOIN fingerprints f ON f.canonical_url = b.canonical_url"
                    " WHERE b.band = ? AND b.bucket = ?", (band, bucket)):
                if url == exclude or url in seen:
                    continue
                seen.add(url)
                score = similarity(print_.signature, signature)
                if score >= self.threshold and (best is None or score > best.score):
                    best = Match(url, "near_duplicate", round(score, 3))
        return best

    def add(self, canonical_url: str, print_: Fingerprint) -> None:
        self.remove(canonical_url)
        self.conn.execute("INSERT INTO fingerprints VALUES (?, ?, ?)",
                          (canonical_url, print_.content_hash, print_.signature))
        self.conn.executemany("INSERT INTO lsh_buckets VALUES (?, ?, ?)",
                              [(band, bucket, canonical_url) for band, bucket in _buckets(print_.signature, self.bands)])

    def remove(self, canonical_url: str) -> None:
        self.conn.execute("DELETE FROM fingerprints WHERE canonical_url = ?", (canonical_url,))
        self.conn.execute("DELETE FROM lsh_buckets WHERE canonical_url = ?", (canonical_url,))
