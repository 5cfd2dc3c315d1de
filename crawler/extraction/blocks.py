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
# class/id tokens of boilerplate containers. Whole tokens or their prefixes only:
# TRS's body container is ``TRS_Editor``, so "editor" must not be noise.
_NOISE = re.compile(
    r"(?:^|[\s_-])(?:share|bdshare|bshare|jiathis|comments?|pinglun|footer|foot|copyright|banquan|"
    r"nav|navbar|menu|sidebar|side|aside|related|relate|xgwz|xgxw|xgxx|xglj|recommend|tuijian|"
    r"hot|rank|ads?|advert|guanggao|print|dayin|tools?|pager|pagination|fenye|page-?nav|"
    r"breadcrumbs?|crumbs?|location|position|weizhi|dqwz|login|search|friend-?links?|yqlj)"
    r"(?:$|[\s_\d-])",
    re.IGNORECASE,
)
_NOISE_TAGS = frozenset({"nav", "footer", "aside"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+")


def clean_text(text: str) -> str:
    """Fold runs of whitespace (incl. NBSP and ideographic spaces) to one space, strip.

    >>> clean_text("\\u3000\\u3000海州市　召开\\xa0会议 \\n")
    '海州市 召开 会议'
    """
    return _SPACES.sub(" ", text).strip()


def is_noise(el) -> bool:
    if el.tag in _NOISE_TAGS:
        return True
    attrs = f"{el.get('class', '')} {el.get('id', '')}"
    return bool(attrs.strip()) and _NOISE.search(attrs) is not None


@dataclass
class Block:
    element: object
    text: str
    link_chars: int
    noisy: bool


def _tag(el) -> str | None:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else None


def _contains_block(el) -> bool:
    return any(_tag(d) in BLOCK_TAGS for d in el.iterdescendants())


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


def page_blocks(root) -> list[Block]:
    """Every text block of the document under ``root``, in document order."""
    blocks: list[Block] = []

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
            elif tag in BLOCK_TAGS or _contains_block(child):
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
