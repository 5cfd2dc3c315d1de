"""Extraction benchmark: our extractor vs trafilatura vs GNE on real pages with truth.

Run from the repository root (needs the ``bench`` extra: ``pip install -e '.[bench]'``)::

    .venv/bin/python bench/extract_bench.py
    .venv/bin/python bench/extract_bench.py --tools ours --datasets cwced_zh,gne_tests_zh --per-page
    .venv/bin/python bench/extract_bench.py --json output/bench.json

Options: ``--data DIR`` (default ``<repo>/../shared/testdata/real``), ``--tools``
(``ours,trafilatura,gne``), ``--datasets`` (``cwced_zh,gne_tests_zh,scrapinghub_aeb_en``),
``--json OUT`` (every page's scores, got and want values, and the summary),
``--per-page [TOOL]`` (list the failures, the pages with body F1 < 0.5 and every
field miss of TOOL, ``ours`` by default).

The data is read in place and never copied: each dataset folder holds ``html/``,
``ground_truth.jsonl`` and ``MANIFEST.md`` (read those for what the truth is).

One table, one row per tool x data: ``zh`` = cwced_zh + gne_tests_zh (with a row for
each of the two under it), ``en`` = scrapinghub_aeb_en. Columns:

    pages     pages in the data
    fail      pages where the tool raised or returned nothing; they score 0 on every field
    body F1   mean bag-of-tokens F1 of the body (tokens: each CJK character, and each
              run of Latin letters/digits, lowercased, after NFKC); only pages whose
              truth has a body (gne_tests_zh: the 10 silver pages)
    <0.5      number of those pages with body F1 < 0.5 (failed pages included)
    title     share of pages whose title equals the labelled headline (whitespace-normalised)
    date      share of pages with the same day as the labelled date (``date_label``); at the
              truth's precision when it gives only a month (``YYYY-MM``) or a year; a page
              labelled as showing no date counts as correct iff the tool gives no date
    author, editor, source
              share of labelled pages with an exact (whitespace-normalised) match; a page
              labelled as showing none counts as correct iff the tool gives none
    kw F1     mean set F1 of the keywords (labelled none: 1 iff the tool gives none)
    crumbs    share of pages whose breadcrumb names equal the labelled trail
    X+        the same score on the pages that show a value (truth not null)
    pages/s   pages / wall time of the extraction calls alone (in-process, after one
              untimed warm-up call per tool; for GNE the decoding is inside the timed call)

A cell is ``–`` when the tool does not produce that field and empty when no page of
that data labels it. The number of pages behind each cell is printed under the table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import sys
import textwrap
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "testdata" / "real"
DATASETS = ("cwced_zh", "gne_tests_zh", "scrapinghub_aeb_en")
GROUPS = {"zh": ("cwced_zh", "gne_tests_zh"), "en": ("scrapinghub_aeb_en",)}
TOOLS = ("ours", "trafilatura", "gne")
FIELDS = ("body", "title", "date", "author", "editor", "source", "keywords", "breadcrumb")
# Fields where a labelled null means "the page shows none"; they get an X+ column.
NULLABLE = ("author", "editor", "source", "keywords", "breadcrumb")

if str(REPO) not in sys.path:  # the project is not necessarily pip-installed
    sys.path.insert(0, str(REPO))


# --------------------------------------------------------------------------- data


@dataclass
class Page:
    dataset: str
    file: str
    """Path relative to the dataset folder, as in ground_truth.jsonl."""
    url: str | None
    html: bytes
    """The page bytes (``.html.gz`` already decompressed)."""
    truth: dict[str, Any]
    """Scorable fields only: a key is present iff the field is labelled for this page."""

    @property
    def name(self) -> str:
        """Short display name: the file name, long hash/uuid stems cut to 8 characters."""
        base = Path(self.file).name
        stem, _, ext = base.partition(".")
        return f"{stem[:8]}….{ext}" if len(stem) > 16 else base


def truth_of(record: dict) -> dict[str, Any]:
    """The scorable truth of one ground_truth.jsonl record (see the module docstring)."""
    truth_fields = set(record.get("truth_fields") or ())
    labelled = set(record.get("labelled_fields") or ())
    truth: dict[str, Any] = {}
    if "body" in truth_fields and (record.get("body") or "").strip():
        truth["body"] = record["body"]
    title_key = "title_label" if "title_label" in record else "title"
    if title_key in truth_fields and record.get(title_key):
        truth["title"] = record[title_key]
    for name, key in (("date", "date_label"), ("author", "author_label"), ("editor", "editor"),
                      ("source", "source"), ("keywords", "keywords"), ("breadcrumb", "breadcrumb")):
        if key in labelled:
            truth[name] = record.get(key)
    return truth


def load_dataset(data_dir: Path, name: str) -> list[Page]:
    folder = data_dir / name
    truth_file = folder / "ground_truth.jsonl"
    if not truth_file.is_file():
        sys.exit(f"extract_bench: {truth_file} not found (is --data right?)")
    pages = []
    for line in truth_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        raw = (folder / record["file"]).read_bytes()
        if record["file"].endswith(".gz"):
            raw = gzip.decompress(raw)
        pages.append(Page(name, record["file"], record.get("url"), raw, truth_of(record)))
    return pages


# --------------------------------------------------------------------------- tools


class NoResult(Exception):
    """The tool returned nothing for the page."""


def split_tags(values: list[str] | None) -> list[str]:
    """trafilatura's tags/categories come as raw strings ("中国芯,芯片"): split and dedupe."""
    out: list[str] = []
    for value in values or ():
        for part in re.split(r"[,;，；、|]+", value):
            pieces = part.split() if CJK_CHAR.search(part) else [part]
            for piece in (p.strip() for p in pieces):
                if piece and piece not in out:
                    out.append(piece)
    return out


