"""A page as a list of text blocks: the common ground of metadata and body finding.

A *block* is the inline content of one block-level element, split at ``<br>``:
``<p>一<b>二</b><br>三</p>`` gives the blocks ``一二`` and ``三``. Each block keeps
its element (to score containers), the length of its link text (to spot link
lists) and whether it sits inside boilerplate (share bars, comments, footers,
navigation, related-article lists).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dir div dl dt fieldset figcaption "
    "figure footer form founder-content h1 h2 h3 h4 h5 h6 header hr html li main menu nav ol p "
    "pre section summary table tbody td tfoot th thead tr ul".split()
)
SKIP_TAGS = frozenset("script style noscript template iframe object embed svg select option textarea button head title".split())
# Words that name boilerplate containers in class/id attributes. A class token is
# boilerplate when its first or last word (split at - and _) is one of these:
# "share-bar", "post-comments", "sidebar-second" are; "content-with-sidebar-wrp"
# and "one-sidebar" (body classes of Drupal pages) are not. TRS's body container is
# ``TRS_Editor``, so "editor" is not a noise word.
_NOISE_WORDS = frozenset(
    "share sharing bdshare bshare jiathis social comment comments pinglun footer foot copyright banquan "
    "nav navbar navigation menu sidebar aside related relate relates xgwz xgxw xgxx xglj recommend "
    "recommended tuijian hot rank ad ads advert advertisement guanggao print dayin tool tools toolbar "
    "pager pagination fenye pagenav breadcrumb breadcrumbs crumb crumbs location position weizhi dqwz "
    "login search friendlink yqlj newsletter subscribe cookie cookies popup modal promo".split()
)
_TOKEN_WORDS = re.compile(r"[-_]+")
_NOISE_TAGS = frozenset({"nav", "footer", "aside"})
_NEVER_NOISE = frozenset({"html", "body", "main", "article"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+")


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
# The characters _SPACES folds, for str.strip: a text of nothing else cleans to "".
_SPACE_CHARS = " \t\r\n\f\v\u00a0" + "".join(map(chr, range(0x2000, 0x200C))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"


def clean_text(text: str) -> str:
    """Fold runs of whitespace (incl. NBSP and ideographic spaces) to one space, strip;
    drop private-use characters (icon fonts draw their glyphs there).

    >>> clean_text("\\u3000\\u3000海州市　召开\\xa0会议 \\ue004\\n")
    '海州市 召开 会议'
    """
    if text.isprintable() and "  " not in text:
        # No private-use character and no space but single ASCII ones: nothing to fold.
        return text.strip()
    return _SPACES.sub(" ", _PRIVATE_USE.sub("", text)).strip()


def is_noise(el) -> bool:
    """True for boilerplate containers: nav/footer/aside, or a class/id naming one."""
    tag = el.tag
    if tag in _NOISE_TAGS:
        return True
    if tag in _NEVER_NOISE:
        return False
    cls, ident = el.get("class"), el.get("id")
    if not cls and not ident:
        return False
    return _noise_attrs(f"{cls or ''} {ident or ''}")


@lru_cache(maxsize=8192)
def _noise_attrs(attrs: str) -> bool:
    """Whether a class/id value names boilerplate (pages repeat the same few values)."""
    for token in attrs.lower().split():
        words = [w for w in _TOKEN_WORDS.split(token) if w]
        if words and (words[0] in _NOISE_WORDS or words[-1] in _NOISE_WORDS):
            return True
    return False


@dataclass(slots=True)
class Block:
    element: object
    text: str
    link_chars: int
    noisy: bool


def _tag(el) -> str | None:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else None


def _inline_text(el) -> tuple[str, int]:
    """Text of an inline element and how much of it is link text, in document order:
    each node's text, then its children's (each followed by its tail). Skipped elements
    (``SKIP_TAGS``) give only their tail, and none of their link text counts.

    >>> from lxml import html
    >>> _inline_text(html.fragment_fromstring("<span>制定的<a><b>法律</b></a>。</span>"))
    ('制定的法律。', 2)
    >>> _inline_text(html.fragment_fromstring("<span>正文<noscript><a>请开启JavaScript</a></noscript>结束</span>"))
    ('正文结束', 0)
    """
    if not len(el):  # a leaf, the common case
        text = el.text or ""
        return text, len(text) if el.tag == "a" else 0
    parts: list[str] = []
    links = 0

    def walk(node, in_link: bool) -> None:
        nonlocal links
        tag = node.tag
        if isinstance(tag, str) and tag.lower() in SKIP_TAGS:
            return  # neither its text nor its links; its tail is its parent's
        in_link = in_link or tag == "a"
        if node.text and isinstance(tag, str):
            parts.append(node.text)
            links += len(node.text) if in_link else 0
        for child in node:
            walk(child, in_link)
            if child.tail:
                parts.append(child.tail)
                links += len(child.tail) if in_link else 0

    walk(el, False)
    return "".join(parts), links


def _holds_block(el) -> bool:
    """Whether a block-level element is below ``el`` (inline elements hold few nodes: a
    Python loop beats building lxml's matcher for 45 tags on each)."""
    for node in el.iterdescendants():
        if node.tag in BLOCK_TAGS:
            return True
    return False


def page_blocks(root) -> list[Block]:
    """Every text block of the document under ``root``, in document order. ``root``: a
    tree from an HTML parser (:func:`parse_html`), whose tag names are lower case."""
    blocks: list[Block] = []

    def flush(buf: list[str], links: int, block, noisy: bool) -> None:
        text = clean_text("".join(buf))
        if text:
            blocks.append(Block(block, text, min(links, len(text)), noisy))

    def visit(block, noisy: bool) -> None:
        # A buffer starts at a string with more than layout whitespace in it (clean_text
        # strips leading whitespace anyway), so an empty buf needs no flush and most
        # of the text between block elements never gets into one.
        text = block.text
        buf: list[str] = [text] if text and text.strip(_SPACE_CHARS) else []
        links = 0
        for child in block:
            tag = child.tag  # lower case: libxml2's HTML parser folds tag names
            if isinstance(tag, str):
                if tag in SKIP_TAGS:
                    pass
                elif tag == "br":
                    if buf:
                        flush(buf, links, block, noisy)
                        buf = []
                    links = 0
                elif tag in BLOCK_TAGS or len(child) and _holds_block(child):
                    if buf:
                        flush(buf, links, block, noisy)
                        buf = []
                    links = 0
                    visit(child, noisy or is_noise(child))
                else:
                    text, link_chars = _inline_text(child)
                    if text and (buf or text.strip(_SPACE_CHARS)):
                        buf.append(text)
                    links += link_chars
            text = child.tail
            if text and (buf or text.strip(_SPACE_CHARS)):
                buf.append(text)
        if buf:
            flush(buf, links, block, noisy)

    visit(root, is_noise(root) if _tag(root) != "html" else False)
    return blocks


def parse_html(text: str, utf8: bytes | None = None):
    """An lxml root for ``text``; never raises on junk (an empty document instead).
    ``utf8``: ``text`` encoded as UTF-8, when the caller has it (the bytes of a page
    that decoded as UTF-8), which spares encoding it again."""
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, encoding="utf-8")
    root = etree.fromstring(text.encode("utf-8", "surrogatepass") if utf8 is None else utf8, parser)
    if root is None:
        root = etree.fromstring(b"<html><body></body></html>", parser)
    return root
