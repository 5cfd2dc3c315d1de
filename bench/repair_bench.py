"""Repair benchmark (run by hand): accuracy per kind of damage, and speed.

    .venv/bin/python bench/repair_bench.py [--cases PATH] [--seed PATH] [--misses]

Accuracy on ``../shared/testdata/artifacts/cases.jsonl`` (see its README): each
damaged ("positive") case must come out exactly as expected; each clean
("negative") case unchanged; each "detect_only" case unchanged and flagged. Lines
of one document (``doc``) are repaired together, as the pipeline does. Cases with
``input_bytes_hex`` test decoding from bytes: they go through
``crawler.decoding.decode_html`` with the declared charset in the header.

Speed: median time to repair the seed document as one document, in-process.
Memory: the fixers' tables, measured in a fresh process around the import and
first use of the repair package.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SHARED = REPO.parent / "shared"


def load_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_cases(cases: list[dict]):
    from crawler.decoding import decode_html
    from crawler.repair import repair_document

    outputs: dict[str, tuple[str, list[str], list[str]]] = {}
    docs = collections.defaultdict(list)
    for case in cases:
        if case.get("doc"):
            docs[case["doc"]].append(case)
        elif case.get("input_bytes_hex"):
            raw = bytes.fromhex(case["input_bytes_hex"])
            decoded = decode_html(raw, f"text/html; charset={case['declared_charset']}").text
            result = repair_document([decoded])
            outputs[case["id"]] = (result.texts[0], result.repairs, result.flags)
        else:
            result = repair_document([case["input"]])
            outputs[case["id"]] = (result.texts[0], result.repairs, result.flags)
    for doc_cases in docs.values():
        doc_cases.sort(key=lambda c: c.get("line_no", 0))
        result = repair_document([c["input"] for c in doc_cases])
        for case, text in zip(doc_cases, result.texts):
            outputs[case["id"]] = (text, result.repairs, result.flags)
    return outputs


def score(cases, outputs, show_misses: bool):
    per_kind = collections.defaultdict(lambda: [0, 0, 0])  # exact, flagged-not-exact, total
    misses = []
    for case in cases:
        text, repairs, flags = outputs[case["id"]]
        row = per_kind[(case["polarity"], case["kind"])]
        row[2] += 1
        ok = text == case["expected"]
        if case["polarity"] == "detect_only":
            ok = ok and "unrecoverable" in flags
        if ok:
            row[0] += 1
        else:
            if flags:
                row[1] += 1
            misses.append((case["id"], text, case["expected"], repairs, flags))
    print(f"{'polarity':<12} {'kind':<36} {'exact':>5} {'flagged':>7} {'total':>5}")
    totals = collections.defaultdict(lambda: [0, 0, 0])
    for (polarity, kind), (exact, flagged, total) in sorted(per_kind.items()):
        print(f"{polarity:<12} {kind:<36} {exact:>5} {flagged:>7} {total:>5}")
        for i, v in enumerate((exact, flagged, total)):
            totals[polarity][i] += v
    print()
    for polarity, (exact, flagged, total) in sorted(totals.items()):
        print(f"{polarity:<12} exact {exact}/{total} ({exact / total:.0%}), not exact but flagged {flagged}")
    if show_misses:
        for case_id, got, want, repairs, flags in misses:
            print(f"\nMISS {case_id} repairs={repairs} flags={flags}\n  got:  {got[:200]!r}\n  want: {want[:200]!r}")


def bench_speed(seed: Path, rounds: int = 200):
    from crawler.repair import repair_document

    lines = seed.read_text(encoding="utf-8").splitlines()
    repair_document(lines)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        repair_document(lines)
        times.append(time.perf_counter() - started)
    print(f"\nseed document ({sum(map(len, lines))} chars, {len(lines)} lines): "
          f"median {statistics.median(times) * 1000:.2f} ms, p90 {sorted(times)[int(rounds * 0.9)] * 1000:.2f} ms "
          f"over {rounds} runs")


_TABLES_PROBE = """
import resource, sys, tracemalloc
sys.path.insert(0, sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
from crawler.repair import repair_document, to_simplified
repair_document(["統(tǒng)一戰(zhàn)線,,會議", "鍏虫敞 ¹ØÓÚ HÃ´tel"])
to_simplified("統一戰線")
peak = tracemalloc.get_traced_memory()[1]
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"tables: Python heap {peak / 2**20:.1f} MB; process RSS +{(after - before) / 1024:.1f} MB "
      "(import and first use of the repair package, incl. OpenCC, pypinyin, ftfy)")
"""


def bench_tables():
    import subprocess

    out = subprocess.run([sys.executable, "-c", _TABLES_PROBE, str(REPO)], capture_output=True, text=True)
    print(out.stdout.strip() or out.stderr.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=Path, default=SHARED / "testdata/artifacts/cases.jsonl")
    parser.add_argument("--seed", type=Path, default=SHARED / "seed/000_29bd2c50f032fca0.txt")
    parser.add_argument("--misses", action="store_true", help="print every case that is not exact")
    args = parser.parse_args()
    if not args.cases.exists():
        print(f"repair_bench: no cases at {args.cases}; pass --cases PATH", file=sys.stderr)
        return 2
    cases = load_cases(args.cases)
    score(cases, run_cases(cases), args.misses)
    if args.seed.exists():
        bench_speed(args.seed)
    bench_tables()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