class Ours:
    name = "ours"
    fields = frozenset(FIELDS)
    input_note = "the page bytes; extract_article decodes them itself (crawler.decoding)"

    def __init__(self) -> None:
        from crawler.extraction import extract_article

        self._extract = extract_article

    def extract(self, page: Page) -> dict[str, Any]:
        url = page.url or f"http://bench.invalid/{page.dataset}/{page.file}"
        article = self._extract(url, page.html)
        return {
            "title": article.title, "body": article.body, "date": article.published_at,
            "author": article.author, "editor": article.editor, "source": article.source,
            "keywords": article.keywords, "breadcrumb": [c["name"] for c in article.breadcrumb],
        }


class Trafilatura:
    name = "trafilatura"
    fields = frozenset({"body", "title", "date", "author", "keywords"})
    input_note = ("the page bytes (trafilatura decodes them itself); bare_extraction(with_metadata=True, "
                  "include_comments=False), url when the dataset has one; text->body, "
                  "tags+categories (split on , ; 、) -> keywords")

    def __init__(self) -> None:
        import trafilatura

        self._bare_extraction = trafilatura.bare_extraction
        self.version = trafilatura.__version__

    def extract(self, page: Page) -> dict[str, Any]:
        doc = self._bare_extraction(page.html, url=page.url, with_metadata=True, include_comments=False)
        if doc is None:
            raise NoResult("bare_extraction returned None")
        return {
            "title": doc.title, "body": doc.text, "date": doc.date, "author": doc.author,
            "keywords": split_tags((doc.tags or []) + (doc.categories or [])),
        }


