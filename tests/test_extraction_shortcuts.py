"""The shortcuts extract_article takes must not change what it finds.

``breadcrumb`` and ``find_keywords`` take the page's blocks and its named elements
(:func:`~crawler.extraction.metadata.named_elements`) from the caller, to skip work;
``parse_html`` takes the page's own UTF-8 bytes. Each is checked here against the way
without the shortcut, on every HTML page of the sample portal and the extraction
fixtures, and on pages made to sit at their edges.
"""

import codecs
from pathlib import Path

import pytest

from crawler.decoding import decode_html, looks_misdecoded
from crawler.extraction import ExtractionError, extract_article
from crawler.extraction.blocks import page_blocks, parse_html
from crawler.extraction.metadata import _tag_container_links, breadcrumb, named_elements
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

# Pages at the edges of the shortcuts: labelled trails (one in an element with no class,
# joined by "-", which the chain search does not take), unnamed elements inside and
# between trails, nested trails, class values that only match ignoring case the way
# re.I does (ſ is s to it), a separator in a <title> child.
EDGES = [
    '<div><span>当前位置：</span><a href="/">首页</a> - <a href="/xw/">新闻</a></div>',
    '<div class="top"><span>当前位置：</span><a href="/">首页</a> &gt; <a href="/xw/">新闻</a></div>',
    '<div class="crumbs"><div><a href="/">首页</a><span>&gt;</span><p><a href="/xw/">新闻</a></p></div></div>',
    '<div class="crumb"><div class="breadcrumb"><a href="/">首页</a> » <a href="/xw/">新闻</a></div></div>'
    '<div class="location"><a href="/">首页</a> › <a href="/a/">别处</a></div>',
    '<div class="poſition"><a href="/">首页</a> | <a href="/xw/">新闻</a></div>',
    '<div class="POSİTION"><a href="/">首页</a> | <a href="/xw/">新闻</a></div>',
    '<div class="BreadCrumb"><a href="/">首页</a>-<a href="/xw/">新闻</a></div>',
    '<html><head><title><b>&gt;</b></title></head><div><a href="/">首页</a><title><b>&gt;</b></title>'
    '<a href="/xw/">新闻</a></div></html>',
    '<div class="news-tags"><a>统一战线</a><a>协商</a></div><div class="TAGS"><a>甲</a><a>乙</a></div>',
    '<div class="keywordſ"><a>统一战线</a><a>协商</a></div>',
]


def _tag_links_reference(root) -> list[str]:
    """_tag_container_links as it was before named_elements: a walk over every element."""
    import re

    from crawler.extraction.blocks import clean_text
    from crawler.extraction.metadata import _TAG_WORDS
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.attrib:
            continue
        attrs = f"{el.get('class', '')} {el.get('id', '')}"
        if not re.search(r"tag|keyword|biaoqian|gjc", attrs, re.I):
            continue
        words = {w for token in attrs.lower().split() for w in re.split(r"[-_]+", token) if w}
        if not words & _TAG_WORDS:
            continue
        texts = [t for t in (clean_text("".join(a.itertext())) for a in el.iter("a")) if t]
        if 1 <= len(texts) <= 12 and all(len(t) <= 16 for t in texts):
            return texts
    return []


def test_shortcuts_find_what_the_full_walks_find():
    pages = [(name, url, decode_html(body, ctype).text) for name, url, body, ctype in PAGES]
    pages += [(f"edge {i}", "http://a.cn/xw/1.html", html) for i, html in enumerate(EDGES)]
    with_trail = with_tags = 0
    for name, url, html in pages:
        root = parse_html(html)
        blocks, named = page_blocks(root), named_elements(root)
        crumbs = breadcrumb(root, url)  # no shortcut: every element, and the chain search
        assert breadcrumb(root, url, blocks, lambda: named) == crumbs, name
        tags = _tag_links_reference(root)
        assert _tag_container_links(named) == tags, name
        with_trail += bool(crumbs)
        with_tags += bool(tags)
    # The comparison covered pages that have a trail and a tag list, not only pages without.
    assert with_trail > 100 and with_tags > 10, (with_trail, with_tags)


def test_a_labelled_trail_in_an_element_without_a_class():
    root = parse_html(EDGES[0])
    want = ["首页", "新闻"]
    assert [c["name"] for c in breadcrumb(root, "http://a.cn/")] == want
    assert [c["name"] for c in breadcrumb(root, "http://a.cn/", page_blocks(root), lambda: named_elements(root))] == want


def test_class_values_match_ignoring_case_as_before():
    for html in EDGES[4:7]:
        root = parse_html(html)
        assert [c["name"] for c in breadcrumb(root, "http://a.cn/", page_blocks(root), lambda: named_elements(root))] \
            == ["首页", "新闻"], html


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


def test_a_separator_in_an_element_inside_a_title_counts():
    # _link_stream skips a <title>'s own text, not its children's: built by hand, as
    # libxml2's HTML parser (2.14 and later) keeps no element inside a title.
    from lxml import etree
    root = parse_html('<html><body><div><a href="/">首页</a><a href="/xw/">新闻中心</a></div></body></html>')
    first = root.find(".//a")
    title = etree.Element("title")
    etree.SubElement(title, "b").text = "›"
    first.addnext(title)
    want = [{"name": "首页", "url": "http://a.cn/"}, {"name": "新闻中心", "url": "http://a.cn/xw/"}]
    assert breadcrumb(root, "http://a.cn/xw/1.html") == want
    assert breadcrumb(root, "http://a.cn/xw/1.html", page_blocks(root), lambda: named_elements(root)) == want


