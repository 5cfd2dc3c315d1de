"""Decoding response bytes: BOM, header, meta, GB family, and wrong declarations."""

import codecs

import pytest

from crawler.decoding import decode_html, looks_misdecoded, normalize_charset

TEXT = "<html><body><p>海州市召开全市统战工作会议，部署下半年重点工作。</p></body></html>"


def test_bom_wins_over_everything():
    d = decode_html(codecs.BOM_UTF8 + TEXT.encode("utf-8"), "text/html; charset=gbk")
    assert (d.encoding, d.source) == ("utf-8", "bom")
    assert "统战" in d.text


def test_header_before_meta_and_gb_family_as_gb18030():
    body = ('<meta charset="utf-8">' + TEXT).encode("gbk")
    d = decode_html(body, "text/html; charset=GB2312")
    assert (d.encoding, d.source) == ("gb18030", "header")
    assert "统战" in d.text


def test_meta_http_equiv():
    body = ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' + TEXT).encode("gbk")
    d = decode_html(body, "text/html")
    assert (d.encoding, d.source, d.declared) == ("gb18030", "meta", "gb18030")


def test_gbk_only_characters_under_gb2312_label():
    body = ('<meta charset="gb2312">' + "<p>镕基同志在赟城考察，強調要做好工作。</p>").encode("gbk")
    assert "镕" in decode_html(body).text


@pytest.mark.parametrize("declared", ["utf-8", "iso-8859-1", "windows-1252"])
def test_wrong_declaration_is_detected(declared):
    body = (f'<meta charset="{declared}">' + TEXT).encode("gbk")
    d = decode_html(body)
    assert d.source == "detected" and d.encoding == "gb18030" and d.declared == normalize_charset(declared)
    assert "统战" in d.text


def test_undeclared_utf8_and_gbk():
    assert decode_html(TEXT.encode("utf-8")).encoding == "utf-8"
    assert decode_html(TEXT.encode("gbk")).encoding == "gb18030"


def test_unknown_charset_label_falls_back():
    d = decode_html(('<meta charset="x-unknown-9">' + TEXT).encode("utf-8"))
    assert d.encoding == "utf-8" and "统战" in d.text


def test_latin_text_with_accents_is_not_misdecoded():
    assert not looks_misdecoded("Le café de la gare, naïve façade, à côté du théâtre. " * 5)
    assert looks_misdecoded("¹ØÓÚ½øÒ»²½¼ÓÇ¿Í³Õ½¹¤×÷µÄÒâ¼û" * 2)


def test_undeclared_gbk_with_a_few_bad_bytes_is_still_gbk():
    """Cut or patched pages: a stray invalid byte must not send detection to a Cyrillic codepage."""
    body = ("<p>" + "八路军总司令朱德率领刚刚改编完的八路军三个主力师东渡黄河。" * 20 + "</p>").encode("gbk")
    body = body[:300] + b"\xff" + body[300:]
    d = decode_html(body)
    assert d.encoding == "gb18030" and "八路军总司令" in d.text
