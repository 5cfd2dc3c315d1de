"""The shortcuts extract_article takes must not change what it finds.

``breadcrumb`` and ``find_keywords`` take the page's blocks and its named elements
(:func:`~crawler.extraction.metadata.named_elements`) from the caller, to skip work;
``parse_html`` takes the page's own UTF-8 bytes. Each is checked here against the way
without the shortcut, on every HTML page of the sample portal and the extraction
fixtures, and on pages made to sit at their edges.
"""

from pathlib import Path

import pytest

from crawler.decoding import decode_html, looks_misdecoded
from crawler.extraction import extract_article
from crawler.extraction.blocks import page_blocks, parse_html
from crawler.extraction.metadata import _tag_container_links, breadcrumb, find_keywords, named_elements
from crawler.portal import build_portal

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def _pages() -> list[tuple[str, str, bytes, str]]:
    """(name, url, bytes, content type) of the portal's HTML pages and the fixtures."""
    pages = [(f.name, f"http://www.example.gov.cn/{f.name}", f.read_bytes(), "text/html")
             for f in sorted(FIXTURES.glob("*.html"))]
    for path, page in build_portal().pages.items():
        ctype = page.headers["Content-Type"]
        if page.status == 200 and ctype.startswith("text/html"):
            pages.append((path, f"http://www.haizhou.gov.cn{path}", page.body, ctype))
    return pages


PAGES = _pages()


def test_shortcuts_find_what_the_full_walks_find():
    with_trail = with_tags = 0
    for name, url, body, ctype in PAGES:
        root = parse_html(decode_html(body, ctype).text)
        blocks, named = page_blocks(root), named_elements(root)
        crumbs = breadcrumb(root, url)
        assert breadcrumb(root, url, blocks, lambda: named) == crumbs, name
        tags = _tag_container_links(named)
        assert find_keywords(root, {}, {}, "", [], lambda: named) == find_keywords(root, {}, {}, "", []), name
        with_trail += bool(crumbs)
        with_tags += bool(tags)
    # The comparison covered pages that have a trail and a tag list, not only pages without.
    assert with_trail > 100 and with_tags > 10, (with_trail, with_tags)


@pytest.mark.parametrize("between", [
    "<button>&gt;</button>",         # a separator only in text the blocks skip
    "<noscript>»</noscript>",
    " &gt; ",
])
def test_a_trail_of_links_is_found_with_blocks_given(between):
    html = (f'<html><body><div><a href="/">首页</a>{between}<a href="/xw/">新闻中心</a></div>'
            "<h1>标题</h1><p>正文第一段，足够长的一段文字。</p></body></html>")
    root = parse_html(html)
    want = [{"name": "首页", "url": "http://a.cn/"}, {"name": "新闻中心", "url": "http://a.cn/xw/"}]
    assert breadcrumb(root, "http://a.cn/xw/1.html") == want
    assert breadcrumb(root, "http://a.cn/xw/1.html", page_blocks(root), lambda: named_elements(root)) == want


def test_no_separator_no_trail_with_or_without_blocks():
    root = parse_html('<html><body><div><a href="/">首页</a> | <a href="/xw/">新闻中心</a></div></body></html>')
    assert breadcrumb(root, "http://a.cn/") == breadcrumb(root, "http://a.cn/", page_blocks(root)) == []


def test_parse_html_from_the_pages_own_utf8_gives_the_same_tree():
    from lxml import etree
    for name, _, body, ctype in PAGES[:60]:
        decoded = decode_html(body, ctype)
        if decoded.encoding != "utf-8" or "\ufffd" in decoded.text:
            continue
        assert etree.tostring(parse_html(decoded.text, body)) == etree.tostring(parse_html(decoded.text)), name


def test_broken_utf8_is_encoded_again_not_taken_as_it_came():
    # A page with a bad byte decodes with U+FFFD; its bytes are not its text's UTF-8. A cut
    # sequence (the first two bytes of 正) is one U+FFFD to Python, two to libxml2.
    body = "<html><head><meta charset=utf-8><title>标题很长的一篇新闻</title></head><body><h1>标题很长的一篇新闻</h1>" \
           "<div class=TRS_Editor><p>正文第一段，足够长的一段文字。</p></div></body></html>"
    raw = body.encode("utf-8").replace("正文".encode("utf-8"), b"\xe6\xad" + "文".encode("utf-8"))
    article = extract_article("http://a.cn/t20160804_1.html", raw)
    assert article.body.startswith("\ufffd文第一段")


@pytest.mark.parametrize("text, bad", [
    ("纯中文的正文，没有任何问题。" * 20, False),
    ("ASCII only " * 50, False),
    ("é" * 3 + "abc" * 100, False),                     # isolated accents: no run of Latin-1 letters
    ("ä¸­æ–‡å­—ç¬¦ä¸²çš„ä¹±ç ï¼Œæ˜¯è¿™æ ·çš„ã€‚" * 3, True),  # UTF-8 read as cp1252
    ("正文\ufffd\ufffd\ufffd" + "字" * 100, True),      # replacement characters, more than a stray few
    ("\U0001f600 表情" * 30, False),                     # astral characters count once each
])
def test_looks_misdecoded(text, bad):
    assert looks_misdecoded(text) is bad
