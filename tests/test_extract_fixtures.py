"""Extraction from stored pages: fixture page -> expected fields, one by one.

Each ``fixtures/extract/NAME.html`` has a ``NAME.json`` with the URL it came from
and the expected value of every field it states.
"""

import json
from pathlib import Path

import pytest

from crawler.extraction import ExtractionError, extract_article, page_kind

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CASES = sorted(p.stem for p in FIXTURES.glob("*.json"))


@pytest.mark.parametrize("name", CASES)
def test_fixture_fields(name):
    spec = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    article = extract_article(spec["url"], (FIXTURES / f"{name}.html").read_bytes())
    for field, expected in spec["expected"].items():
        assert getattr(article, field) == expected, field


def test_every_field_has_provenance():
    article = extract_article("http://www.example.gov.cn/a/t20160804_1.html",
                              (FIXTURES / "gov_utf8.html").read_bytes())
    assert set(article.provenance) >= {"title", "body", "published_at", "author", "source",
                                       "editor", "keywords", "breadcrumb"}


def test_no_title_and_empty_body_are_errors_with_reasons():
    with pytest.raises(ExtractionError) as no_title:
        extract_article("http://a.cn/t20160804_1.html", "<html><title></title><body><p>正文。</p></body></html>")
    assert no_title.value.reason == "no_title"
    with pytest.raises(ExtractionError) as empty:
        extract_article("http://a.cn/t20160804_1.html",
                        "<html><title>标题很长的一篇新闻_网站</title><body><h1>标题很长的一篇新闻</h1>"
                        "<div class='TRS_Editor'></div></body></html>")
    assert empty.value.reason == "empty_body"


def test_junk_input_does_not_crash():
    for junk in (b"", b"\x00\xff\xfe" * 100, b"<html", "<<<>>>".encode(), b"%PDF-1.4 binary"):
        with pytest.raises(ExtractionError):
            extract_article("http://a.cn/t20160804_1.html", junk)


def test_pinyin_damaged_labels_still_found():
    html = ("<html><head><title>會議召開</title></head><body><h1>寧波會議召開了</h1><div class='content'>"
            "<p>8月1日,市委召開統(tǒng)戰(zhàn)工作會議,,審議有關文件。會議強調(diào),要加強協(xié)調(diào)。</p>"
            "<p>編(biān)輯(jí):秦雲</p><p>關(guān)鍵詞:寧波 統(tǒng)戰(zhàn)</p></div></body></html>")
    article = extract_article("http://m.example.cn/20160804/1234.html", html)
    assert article.editor == "秦雲"
    assert article.keywords == ["寧波", "統(tǒng)戰(zhàn)"]
    assert "秦雲" not in article.body and "鍵詞" not in article.body


@pytest.mark.parametrize("url,kind", [
    ("http://a.cn/yw/201608/t20160804_1234.html", "article"),
    ("http://a.cn/paper/html/2016-08/04/content_1234.htm", "article"),
    ("http://a.cn/m/article/1234.html", "article"),
    ("http://a.cn/yw/index_3.html", "list"),
    ("http://a.cn/sh/list?page=2", "list"),
    ("http://a.cn/", "list"),
])
def test_page_kind_by_url(url, kind):
    assert page_kind(url) == kind


def test_page_kind_by_content_when_url_says_nothing():
    prose = "<p>" + "市政府召开常务会议，研究部署下一阶段重点工作。" * 6 + "</p>"
    links = "<ul>" + "".join(f"<li><a href='/a{i}'>新闻标题第{i}条</a></li>" for i in range(30)) + "</ul>"
    assert page_kind("http://a.cn/zwgk/show?id=1", f"<html><body><h1>标题</h1>{prose * 3}</body></html>") == "article"
    assert page_kind("http://a.cn/zwgk/show?id=1", f"<html><body>{links}</body></html>") == "list"


@pytest.mark.parametrize("html,names", [
    # unlabelled trail of links joined by ">" after a menu of links joined by "|"
    ("<div><a href='/'>首页</a> | <a href='/a'>新闻</a> | <a href='/b'>体育</a></div>"
     "<div><a href='/'>网易首页</a> &gt; <a href='/news/'>新闻中心</a> &gt; <a href='/gn/'>国内新闻</a> &gt; 正文</div>",
     ["网易首页", "新闻中心", "国内新闻", "正文"]),
    # a trail container named by its class, one link and a text crumb in spans
    ("<div class='channel-path'><a href='/china/'>国内新闻</a><span>&gt;</span><span>正文</span></div>",
     ["国内新闻", "正文"]),
    # an icon, no label, links joined by bare ">", and a blank crumb the CMS left empty
    ("<div class='mm_cur'><img src='home.jpg'/> <a href='../../'>首页</a>&gt;<a href='../'>动态信息</a>&gt;"
     "<a href='./x/'></a>&gt;<a href='./'>政务动态</a></div>",
     ["首页", "动态信息", "政务动态"]),
    # 现在位置： and >> separators, a text crumb at the end
    ("<table><tr><td>&nbsp; 现在位置： <a href='/'>首页</a> &gt;&gt; <a href='/dq/'>东区新闻</a> &gt;&gt; 正文</td></tr></table>",
     ["首页", "东区新闻", "正文"]),
    # a label without a colon and links separated by spaces only
    ("<div id='szwei'><span>您所在的位置&nbsp;</span><a href='../'>首页</a>&nbsp;<a href='../zt/'>专题频道</a></div>",
     ["首页", "专题频道"]),
])
def test_breadcrumb_forms(html, names):
    page = f"<html><head><title>标题文字_网站</title></head><body>{html}<h1>标题文字</h1>" \
           f"<div><p>{'正文内容，足够长的一段话。' * 10}</p></div></body></html>"
    article = extract_article("http://a.cn/x/t20160804_1.html", page)
    assert [c["name"] for c in article.breadcrumb] == names


def test_menu_is_not_a_breadcrumb():
    page = ("<html><head><title>标题文字_网站</title></head><body>"
            "<div><a href='/a'>新闻</a> | <a href='/b'>体育</a> | <a href='/c'>娱乐</a></div><h1>标题文字</h1>"
            f"<div><p>{'正文内容，足够长的一段话。' * 10}</p></div></body></html>")
    assert extract_article("http://a.cn/x/t20160804_1.html", page).breadcrumb == []


def test_canonical_link_to_the_home_page_is_ignored():
    page = ("<html><head><title>标题文字_网站</title><link rel='canonical' href='/'></head><body><h1>标题文字</h1>"
            f"<div><p>{'正文内容，足够长的一段话。' * 10}</p></div></body></html>")
    article = extract_article("http://a.cn/yw/t20160804_1.html", page)
    assert article.canonical_url == "http://a.cn/yw/t20160804_1.html"
