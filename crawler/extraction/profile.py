"""The site-profile step of extraction: a profile's selectors, noise and charset.

Pure functions of a parsed page and a :class:`crawler.profiles.Profile`, no
Scrapy objects. In the chain of :func:`crawler.extraction.extract_article` they
come first: :func:`decode_for_profile` replaces the decoder when the profile
fixes a charset, :func:`remove_noise` drops the profile's noise elements before
anything is looked for, and :func:`profile_fields` gives, for each field the
profile has selectors for, the value of the first selector that yields one.
Fields it does not give are left to the generic rules.

Values have the shape of the ``Article`` field: title, source, author and editor
as cleaned text (a labelled line such as ``来源：海州日报`` gives its value);
published_at as ISO 8601; keywords as a list; body as paragraphs joined by
``\\n``; breadcrumb as ``[{"name", "url"}]``. The rule recorded with each value is
``profile:<selector>``.
"""

from __future__ import annotations

import codecs
import re
from urllib.parse import urljoin

from parsel import Selector

from ..decoding import Decoded, charset_from_content_type, charset_from_meta, decode_html, own_utf8
from ..profiles import Profile, selector_xpath
from .blocks import Block, clean_text, page_blocks
from .dates import parse_date
from .metadata import clean_name_value, labelled_values, link_texts, split_keywords

# A byte-order mark is not a declaration but a fact about the bytes: it wins over
# a profile's charset, as it wins over the HTTP header in browsers (WHATWG).
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CRUMB_SEP = re.compile(r"\s*(?:>|＞|›|»|→|/|\\)\s*")
_CRUMB_TRIM = " :：,，.。;；、"
# Name fields: the value of their own labelled line (来源：, 作者：, 责任编辑：…).
_NAME_FIELDS = ("source", "author", "editor")


def decode_for_profile(body: bytes, content_type: str | bytes | None, profile: Profile | None) -> Decoded:
    """Decode a page: with the profile's charset when it has one (``source`` "profile"), else as usual.

    >>> from dataclasses import replace
    >>> from crawler.profiles import load_profile
    >>> gbk = replace(load_profile("haizhou"), charset="gb18030")
    >>> d = decode_for_profile("<meta charset=utf-8><p>关于</p>".encode("gbk"), None, gbk)
    >>> d.text[-9:], d.encoding, d.source, d.declared
    ('<p>关于</p>', 'gb18030', 'profile', 'utf-8')
    """
    if profile is None or profile.charset is None or body.startswith(_BOMS):
        return decode_html(body, content_type)
    declared = charset_from_content_type(content_type) or charset_from_meta(body)
    text = body.decode(profile.charset, errors="replace")
    return Decoded(text, profile.charset, "profile", declared, own_utf8(body, text, profile.charset))


def select(root, selector: str) -> list:
    """What a profile selector finds under ``root``: elements, or strings for ``::text``,
    ``::attr()``, ``/@attr`` and ``text()``; numbers and booleans are ignored.
    Elements nested in an earlier match are left out, so no text is taken twice."""
    found = []
    for item in Selector(root=root).xpath(selector_xpath(selector)):
        value = item.root
        if isinstance(value, str):
            found.append(str(value))
        elif hasattr(value, "tag") and isinstance(value.tag, str):
            found.append(value)
    elements = {id(v) for v in found if not isinstance(v, str)}
    return [v for v in found
            if isinstance(v, str) or not any(id(a) in elements for a in v.iterancestors())]


def remove_noise(root, profile: Profile | None) -> int:
    """Remove the elements of the profile's noise selectors from ``root``; return how many.

    Text that follows a removed element (its ``tail``) stays in the document.

    >>> from dataclasses import replace
    >>> from crawler.extraction.blocks import parse_html
    >>> from crawler.profiles import load_profile
    >>> p = replace(load_profile("haizhou"), noise=("div.share", "xpath://span[@class='font']"))
    >>> root = parse_html('<div class="info">来源：本网<span class="font">【字体：大 小】</span>　作者：李四</div>'
    ...                   '<div class="share">分享到：微信</div>')
    >>> remove_noise(root, p), clean_text("".join(root.itertext()))
    (2, '来源：本网 作者：李四')
    """
    if profile is None or not profile.noise:
        return 0
    removed = 0
    for selector in profile.noise:
        for el in select(root, selector):
            if isinstance(el, str) or el.getparent() is None or not _attached(el, root):
                continue  # text results, the root itself, inside an element already removed
            _drop(el)
            removed += 1
    return removed


