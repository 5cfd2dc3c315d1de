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


def clean_text(text: str) -> str:
    """Fold runs of whitespace (incl. NBSP and ideographic spaces) to one space, strip;
    drop private-use characters (icon fonts draw their glyphs there).

    >>> clean_text("\\u3000\\u3000海州市　召开\\xa0会议 \\ue004\\n")
    '海州市 召开 会议'
    """
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
    attrs = f"{cls or ''} {ident or ''}".lower()
    for token in attrs.split():
        words = [w for w in _TOKEN_WORDS.split(token) if w]
        if words and (words[0] in _NOISE_WORDS or words[-1] in _NOISE_WORDS):
            return True
    return False


@dataclass
class Block:
    element: object
    text: str
    link_chars: int
    noisy: bool


def _tag(el) -> str | None:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else None


def _inline_text(el) -> tuple[str, int]:
    """Text of an inline element and how much of it is link text."""
    parts = []
    for node in el.iter():
        if node.text and _tag(node) not in SKIP_TAGS and _tag(node) is not None:
            parts.append(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
    links = sum(len("".join(a.itertext())) for a in el.iter("a"))
    return "".join(parts), links


def _elements_holding_blocks(root) -> set:
    """Every element with a block-level element below it (one pass, bottom-up)."""
    holding: set = set()
    for el in root.iter(*BLOCK_TAGS):
        for ancestor in el.iterancestors():
            if ancestor in holding:
                break
            holding.add(ancestor)
    return holding


def page_blocks(root) -> list[Block]:
    """Every text block of the document under ``root``, in document order."""
    blocks: list[Block] = []
    holding = _elements_holding_blocks(root)

    def visit(block, noisy: bool) -> None:
        buf: list[str] = [block.text or ""]
        links = 0

        def flush() -> None:
            nonlocal links
            text = clean_text("".join(buf))
            if text:
                blocks.append(Block(block, text, min(links, len(text)), noisy))
            buf.clear()
            links = 0

        for child in block:
            tag = _tag(child)
            if tag is None or tag in SKIP_TAGS:
                pass
            elif tag == "br":
                flush()
            elif tag in BLOCK_TAGS or child in holding:
                flush()
                visit(child, noisy or is_noise(child))
            else:
                text, link_chars = _inline_text(child)
                buf.append(text)
                links += link_chars
            buf.append(child.tail or "")
        flush()

    visit(root, is_noise(root) if _tag(root) != "html" else False)
    return blocks


def parse_html(text: str):
    """An lxml root for ``text``; never raises on junk (an empty document instead)."""
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, encoding="utf-8")
    root = etree.fromstring(text.encode("utf-8", "surrogatepass"), parser)
    if root is None:
        root = etree.fromstring(b"<html><body></body></html>", parser)
    return root
