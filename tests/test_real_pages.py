"""Extraction on the real Chinese and English dev pages of ../shared/testdata/real.

Skipped when ../shared is not beside the repository. Floors a little under what
bench/extract_bench.py measures, so that a change that breaks real pages fails
here; the benchmark is where the figures come from.
"""

import collections
import gzip
import json
import re

import pytest

from conftest import SHARED
from crawler.extraction import ExtractionError, extract_article

REAL = SHARED / "testdata" / "real"
pytestmark = pytest.mark.skipif(not REAL.exists(), reason="../shared/testdata/real not present")
_TOKEN = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9]+")


def body_f1(got: str, want: str) -> float:
    a = collections.Counter(t.lower() for t in _TOKEN.findall(got))
    b = collections.Counter(t.lower() for t in _TOKEN.findall(want))
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def pages(dataset):
    folder = REAL / dataset
    for line in (folder / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines():
        truth = json.loads(line)
        body = (folder / truth["file"]).read_bytes()
        if truth["file"].endswith(".gz"):
            body = gzip.decompress(body)
        yield truth, body


def extract(truth, body):
    try:
        return extract_article(truth["url"] or "http://example.invalid/", body)
    except ExtractionError:
        return None


def test_chinese_pages_body_and_title():
    f1s, titles = [], []
    for dataset in ("cwced_zh", "gne_tests_zh"):
        for truth, body in pages(dataset):
            article = extract(truth, body)
            if truth.get("body") and "body" in truth["truth_fields"]:
                f1s.append(body_f1(article.body if article else "", truth["body"]))
            want_title = truth.get("title_label") if dataset == "gne_tests_zh" else truth.get("title")
            if want_title:
                titles.append(article is not None and article.title == " ".join(want_title.split()))
    assert sum(f1s) / len(f1s) >= 0.88
    assert sum(titles) / len(titles) >= 0.9


def test_english_pages_body():
    f1s = [body_f1(a.body if (a := extract(t, b)) else "", t["body"]) for t, b in pages("scrapinghub_aeb_en")]
    assert sum(f1s) / len(f1s) >= 0.88
