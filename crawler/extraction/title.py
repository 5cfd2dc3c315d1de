"""The headline: which of the page's title-like texts is the article's.

Candidates are the structured titles (``<meta name=ArticleTitle>``, OpenGraph,
JSON-LD ``headline``) and the emphasised blocks above the body (headings,
elements whose class names a title, bold or large centred lines). Each scores by
how well ``<title>`` repeats it (portals write ``headline_section_site``), how
emphasised it is and how close it stands above the body. With no candidate,
the first segment of ``<title>``.
"""

from __future__ import annotations

import re

from .blocks import Block, clean_text

_SEPARATORS = re.compile(
    r"\s*(?:_+|\|+|｜|--+|—\s|\s—|»|«|::|(?<![0-9A-Za-z])-|-(?![0-9A-Za-z]))\s*|\s+-\s+"
)
_TITLE_ATTR = re.compile(r"(?:^|[\s_-])(?:title|headline|biaoti|bt|tit|heading|article-?title)", re.I)
_NOT_TITLE_ATTR = re.compile(r"sub-?title|list|nav|side|related|hot|rank|recommend|comment", re.I)
_LABEL_LINE = re.compile(
    r"(?:来源|來源|作者|记者|記者|编辑|編輯|发布|發布|时间|時間|日期|浏览|点击|字号|当前位置|您的位置)\s*[:：]|发表于|發表於"
)
_EDGE_JUNK = re.compile(r"^[\s*·•]+|[\s\-_|·•]+$")
_TAGS = re.compile(r"<[^>]+>")
_HEADING = {"h1": 5, "h2": 4, "h3": 3, "h4": 1}


def title_segments(doc_title: str) -> list[str]:
    """``<title>`` split at the separators portals put between headline, section and site.

    >>> title_segments("劳伦斯：一个无法定义的“洛克菲勒”-搜狐财经")
    ['劳伦斯：一个无法定义的“洛克菲勒”', '搜狐财经']
    >>> title_segments("全市统战部长会议部署2016—2017年重点工作_统一战线_海州新闻网")
    ['全市统战部长会议部署2016—2017年重点工作', '统一战线', '海州新闻网']
    """
    return [s for s in (p.strip() for p in _SEPARATORS.split(doc_title)) if s]


def _match(text: str, doc_title: str, segments: list[str]) -> int:
    """3: <title> starts with it (headline_section_site, the common order); 2: another
    segment of <title>, or inside it; 0: not in it."""
    if not doc_title:
        return 0
    if doc_title.startswith(text) and (len(text) >= 4 or text in segments):
        return 3
    if text in segments or (len(text) >= 4 and text in doc_title):
        return 2
    return 0


def _extend_prefix(blocks: list[Block], index: int, text: str, doc_title: str) -> str:
    """A headline laid out over several blocks (lines, divs): join the following
    blocks while the joined text is still the start of <title>."""
    for block in blocks[index + 1:index + 6]:
        joined = text + block.text
        if not doc_title.startswith(joined):
            break
        text = joined
    return text


def _emphasis(el) -> int:
    score = 0
    for depth, node in enumerate((el, el.getparent())):
        if node is None:
            break
        tag = node.tag if isinstance(node.tag, str) else ""
        score = max(score, _HEADING.get(tag, 0) - depth)
        attrs = f"{node.get('class', '')} {node.get('id', '')}"
        if _TITLE_ATTR.search(attrs) and not _NOT_TITLE_ATTR.search(attrs):
            score = max(score, 4 - depth)
    for child in el.iter("b", "strong", "font"):
        if child.tag != "font" or (child.get("size") or "0").strip("+").isdigit() and int((child.get("size") or "0").strip("+")) >= 3:
            score = max(score, 2)
    if (el.get("align") or "").lower() == "center" or "center" in (el.get("style") or ""):
        score += 1
    return score


def find_title(blocks: list[Block], body_start: int, doc_title: str, structured: list[tuple[str, str]]) -> tuple[str | None, str, int]:
    """(headline, rule, index of its block or -1) from the candidates (see module docstring).

    ``structured`` holds (text, rule) pairs from meta tags and JSON-LD.
    """
    doc_title = clean_text(doc_title)
    segments = title_segments(doc_title)
    best: tuple[float, str, str, int] | None = None

    def consider(text: str, rule: str, score: float, index: int) -> None:
        nonlocal best
        if best is None or score > best[0]:
            best = (score, text, rule, index)

    for text, rule in structured:
        text = _EDGE_JUNK.sub("", clean_text(_TAGS.sub("", text)))
        if 2 <= len(text) <= 150:
            match = _match(text, doc_title, segments)
            if text == doc_title and len(segments) > 1:
                match = 1  # the whole <title>, site name and all: a heading may say it better
            consider(text, rule, 10 * match + (4 if rule == "meta:articletitle" else 2), -1)

    # Above the body, and its first blocks: some containers hold the headline too.
    for index in range(max(0, body_start - 25), min(len(blocks), body_start + 3)):
        block = blocks[index]
        if block.element is None:
            continue
        text = block.text
        if block.element.tag in _HEADING:  # a headline broken by <br> is one headline
            text = clean_text("".join(block.element.itertext()))
        text = _EDGE_JUNK.sub("", text)
        if not 2 <= len(text) <= 120 or _LABEL_LINE.search(text):
            continue
        emphasis = _emphasis(block.element)
        match = _match(text, doc_title, segments)
        if match == 3 and text != doc_title:
            text = _extend_prefix(blocks, index, text, doc_title)
        proximity = max(0, 4 - (body_start - index)) if index < body_start else 2
        if not emphasis and not (match == 3 or match and proximity):
            continue  # plain text far from the body: a site name in the page header
        if block.link_chars > len(block.text) / 2:
            emphasis -= 2  # a heading that is a link is a site name or a list entry
        coverage = len(text) / max(len(segments[0]) if segments else len(text), 1)
        score = 10 * match + emphasis + proximity + (3 * min(coverage, 1) if match == 3 else 0)
        consider(text, f"{block.element.tag}~title" if match else block.element.tag, score, index)

    if best is not None and (best[0] >= 4 or not segments):
        return best[1], best[2], best[3]
    if segments:
        first = segments[0] if len(segments[0]) >= 4 or len(segments) == 1 else max(segments, key=len)
        return first, "title", -1
    return None, "", -1
