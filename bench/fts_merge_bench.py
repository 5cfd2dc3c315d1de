"""FTS5 alone: the cost of keeping the full-text index as the writer does, by ``automerge``.

The writer inserts each batch of articles into ``articles_fts`` in one statement and
commits; FTS5 adds a segment per commit and merges segments of one size once there are
``automerge`` of them (crawler.search.AUTOMERGE). This inserts the index tokens
(crawler.search.index_tokens) of the sample portal's articles, cycled to ``--rows`` rows,
in batches of ``--batch`` into a bare table like ``articles_fts`` for each ``automerge`` given,
and reports the time per row (overall, and in windows of at least 10,000 rows), the
slowest commit, the file size, and the mean time of one query over five terms at the end.
No triggers, no ``articles_chars``: the share of ``articles_fts`` in the writer's time.

    .venv/bin/python bench/fts_merge_bench.py                      # 100,000 rows, automerge 4 8 16 (~2 min)
    .venv/bin/python bench/fts_merge_bench.py --rows 20000 --automerge 4 8
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler import search  # noqa: E402
from crawler.portal import build_portal  # noqa: E402

# A phrase and four words (as parse_query makes them), all in the portal's text.
QUERIES = ('"统一 一战 战线"', '"工作"', '"会议"', '"发展"', '"海州"')


def run(texts: list[tuple[str, str]], automerge: int, rows: int, batch: int, folder: Path) -> str:
    path = folder / f"fts-{automerge}.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(body, title, content='', tokenize='unicode61 remove_diacritics 2')")
    conn.execute(f"INSERT INTO t (t, rank) VALUES ('automerge', {automerge})")
    conn.commit()
    started = window = time.perf_counter()
    windows, in_window, slowest = [], 0, 0.0
    for first in range(0, rows, batch):
        chunk = [texts[(first + n) % len(texts)] for n in range(min(batch, rows - first))]
        began = time.perf_counter()
        with conn:
            conn.execute("INSERT INTO t (rowid, body, title) VALUES " + ", ".join(["(?, ?, ?)"] * len(chunk)),
                         [value for n, (body, title) in enumerate(chunk) for value in (first + n + 1, body, title)])
        now = time.perf_counter()
        slowest = max(slowest, now - began)
        in_window += len(chunk)
        if in_window >= 10_000:
            windows.append(f"{1000 * (now - window) / in_window:.3f}")
            window, in_window = now, 0
    total = time.perf_counter() - started
    began = time.perf_counter()
    for _ in range(5):
        hits = [conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", (query,)).fetchone()[0] for query in QUERIES]
    queries = (time.perf_counter() - began) / (5 * len(QUERIES))
    conn.close()
    return (f"automerge {automerge:>2}: {1000 * total / rows:.3f} ms per row; per window: {' '.join(windows) or '-'};"
            f" slowest commit {1000 * slowest:.0f} ms; {path.stat().st_size / 2**20:.0f} MB;"
            f" a query {1000 * queries:.1f} ms (hits {', '.join(map(str, hits))})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=200, help="rows per statement and commit (SQLITE_BATCH_SIZE)")
    parser.add_argument("--automerge", type=int, nargs="+", default=[4, 8, 16])
    args = parser.parse_args()
    articles = [a for a in build_portal(scale=4).articles if a.kind == "original"]
    texts = [(search.index_tokens(a.body), search.index_tokens(a.title)) for a in articles]
    print(f"{len(texts)} portal articles, {sum(len(b.split()) for b, _ in texts) / len(texts):.0f} body tokens each,"
          f" cycled to {args.rows:,} rows in batches of {args.batch}")
    with tempfile.TemporaryDirectory() as folder:
        for automerge in args.automerge:
            print(run(texts, automerge, args.rows, args.batch, Path(folder)), flush=True)


if __name__ == "__main__":
    main()