def test_no_separator_no_trail_with_or_without_blocks():
    root = parse_html('<html><body><div><a href="/">首页</a> | <a href="/xw/">新闻中心</a></div></body></html>')
    assert breadcrumb(root, "http://a.cn/") == breadcrumb(root, "http://a.cn/", page_blocks(root)) == []


def test_a_page_parsed_from_its_own_utf8_gives_the_same_article():
    # extract_article of the decoded text encodes it again; of the bytes, it takes them
    # as they came when they decoded as UTF-8 (most of the portal's pages).
    taken = 0
    for name, url, body, ctype in PAGES:
        decoded = decode_html(body, ctype)
        try:
            from_bytes = extract_article(url, body, content_type=ctype)
        except ExtractionError:
            with pytest.raises(ExtractionError):
                extract_article(url, decoded.text)
            continue
        from_text = extract_article(url, decoded.text)
        from_text.encoding, from_text.encoding_from = from_bytes.encoding, from_bytes.encoding_from
        assert from_text == from_bytes, name
        taken += decoded.encoding == "utf-8"
    assert taken > 100


def test_broken_utf8_is_encoded_again_not_taken_as_it_came():
    # A page with a bad byte decodes with U+FFFD; its bytes are not its text's UTF-8. A cut
    # sequence (the first two bytes of 正) is one U+FFFD to Python, two to libxml2.
    body = "<html><head><meta charset=utf-8><title>标题很长的一篇新闻</title></head><body><h1>标题很长的一篇新闻</h1>" \
           "<div class=TRS_Editor><p>正文第一段，足够长的一段文字。</p></div></body></html>"
    raw = body.encode("utf-8").replace("正文".encode("utf-8"), b"\xe6\xad" + "文".encode("utf-8"))
    article = extract_article("http://a.cn/t20160804_1.html", raw)
    assert article.body.startswith("\ufffd文第一段")


@pytest.mark.parametrize("html, want", [
    # (tag, text, link characters, noisy) as page_blocks gave them before buffers stopped
    # starting at layout whitespace and before tag names stopped being lower-cased again.
    ('<div>\n  <p> 正文 <a href="#"> </a>第一段</p>\n  <a href="#">\u3000</a><b> </b>尾巴<br>'
     '  <a href="/x">链接文字</a>\n</div>',
     [("p", "正文 第一段", 1, False), ("div", "尾巴", 1, False), ("div", "链接文字", 4, False)]),
    ('<div><span>\x85</span> <a href="#">链</a> 文</div><p>\ue004\u200b<a>\u00a0</a></p><P>大写<BR>标签</P>',
     [("div", "链 文", 1, False), ("p", "大写", 0, False), ("p", "标签", 0, False)]),
    ('<div> <noscript>看不见</noscript> <a href="/">首页</a>\n<span> <a href="/a">要闻</a> </span>尾</div>',
     [("div", "首页 要闻 尾", 4, False)]),
    ("<p>甲<b> </b>乙</p>", [("p", "甲 乙", 0, False)]),  # layout whitespace inside a block is kept
])
def test_page_blocks_around_layout_whitespace(html, want):
    assert [(b.element.tag, b.text, b.link_chars, b.noisy) for b in page_blocks(parse_html(html))] == want


@pytest.mark.parametrize("text, bad", [
    ("纯中文的正文，没有任何问题。" * 20, False),
    ("ASCII only " * 50, False),
    ("é" * 3 + "abc" * 100, False),                     # isolated accents: no run of Latin-1 letters
    ("ä¸­æ–‡å­—ç¬¦ä¸²çš„ä¹±ç ï¼Œæ˜¯è¿™æ ·çš„ã€‚" * 3, True),  # UTF-8 read as cp1252
    ("正文\ufffd\ufffd\ufffd" + "字" * 100, True),      # replacement characters, more than a stray few
    ("\U0001f600 表情" * 30, False),
    ("\ufffd" * 3 + "\U0001f600" * 1000, True),           # 3 of 1,003 characters: astral ones count once
])
def test_looks_misdecoded(text, bad):
    assert looks_misdecoded(text) is bad
    assert looks_misdecoded(text, text.encode("utf-8")) is bad  # the bytes it decoded from, handed over


def test_decoding_hands_over_only_bytes_that_are_the_texts_utf8(monkeypatch):
    import crawler.decoding as decoding
    handed = []

    def checked(text, utf8=None):
        if utf8 is not None:
            assert utf8 == text.encode("utf-8", "surrogatepass")
            handed.append(len(utf8))
        return looks_misdecoded(text, utf8)

    monkeypatch.setattr(decoding, "looks_misdecoded", checked)
    # Declared UTF-8 with a cut sequence, undeclared UTF-8, and the portal's pages.
    cut = ("<meta charset=utf-8><p>" + "正文" * 50 + "</p>").encode("utf-8").replace("文".encode(), b"\xe6\x96", 1)
    bodies = [cut, ("<p>" + "正文" * 50 + "</p>").encode("utf-8")] + [body for _, _, body, _ in PAGES]
    bodies.append(codecs.BOM_UTF8 + bodies[1])
    kept = 0
    for body in bodies:
        decoded = decoding.decode_html(body)
        if decoded.utf8 is not None:  # what extract_article hands lxml
            assert decoded.utf8 == decoded.text.encode("utf-8", "surrogatepass")
            kept += 1
    assert len(handed) > 100 and kept > 100
    assert decoding.decode_html(cut).utf8 is None and decoding.decode_html(bodies[-1]).utf8 is not None