class Gne:
    name = "gne"
    fields = frozenset({"body", "title", "date", "author"})
    input_note = ("text decoded by our crawler.decoding.decode_html (GNE needs a str); "
                  "GeneralNewsExtractor().extract(text) defaults; content->body, publish_time->date")

    def __init__(self) -> None:
        from gne import GeneralNewsExtractor

        from crawler.decoding import decode_html

        self._gne = GeneralNewsExtractor()
        self._decode = decode_html
        self.version = metadata.version("gne")

    def extract(self, page: Page) -> dict[str, Any]:
        result = self._gne.extract(self._decode(page.html).text)
        return {"title": result.get("title"), "body": result.get("content"),
                "date": result.get("publish_time"), "author": result.get("author")}


TOOL_CLASSES = {"ours": Ours, "trafilatura": Trafilatura, "gne": Gne}


def make_tool(name: str):
    try:
        return TOOL_CLASSES[name]()
    except ImportError as exc:
        sys.exit(f"extract_bench: tool {name!r} is not installed ({exc}); "
                 f"run: .venv/bin/python -m pip install -e '.[bench]'")


# --------------------------------------------------------------------------- scoring

CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_TOKEN = re.compile(CJK_CHAR.pattern + r"|[0-9a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u024f]+")
_WS = re.compile(r"\s+")


def norm_ws(value: Any) -> str | None:
    """Strip and collapse whitespace (incl. nbsp and the ideographic space); '' -> None."""
    if value is None:
        return None
    text = _WS.sub(" ", str(value)).strip()
    return text or None


def tokens(text: str | None) -> Counter:
    """Bag of tokens: each CJK character, each run of Latin letters/digits (lowercased)."""
    return Counter(_TOKEN.findall(unicodedata.normalize("NFKC", text or "").lower()))


def f1(got: Counter, want: Counter) -> float:
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_MDY = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_YM = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})(?!\d)")
_Y = re.compile(r"\s*(\d{4})\s*年?\s*")


def date_parts(value: str | None) -> tuple[int, ...] | None:
    """(year, month, day), (year, month) or (year,) of a date in any of the mixed formats.

    >>> date_parts("2005-5-7 21:23:57"), date_parts("2019年09月07日 04:04"), date_parts("1998-03")
    ((2005, 5, 7), (2019, 9, 7), (1998, 3))
    >>> date_parts("2019-09-07T06:52:51+08:00"), date_parts("9/17/2004 5:54:13"), date_parts("2018")
    ((2019, 9, 7), (2004, 9, 17), (2018,))
    """
    if not value:
        return None
    text = str(value)
    if m := _YMD.search(text):
        parts = tuple(int(g) for g in m.groups())
    elif m := _MDY.search(text):
        first, second, year = (int(g) for g in m.groups())
        parts = (year, first, second) if first <= 12 else (year, second, first)
    elif m := _YM.search(text):
        parts = tuple(int(g) for g in m.groups())
    elif m := _Y.fullmatch(text):
        parts = (int(m.group(1)),)
    else:
        return None
    if len(parts) > 1 and not 1 <= parts[1] <= 12 or len(parts) > 2 and not 1 <= parts[2] <= 31:
        return None
    return parts


def score_date(got: str | None, want: str | None) -> float:
    if want is None:
        return float(norm_ws(got) is None)
    want_parts, got_parts = date_parts(want), date_parts(got)
    if want_parts is None or got_parts is None or len(got_parts) < len(want_parts):
        return 0.0
    return float(got_parts[: len(want_parts)] == want_parts)


def score_exact(got: str | None, want: str | None) -> float:
    return float(norm_ws(got) == norm_ws(want))


def score_keywords(got: list[str] | None, want: list[str] | None) -> float:
    got_set = {k for k in map(norm_ws, got or ()) if k}
    want_set = {k for k in map(norm_ws, want or ()) if k}
    if not want_set:
        return float(not got_set)
    overlap = len(got_set & want_set)
    return 2 * overlap / (len(got_set) + len(want_set)) if overlap else 0.0


def score_breadcrumb(got: list[str] | None, want: list[str] | None) -> float:
    return float([norm_ws(c) for c in got or ()] == [norm_ws(c) for c in want or ()])


