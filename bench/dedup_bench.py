"""Near-duplicate lookups alone, on a crawl database, by the buckets a candidate must share.

``DedupIndex.find`` is what grows in the writer from 10,000 to 100,000 articles: the
sample portal's templated notices share bands with hundreds of siblings, so a lookup
reads many bucket members and fetches the signatures of the stored articles that share
``min_bands`` buckets or more. This looks up, read-only, ``--lookups`` stored fingerprints
of a crawl database (every ``n``-th by id; such as the 100,000-article one
``crawl_bench.py --keep DIR`` leaves in DIR), each with 0 to 16 of its 64 values changed
(the ``i``-th lookup ``i % 17``, at random places) and another content hash, so that the
stored article itself is a candidate at every score and a match when 12 or fewer changed.
It runs for each ``--min-bands`` given (taken as given, below the bound ``DedupIndex``
keeps too) with each ``--skip`` (the largest buckets a lookup may leave unread,
``DedupIndex.skip_largest``), the variants in turns, round after round, and reports the
fastest round of each (the machine's speed drifts). Per lookup: ms, bucket members read,
candidates fetched, matches, and whether every variant found the same articles (rule and
score) as the first one given.

    .venv/bin/python bench/dedup_bench.py output/crawl-bench/s13a/scale311-full.db
    .venv/bin/python bench/dedup_bench.py DB --lookups 5000 --min-bands 2,4,5 --skip 0,1,2,3 --rounds 5
"""

from __future__ import annotations

import argparse
import random
import sqlite3
from array import array
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler import settings as project  # noqa: E402
from crawler.dedup import (NUM_PERM, SKIP_LARGEST, DedupIndex, Fingerprint, lsh_buckets,  # noqa: E402
                           shared_bands_of_a_match)


def sample(conn: sqlite3.Connection, lookups: int) -> list[tuple[str, Fingerprint]]:
    """(URL to exclude, fingerprint) of each lookup: stored signatures, ``i % 17`` values changed."""
    total = conn.execute("SELECT count(*) FROM fingerprints").fetchone()[0]
    step = max(1, total // lookups)
    rows = conn.execute("SELECT signature FROM fingerprints WHERE id % ? = 0 ORDER BY id LIMIT ?",
                        (step, lookups)).fetchall()
    rng = random.Random(0)
    prints = []
    for i, (signature,) in enumerate(rows):
        values = array("I", signature)
        for position in rng.sample(range(NUM_PERM), i % 17):
            values[position] ^= 1 + rng.getrandbits(31)
        prints.append(("http://bench.invalid/", Fingerprint(f"bench-{i}", values.tobytes())))
    return prints


def shape(index: DedupIndex, prints) -> tuple[float, float]:
    """Mean bucket members read and candidates fetched per lookup by ``index``
    (:meth:`DedupIndex.members`: the same reads as its lookups)."""
    members = candidates = 0
    for _, print_ in prints:
        query, parameters, needed = index.members(lsh_buckets(print_.signature, index.bands))
        counts = index.conn.execute(f"SELECT count(*) FROM ({query}) GROUP BY fingerprint", parameters).fetchall()
        members += sum(c for c, in counts)
        candidates += sum(1 for c, in counts if c >= needed)
    return members / len(prints), candidates / len(prints)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path, help="a crawl database (opened read-only)")
    parser.add_argument("--lookups", type=int, default=3000, help="fingerprints looked up (default 3000)")
    parser.add_argument("--min-bands", default="2,0",
                        help="buckets a candidate must share, comma-separated, taken as given (below the bound"
                             " DedupIndex keeps too); 0 or 'auto': the bound alone, as DedupIndex makes it from"
                             " DEDUP_MIN_BANDS=0 (default 2,0: lookups as they were before the bound, and with it)")
    parser.add_argument("--skip", default=f"0,{SKIP_LARGEST}",
                        help="largest buckets a lookup skips reading, at most (DedupIndex.skip_largest),"
                             f" comma-separated; every --min-bands value runs with each (default 0,{SKIP_LARGEST}:"
                             " lookups as they were before lsh_sizes, and as they are)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all variants (default 3)")
    args = parser.parse_args(argv)
    if not args.database.is_file():
        parser.error(f"{args.database} is not a file: give a crawl database, e.g. one crawl_bench.py --keep left")
    conn = sqlite3.connect(f"file:{args.database}?mode=ro", uri=True)
    threshold, bands = project.DEDUP_NEAR_THRESHOLD, project.DEDUP_BANDS
    stored_bands = conn.execute("SELECT bands FROM dedup_index WHERE id = 1").fetchone()
    if stored_bands is None or stored_bands[0] != bands:
        parser.error(f"{args.database} has buckets in {stored_bands and stored_bands[0]} bands, not DEDUP_BANDS={bands}")
    variants = [(0 if v.strip() == "auto" else int(v), int(k)) for v in args.min_bands.split(",")
                for k in args.skip.split(",")]
    prints = sample(conn, args.lookups)
    articles = conn.execute("SELECT count(*) FROM fingerprints").fetchone()[0]
    print(f"{len(prints):,} lookups on {articles:,} stored fingerprints ({args.database}); threshold {threshold},"
          f" {bands} bands: a match shares {shared_bands_of_a_match(threshold, bands)} or more")
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'lsh_sizes'").fetchone():
        parser.error(f"{args.database} has no lsh_sizes table (made before it): open it once with this version,"
                     f" .venv/bin/python -c 'from crawler.storage import connect; connect(\"{args.database}\")'")
    indexes = [DedupIndex(conn, threshold, bands, v) for v, _ in variants]
    for index, (value, skip) in zip(indexes, variants):
        if value:  # as given, below the bound too (2: lookups before the bound): what the bound saves
            index.min_bands = value
        index.skip_largest = skip
    results: dict[int, list] = {}
    best = [float("inf")] * len(variants)
    for round_ in range(args.rounds + 1):  # round 0 warms the OS and SQLite caches, untimed
        for n, index in enumerate(indexes):
            started = time.perf_counter()
            found = [index.find(print_, exclude=url) for url, print_ in prints]
            seconds = time.perf_counter() - started
            if round_:
                best[n] = min(best[n], seconds)
            results[n] = [(m.article, m.rule, m.score) if m else None for m in found]
    print(f"{'given':>6} {'in effect':>9} {'skip':>4} {'ms/lookup':>10} {'members':>8} {'candidates':>10}"
          f" {'matches':>8}  same")
    for n, ((value, skip), index) in enumerate(zip(variants, indexes)):
        members, candidates = shape(index, prints)
        matches = sum(1 for r in results[n] if r)
        same = "yes" if results[n] == results[0] else "NO"
        print(f"{value:>6} {index.min_bands:>9} {skip:>4} {1000 * best[n] / len(prints):>10.3f} {members:>8.0f}"
              f" {candidates:>10.1f} {matches:>8}  {same}")
    return 0 if all(results[n] == results[0] for n in results) else 1


if __name__ == "__main__":
    sys.exit(main())
