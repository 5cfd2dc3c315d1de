"""The sample portal at a larger scale: `build_portal(scale=N)` and `serve-portal --scale N`.

Scale 1 is the sample portal the other tests count on (tests/test_portal.py);
these check that a scaled portal is the same portal, N times bigger, and still
sound: unique titles, every link resolving, everything reachable.
"""

from __future__ import annotations

import re
import signal
import subprocess
import urllib.request
from collections import Counter

import pytest

from conftest import REPO, ctrl_c_reaches_it
from crawler.portal import build_portal
from test_portal import check_internal_links

SCALE = 3


@pytest.fixture(scope="module")
def scaled():
    return build_portal(scale=SCALE)


def test_scale_one_is_the_sample_portal(portal):
    again = build_portal(scale=1)
    assert list(again.pages) == list(portal.pages)
    assert all(again.pages[path] == page for path, page in portal.pages.items())
    assert again.expected == portal.expected


def test_counts_scale_with_the_portal(scaled, portal):
    one, big = portal.expected, scaled.expected
    assert big["articles_original"] == SCALE * one["articles_original"]
    # The planted pages scale with it; the attachments and search pages do not.
    for key in ("mirror_copies", "republished_copies", "print_views", "tracking_variants"):
        assert big[key] == SCALE * one[key], key
    assert big["dropped"] == {reason: SCALE * n for reason, n in one["dropped"].items()}
    for key in ("not_found_urls", "server_error_urls", "wrong_charset_urls", "breadcrumb_only_articles"):
        assert len(big[key]) == SCALE * len(one[key]), key
    assert big["non_html_urls"] == one["non_html_urls"]
    assert big["robots_disallowed_urls"] == one["robots_disallowed_urls"]
    assert big["sections"] == one["sections"]
    assert big["article_pages_valid"] == len(scaled.articles)
    assert big["unreachable_articles"] == []
    by_section = lambda p: Counter(a.section for a in p.articles if a.kind == "original")  # noqa: E731
    assert by_section(scaled) == Counter({k: SCALE * n for k, n in by_section(portal).items()})


def test_more_list_pages(scaled, portal):
    # Home, parent and search pages do not multiply; section lists do.
    assert scaled.expected["list_pages"] > 1.8 * portal.expected["list_pages"]
    # Pagination runs on: the last TRS page of 要闻 and the last ?page= of 社会 exist, and no further.
    yw = sorted(int(m.group(1)) for k in scaled.pages if (m := re.fullmatch(r"/yw/index_(\d+)\.html", k)))
    assert yw == list(range(1, len(yw) + 1)) and len(yw) > 2 * 3
    sh = sorted(int(m.group(1)) for k in scaled.pages if (m := re.fullmatch(r"/sh/list\?page=(\d+)", k)))
    assert sh == list(range(1, len(sh) + 1))
    assert scaled.lookup(f"/sh/list?page={len(sh) + 1}").status == 404


def test_titles_and_urls_unique(scaled):
    originals = [a for a in scaled.articles if a.kind == "original"]
    assert len({a.title for a in originals}) == len(originals)
    assert len({a.url_path for a in scaled.articles}) == len(scaled.articles)
    assert len({a.id for a in scaled.articles}) == len(scaled.articles)
    for a in originals:
        paragraphs = a.body.split("\n")
        assert 3 <= len(paragraphs) <= 8 and all(60 <= len(p) <= 250 for p in paragraphs), a.id


def test_every_internal_link_resolves(scaled):
    check_internal_links(scaled)


def test_scale_must_be_a_positive_whole_number():
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="scale"):
            build_portal(scale=bad)


def test_serve_portal_scale_option(python):
    proc = subprocess.Popen([python, "-m", "crawler", "serve-portal", "--scale", "2", "--port", "0"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ctrl_c_reaches_it)
    try:
        line = proc.stdout.readline()
        assert "(scale 2: 644 articles)" in line, line
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url + "yw/index_5.html", timeout=10) as resp:
            assert resp.status == 200  # the sample portal's 要闻 has 3 list pages; scale 2 has 6
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode == 0
    bad = subprocess.run([python, "-m", "crawler", "serve-portal", "--scale", "0"], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--scale must be at least 1" in bad.stderr