SCORERS: dict[str, Callable[[Any, Any], float]] = {
    "body": lambda got, want: f1(tokens(got), tokens(want)),
    "title": score_exact,
    "date": score_date,
    "author": score_exact,
    "editor": score_exact,
    "source": score_exact,
    "keywords": score_keywords,
    "breadcrumb": score_breadcrumb,
}


@dataclass
class PageResult:
    tool: str
    page: Page
    seconds: float
    error: str | None
    got: dict[str, Any]
    scores: dict[str, float] = field(default_factory=dict)
    """Only the fields the tool produces and the page labels."""


def score_page(tool, page: Page, got: dict[str, Any] | None) -> dict[str, float]:
    return {name: (SCORERS[name](got.get(name), want) if got is not None else 0.0)
            for name, want in page.truth.items() if name in tool.fields}


# --------------------------------------------------------------------------- running


def error_label(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    return f"{type(exc).__name__}({reason})" if reason else f"{type(exc).__name__}: {str(exc)[:60]}"


def run_tool(tool, pages: list[Page]) -> list[PageResult]:
    """Extract every page with ``tool``; only the extraction call itself is timed."""
    try:  # warm-up: imports, lazily built regexes and caches
        tool.extract(pages[0])
    except Exception:  # noqa: BLE001 - the timed run records it
        pass
    results = []
    for page in pages:
        got, error = None, None
        start = time.perf_counter()
        try:
            got = tool.extract(page)
        except Exception as exc:  # noqa: BLE001 - any failure scores 0 and is reported
            error = error_label(exc)
        seconds = time.perf_counter() - start
        results.append(PageResult(tool.name, page, seconds, error, got or {}, score_page(tool, page, got)))
    return results


# --------------------------------------------------------------------------- summary


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class Column:
    header: str
    field: str | None
    """The scored field (None for pages/fail/pages/s); decides the ``–`` cells."""
    compute: Callable[[list[PageResult]], float | int | None]
    labelled: Callable[[Page], bool] = lambda page: False
    """Which pages this column scores (for the page counts under the table)."""
    fmt: str = "{:.2f}"


def field_mean(name: str, shown_only: bool = False) -> Callable[[list[PageResult]], float | None]:
    def compute(results: list[PageResult]) -> float | None:
        return mean([r.scores[name] for r in results if name in r.scores
                     and (not shown_only or r.page.truth.get(name) is not None)])
    return compute


def labelled(name: str, shown_only: bool = False) -> Callable[[Page], bool]:
    return lambda page: name in page.truth and (not shown_only or page.truth[name] is not None)


def low_body_count(results: list[PageResult]) -> int | None:
    scored = [r.scores["body"] for r in results if "body" in r.scores]
    return sum(score < 0.5 for score in scored) if scored else None


def _pages_per_second(results: list[PageResult]) -> float | None:
    seconds = sum(r.seconds for r in results)
    return len(results) / seconds if seconds else None


COLUMNS = [
    Column("pages", None, len, fmt="{}"),
    Column("fail", None, lambda rs: sum(r.error is not None for r in rs), fmt="{}"),
    Column("body F1", "body", field_mean("body"), labelled("body")),
    Column("<0.5", "body", low_body_count, labelled("body"), "{}"),
    Column("title", "title", field_mean("title"), labelled("title")),
    Column("date", "date", field_mean("date"), labelled("date")),
]
for _name, _header in (("author", "author"), ("editor", "editor"), ("source", "source"),
                       ("keywords", "kw F1"), ("breadcrumb", "crumbs")):
    COLUMNS.append(Column(_header, _name, field_mean(_name), labelled(_name)))
    COLUMNS.append(Column(_header.split()[0] + "+", _name, field_mean(_name, True), labelled(_name, True)))
COLUMNS.append(Column("pages/s", None, _pages_per_second, fmt="{:.1f}"))


def row_labels(datasets: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(label, datasets) for each table row: a group, then its datasets if it has several."""
    rows = []
    for group, members in GROUPS.items():
        chosen = tuple(d for d in members if d in datasets)
        if not chosen:
            continue
        rows.append((group, chosen))
        if len(chosen) > 1:
            rows.extend((f" {d}", (d,)) for d in chosen)
    return rows


def cell(column: Column, tool, results: list[PageResult]) -> str:
    if column.field is not None and column.field not in tool.fields:
        return "–"
    value = column.compute(results)
    return "" if value is None else column.fmt.format(value)


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:  # two label columns left-aligned, numbers right-aligned
        return "  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths)))

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def summarise(tools, results: dict[str, list[PageResult]], pages: list[Page], datasets: list[str]) -> list[dict]:
    """Print the table and the page counts; return the summary rows for --json."""
    headers = ["tool", "data"] + [c.header for c in COLUMNS]
    rows, summary = [], []
    for tool in tools:
        for label, members in row_labels(datasets):
            chosen = [r for r in results[tool.name] if r.page.dataset in members]
            rows.append([tool.name, label] + [cell(c, tool, chosen) for c in COLUMNS])
            summary.append({"tool": tool.name, "data": label.strip(), "datasets": list(members),
                            **{c.header: (None if c.field and c.field not in tool.fields else c.compute(chosen))
                               for c in COLUMNS}})
    print_table(headers, rows)

    print("\nPages behind each cell (the truth labels that field on them):")
    counted = [c for c in COLUMNS if c.field and c.header != "<0.5"]
    count_rows = []
    for label, members in row_labels(datasets):
        chosen = [p for p in pages if p.dataset in members]
        count_rows.append(["", label, str(len(chosen))] + [str(sum(c.labelled(p) for p in chosen)) for c in counted])
    print_table(["", "data", "pages"] + [c.header for c in counted], count_rows)
    return summary


def print_legend(tools, data_dir: Path) -> None:
    print(f"""
Legend (data: {data_dir}):
  zh = cwced_zh + gne_tests_zh, en = scrapinghub_aeb_en.  – = the tool does not produce the field;
  empty = no page of that data labels the field.  X+ = only pages whose truth is not null.
  fail = the tool raised or returned nothing: that page scores 0 on every field (see the error list).
  body F1: bag-of-tokens F1 (each CJK character, each run of Latin letters/digits, lowercased,
    NFKC), pages whose truth has a body only (gne_tests_zh: the 10 silver pages, GNE's own
    2019 output, so GNE is favoured there).  <0.5 = pages with body F1 below 0.5 (fails included).
  title, author, editor, source: exact after whitespace normalisation; title vs the hand-labelled
    headline (cwced title / gne title_label), author vs author_label.
  date: same day as date_label (month or year when that is all the label gives; the tool's
    own date at face value, no timezone conversion). A page labelled as showing no date is
    correct iff the tool gives no date; same rule for a labelled null author/editor/source/
    keywords/breadcrumb.
  kw F1: set F1 of the keyword lists.  crumbs: list of crumb names equal to the labelled trail.
  pages/s: pages / seconds spent inside the extraction calls (after one warm-up call).
  Inputs:""")
    for tool in tools:
        version = getattr(tool, "version", None)
        print(textwrap.fill(f"{tool.name}{f' {version}' if version else ''}: {tool.input_note}", width=100,
                            initial_indent="    ", subsequent_indent="      "))


# --------------------------------------------------------------------------- per-page report


def short(value: Any, width: int = 60) -> str:
    if value is None:
        return "∅"
    if isinstance(value, list):
        value = " | ".join(map(str, value)) if value else "[]"
    text = _WS.sub(" ", str(value)).strip()
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def print_per_page(tool_name: str, results: list[PageResult]) -> None:
    print(f"\n=== {tool_name}: per-page problems ===")
    failed = [r for r in results if r.error]
    print(f"\n-- failures ({len(failed)})")
    for r in failed:
        print(f"  {r.page.dataset}/{r.page.name}: {r.error}")

    low = [r for r in results if r.scores.get("body", 1.0) < 0.5 and not r.error]
    print(f"\n-- body F1 < 0.5 ({len(low)}, failures not repeated)")
    for r in sorted(low, key=lambda r: r.scores["body"]):
        print(f"  {r.page.dataset}/{r.page.name}  F1={r.scores['body']:.2f}  "
              f"got {len(r.got.get('body') or '')} chars {short(r.got.get('body'), 50)}\n"
              f"  {'':>{len(r.page.dataset) + len(r.page.name) + 1}}  want {len(r.page.truth['body'])} chars "
              f"{short(r.page.truth['body'], 50)}")

    for name in FIELDS[1:]:
        misses = [r for r in results if r.scores.get(name, 1.0) < 1.0 and not r.error]
        if not misses:
            continue
        print(f"\n-- {name} misses ({len(misses)})")
        for r in misses:
            score = f" F1={r.scores[name]:.2f}" if name == "keywords" else ""
            print(f"  {r.page.dataset}/{r.page.name}{score}  got {short(r.got.get(name))}  "
                  f"want {short(r.page.truth[name])}")


# --------------------------------------------------------------------------- main


def parse_list(value: str, allowed: tuple[str, ...], what: str) -> list[str]:
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in allowed]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown {what} {unknown}; choose from {','.join(allowed)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"folder holding the datasets (default {DEFAULT_DATA})")
    parser.add_argument("--tools", default=",".join(TOOLS),
                        type=lambda v: parse_list(v, TOOLS, "tool"), help="comma-separated: %(default)s")
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        type=lambda v: parse_list(v, DATASETS, "dataset"), help="comma-separated: %(default)s")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write every page's result and the summary")
    parser.add_argument("--per-page", nargs="?", const="ours", choices=TOOLS, metavar="TOOL",
                        help="list failures, low body F1 pages and field misses of TOOL (default ours)")
    args = parser.parse_args(argv)

    if not args.data.is_dir():
        sys.exit(f"extract_bench: benchmark data not found at {args.data}\n"
                 f"  (expected <repo>/../shared/testdata/real with {', '.join(DATASETS)}; pass --data DIR)")
    logging.disable(logging.CRITICAL)  # trafilatura/htmldate warn on every odd page

    pages = [p for name in args.datasets for p in load_dataset(args.data, name)]
    tools = [make_tool(name) for name in args.tools]
    results = {tool.name: run_tool(tool, pages) for tool in tools}

    summary = summarise(tools, results, pages, args.datasets)
    print_legend(tools, args.data)
    for tool in tools:
        failed = Counter(r.error.split(":")[0] for r in results[tool.name] if r.error)
        if failed:
            print(f"  {tool.name} failures: " + ", ".join(f"{k} x{v}" for k, v in failed.most_common()))

    if args.per_page:
        if args.per_page in results:
            print_per_page(args.per_page, results[args.per_page])
        else:
            print(f"\n(--per-page {args.per_page}: that tool was not run)")

    if args.json:
        write_json(args.json, args, tools, summary, results)
        print(f"\nwrote {args.json}")
    return 0


def write_json(path: Path, args, tools, summary: list[dict], results: dict[str, list[PageResult]]) -> None:
    pages = [{"tool": r.tool, "dataset": r.page.dataset, "file": r.page.file, "seconds": r.seconds,
              "error": r.error, "scores": r.scores,
              "got": {k: v for k, v in r.got.items() if k in r.page.truth},
              "want": r.page.truth}
             for tool_results in results.values() for r in tool_results]
    payload = {
        "data": str(args.data), "datasets": args.datasets,
        "tools": {t.name: {"version": getattr(t, "version", None), "input": t.input_note} for t in tools},
        "summary": summary, "pages": pages,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