def _attached(el, root) -> bool:
    return any(a is root for a in el.iterancestors())


def _drop(el) -> None:
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _blocks(item) -> list[Block]:
    if isinstance(item, str):
        text = clean_text(item)
        return [Block(None, text, 0, False)] if text else []
    return page_blocks(item)


def _text(item) -> str:
    return " ".join(b.text for b in _blocks(item))


def _labelled(item, field: str) -> str | None:
    """A name field's value from one match: its own labelled line (``来源：X`` -> X) if it has
    one; its whole text if it has no labelled line at all; else None (the match holds other
    metadata, e.g. a date line without a source)."""
    blocks = _blocks(item)
    lines = labelled_values(blocks)
    if field in lines:
        return clean_name_value(field, lines[field][0])
    if lines or not blocks:
        return None
    return clean_name_value(field, " ".join(b.text for b in blocks))


def _keywords(found: list) -> list[str]:
    if len(found) > 1:  # one match per keyword: tag links
        out: list[str] = []
        for item in found:
            text = _text(item)
            if text and text not in out:
                out.append(text)
        return out
    blocks = _blocks(found[0]) if found else []
    lines = labelled_values(blocks)
    if "keywords" in lines:
        value, _rule, block = lines["keywords"]
        tags = link_texts(block, value)
        # Adjacent tag links render as separate words but join in the text.
        return split_keywords(" ".join(tags)) if len(tags) > 1 else split_keywords(value)
    if lines:
        return []
    return split_keywords(" ".join(b.text for b in blocks))


def _breadcrumb(found: list, url: str) -> list[dict]:
    crumbs = []
    last = None
    for item in found:
        if isinstance(item, str):
            continue
        for a in ([item] if item.tag == "a" else item.iter("a")):
            name = clean_text("".join(a.itertext()))
            if name:
                href = (a.get("href") or "").strip()
                crumbs.append({"name": name, "url": urljoin(url, href) if href else None})
                last = a
    # Text after the last link is the current page or section (> 正文, > 政策解读).
    if last is not None and len(found) == 1:
        for name in _CRUMB_SEP.split(clean_text(last.tail or "")):
            name = name.strip(_CRUMB_TRIM)
            if name:
                crumbs.append({"name": name, "url": None})
    return crumbs


def _value(field: str, found: list, url: str):
    if not found:
        return None
    if field == "title":
        return next((t for t in map(_text, found) if t), None)
    if field == "body":
        paragraphs = [b.text for item in found for b in _blocks(item)]
        return "\n".join(paragraphs) or None
    if field == "published_at":
        return next((d for d in (parse_date(_text(item)) for item in found) if d), None)
    if field in _NAME_FIELDS:
        return next((v for v in (_labelled(item, field) for item in found) if v), None)
    if field == "keywords":
        return _keywords(found) or None
    if field == "breadcrumb":
        return _breadcrumb(found, url) or None
    raise ValueError(f"no such profile field: {field}")


def profile_fields(root, url: str, profile: Profile | None) -> dict[str, tuple[object, str]]:
    """field -> (value, ``"profile:<selector>"``) for each field a profile selector finds.

    For each field, the selectors are tried in order and the first that yields a
    value wins; a field none of them yields is absent (the generic rules decide it).

    >>> from crawler.extraction.blocks import parse_html
    >>> from crawler.profiles import load_profile
    >>> root = parse_html('<div class="location"><a href="/">首页</a> &gt; <a href="/yw/">要闻</a></div>'
    ...                   '<h1>海州召开会议</h1><div class="info">发布日期：2016-08-04　来源：海州日报</div>'
    ...                   '<div class="TRS_Editor"><p>　　第一段。</p><p>第二段。</p></div>')
    >>> found = profile_fields(root, "http://a.cn/yw/t20160804_1.html", load_profile("haizhou"))
    >>> found["title"], found["body"][0], found["published_at"][0], found["source"]
    (('海州召开会议', 'profile:h1'), '第一段。\\n第二段。', '2016-08-04', ('海州日报', 'profile:div.info'))
    >>> [c["url"] for c in found["breadcrumb"][0]], "author" in found
    (['http://a.cn/', 'http://a.cn/yw/'], False)
    """
    if profile is None:
        return {}
    out: dict[str, tuple[object, str]] = {}
    for field, selectors in profile.selectors.items():
        for selector in selectors:
            value = _value(field, select(root, selector), url)
            if value:
                out[field] = (value, f"profile:{selector}")
                break
    return out


__all__ = ["decode_for_profile", "profile_fields", "remove_noise", "select"]
