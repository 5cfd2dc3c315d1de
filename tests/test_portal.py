"""Tests of the sample portal (crawler/portal): generation, ground truth and the HTTP server."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from parsel import Selector

from crawler.portal import ArticleTruth, PortalServer, build_portal
from crawler.portal.mirror import MirrorDamage

BASE = "http://portal.test"


@pytest.fixture(scope="module")
def portal():
    return build_portal()


@pytest.fixture(scope="module")
def server(portal):
    with PortalServer(portal) as srv:
        yield srv


def decode(portal, path: str) -> str:
    page = portal.lookup(path)
    ctype = page.headers["Content-Type"]
    truth = next((a for a in portal.articles if a.url_path == path), None)
    if truth is not None and truth.encoding == "gbk":
        return page.body.decode("gb18030")
    assert "gbk" not in ctype.lower()
    return page.body.decode("utf-8")


def html_pages(portal):
    for path, page in portal.pages.items():
        if page.status == 200 and page.headers["Content-Type"].startswith("text/html"):
            yield path, page


def visible(html: str) -> str:
    """Page text with tags dropped and entities resolved (good enough for containment checks)."""
    return unescape(re.sub(r"<[^>]+>", "", html))


# ---------------------------------------------------------------- generation


def test_build_is_deterministic(portal):
    again = build_portal()
    assert list(again.pages) == list(portal.pages)
    for path, page in portal.pages.items():
        assert again.pages[path] == page, path
    assert again.articles == portal.articles
    assert again.expected == portal.expected


def test_size_and_variety(portal):
    exp = portal.expected
    originals = [a for a in portal.articles if a.kind == "original"]
    assert exp["articles_original"] == len(originals) >= 300
    assert {a.template for a in originals} >= {"gov", "paper", "mobile"}
    assert {a.template for a in portal.articles} >= {"gov", "paper", "mobile", "mirror"}
    assert sum(s["parent"] is None for s in exp["sections"]) >= 6
    assert exp["article_pages_valid"] == len(portal.articles)
    assert exp["mirror_copies"] == sum(a.kind == "mirror" for a in portal.articles) >= 15
    assert exp["republished_copies"] == 1
    assert exp["dropped"] == {"empty_body": 1, "no_title": 1}
    assert exp["print_views"] >= 3 and exp["tracking_variants"] >= 5
    assert len(exp["not_found_urls"]) >= 2 and len(exp["server_error_urls"]) == 1
    assert {"www.gov.cn", "www.xinhuanet.com"} <= set(exp["offsite_domains"])
    assert sum(exp["encodings"].values()) == len(portal.articles)
    assert exp["unreachable_articles"] == []


def test_titles_unique_and_article_shape(portal):
    originals = [a for a in portal.articles if a.kind == "original"]
    assert len({a.title for a in originals}) == len(originals)
    for a in originals:
        paragraphs = a.body.split("\n")
        assert 3 <= len(paragraphs) <= 8, a.id
        assert all(60 <= len(p) <= 250 for p in paragraphs), a.id
        assert 2 <= len(a.keywords) <= 5, a.id
        assert a.breadcrumb[0] == {"name": "首页", "url_path": "/"}
        assert a.section == a.breadcrumb[-1]["name"]
        assert a.published_at is None or re.fullmatch(
            r"20(1[6-9]|2[0-4])-\d\d-\d\d(T\d\d:\d\d:\d\d\+08:00)?", a.published_at), a.published_at


def test_ids_and_canonical_links(portal):
    ids = {a.id for a in portal.articles}
    assert len(ids) == len(portal.articles)
    for a in portal.articles:
        if a.kind == "original":
            assert a.canonical_of is None
        else:
            original = next(o for o in portal.articles if o.id == a.canonical_of)
            assert original.kind == "original"
            if a.kind == "republished":
                assert (a.title, a.body) == (original.title, original.body)
                assert a.section != original.section
                assert 'rel="canonical"' not in decode(portal, a.url_path)


def check_internal_links(portal) -> set[str]:
    """Every internal link of every HTML page resolves, but the deliberate 404s, all of
    which are linked; returns the hosts of the offsite links."""
    allowed_missing = set(portal.expected["not_found_urls"])
    linked_missing, offsite = set(), set()
    for path, page in html_pages(portal):
        if path.startswith("/search/"):
            continue  # robots.txt keeps crawlers out of there
        for href in Selector(text=decode(portal, path)).css("a::attr(href)").getall():
            if href.startswith(("javascript:", "#")):
                continue
            url = urlsplit(urljoin(BASE + path, href))
            if f"{url.scheme}://{url.netloc}" != BASE:
                offsite.add(url.hostname)
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if portal.lookup(target).status == 404:
                assert target in allowed_missing, f"{path} links to missing {target}"
                linked_missing.add(target)
    assert linked_missing == allowed_missing
    return offsite


def test_every_internal_link_resolves(portal):
    assert check_internal_links(portal) == set(portal.expected["offsite_domains"])


def test_breadcrumb_only_section(portal):
    hidden_ids = {a.id for a in portal.articles if a.url_path.startswith("/dpsy/qwgz/")}
    assert hidden_ids and set(portal.expected["breadcrumb_only_articles"]) == hidden_ids
    home = decode(portal, "/")
    assert "/dpsy/qwgz/" not in home and 'href="/dpsy/"' not in home
    # The parent page lists the hidden sub-section; article breadcrumbs are the only way to the parent.
    article_paths = {a.url_path for a in portal.articles}
    hidden_paths = {a.url_path for a in portal.articles if a.id in hidden_ids}
    for path, _page in html_pages(portal):
        text = decode(portal, path)
        if 'href="/dpsy/qwgz/"' in text:
            assert path in {"/dpsy/", "/dpsy/index.html"} | hidden_paths, path
        if 'href="/dpsy/"' in text:
            assert path in article_paths, path


def test_truth_text_appears_in_page(portal):
    for a in portal.articles:
        text = visible(decode(portal, a.url_path))
        assert a.title in text, a.id
        for paragraph in a.body.split("\n"):
            assert paragraph in text, (a.id, paragraph[:20])
        for crumb in a.breadcrumb:
            assert crumb["name"] in text
        if a.editor:
            assert a.editor in text
        if a.author:
            assert a.author in text


def test_page_title_is_not_the_headline(portal):
    a = next(a for a in portal.articles if a.template == "gov")
    sel = Selector(text=decode(portal, a.url_path))
    assert sel.css("h1::text").get() == a.title
    assert sel.css("title::text").get() == f"{a.title}_{a.section}_海州新闻网"


def test_gbk_pages(portal):
    paper = [a for a in portal.articles if a.encoding == "gbk"]
    assert paper and all(a.template == "paper" for a in paper)
    declared = {a.charset_declared for a in paper}
    assert declared == {"meta", "header", "wrong"}
    for a in paper:
        page = portal.pages[a.url_path]
        text = page.body.decode("gb18030")
        assert a.title in text
        with pytest.raises(UnicodeDecodeError):
            page.body.decode("utf-8")
        ctype = page.headers["Content-Type"]
        if a.charset_declared == "meta":
            assert "charset=gb2312" in text and "charset" not in ctype
        elif a.charset_declared == "header":
            assert "charset" not in text.split("</head>")[0] and ctype.endswith("charset=GBK")


def test_wrong_charset_page(portal):
    urls = portal.expected["wrong_charset_urls"]
    assert len(urls) == 1
    page = portal.pages[urls[0]]
    assert b'<meta charset="utf-8">' in page.body
    assert "charset" not in page.headers["Content-Type"]
    with pytest.raises(UnicodeDecodeError):
        page.body.decode("utf-8")
    truth = next(a for a in portal.articles if a.url_path == urls[0])
    assert truth.charset_declared == "wrong" and truth.title in page.body.decode("gbk")


def test_date_formats_present(portal):
    texts = [decode(portal, a.url_path) for a in portal.articles if a.template != "mirror"]
    patterns = [
        r"发布时间：20\d\d-\d\d-\d\d \d\d:\d\d(?!:)",
        r"发布时间：20\d\d-\d\d-\d\d \d\d:\d\d:\d\d",
        r"20\d\d年\d\d月\d\d日(?! \d)",
        r"20\d\d年\d\d月\d\d日 \d\d:\d\d",
        r">20\d\d/\d{1,2}/\d{1,2} \d\d:\d\d<",
        r"<time datetime=\"[^\"]+\">\d\d-\d\d \d\d:\d\d<",
    ]
    for pattern in patterns:
        assert any(re.search(pattern, t) for t in texts), pattern
    years = {a.published_at[:4] for a in portal.articles if a.published_at}
    assert years == {str(y) for y in range(2016, 2025)}


def test_mirror_pages_are_damaged(portal):
    mirrors = [a for a in portal.articles if a.kind == "mirror"]
    joined = "".join(decode(portal, a.url_path) for a in mirrors)
    assert "(tǒng)" in joined and ",," in joined and ",、" in joined and ",。" in joined
    assert "，" not in joined and "：" not in joined and "（" not in joined
    for a in mirrors:
        assert a.published_at is None and a.source is None
        assert re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+\)", a.body)


def test_mirror_damage_rules():
    out = MirrorDamage("x").apply("统一战线会议（扩大）召开：审议、通过。")
    assert out.startswith("統") and "(" in out and ")" in out and ":" in out
    assert "：" not in out and "（" not in out
    assert out == MirrorDamage("x").apply("统一战线会议（扩大）召开：审议、通过。")
    # Pinyin follows the reading in context: 长 in 部长 is zhǎng, in 长江 cháng.
    assert "(zhǎng)" in MirrorDamage("y").apply("部长" * 10)
    assert "(cháng)" not in MirrorDamage("y").apply("部长" * 10)
    assert "(cháng)" in MirrorDamage("y").apply("长江" * 10)


def test_duplicates_and_print_views(portal):
    prints = [p for p in portal.pages if p.endswith("_print.html")]
    assert len(prints) == portal.expected["print_views"]
    for path in prints:
        text = decode(portal, path)
        original = path.replace("_print.html", ".html")
        assert f'<link rel="canonical" href="{original}">' in text
        truth = next(a for a in portal.articles if a.url_path == original)
        assert truth.title in text
        assert f'href="{path.rsplit("/", 1)[1]}"' in decode(portal, original)
    a = next(a for a in portal.articles if a.template == "gov" and a.kind == "original")
    assert portal.lookup(a.url_path + "?utm_source=wechat&from=timeline") == portal.pages[a.url_path]


# ---------------------------------------------------------------- HTTP


def fetch(url: str, method: str = "GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_server_serves_pages(portal, server):
    assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith(":0/")
    status, headers, body = fetch(server.url)
    assert status == 200 and body == portal.pages["/"].body
    assert headers["Content-Type"] == "text/html; charset=utf-8"

    status, _, body = fetch(server.url + "robots.txt")
    assert status == 200 and b"Disallow: /search/" in body

    a = next(a for a in portal.articles if a.template == "mobile")
    status, _, body = fetch(server.url + a.url_path.lstrip("/") + "?utm_source=wechat&from=timeline")
    assert status == 200 and body == portal.pages[a.url_path].body

    for missing in portal.expected["not_found_urls"]:
        assert fetch(server.url + missing.lstrip("/"))[0] == 404
    assert fetch(server.url + "no/such/page.html")[0] == 404
    assert fetch(server.url + "sh/list?page=99")[0] == 404
    for broken in portal.expected["server_error_urls"]:
        assert fetch(server.url + broken.lstrip("/"))[0] == 500
    status, headers, body = fetch(server.url + "uploadfiles/download?id=88")
    assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")

    status, headers, body = fetch(server.url + a.url_path.lstrip("/"), method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) == len(portal.pages[a.url_path].body)


def test_server_handles_concurrency(portal, server):
    paths = [a.url_path for a in portal.articles][:120]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda p: fetch(server.url + p.lstrip("/")), paths))
    assert all(status == 200 for status, _, _ in results)
    assert [body for _, _, body in results] == [portal.pages[p].body for p in paths]


def test_truth_type_is_exported():
    assert ArticleTruth.__dataclass_fields__["canonical_of"].default is None
