"""The body finder: which container holds the article, and its paragraphs.

Each text block scores for the container it sits in (a ``<p>`` for its parent, a
``<div>`` of ``<br>``-separated text for itself) and half as much for the container
above: one point, one per comma or full stop, up to three for length, scaled
down by the block's share of link text. The container with the best score after
its own link density is the body. Inside it, boilerplate (share bars, related
lists, editor and keyword lines, the headline repeated) is dropped and the
remaining blocks are the paragraphs, in order.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .blocks import Block, is_noise
from .dates import find_date
from .metadata import _CRUMB_LABEL, _LABEL_RE, _STRIP_PINYIN, _has_colon

_PUNCT = re.compile(r"[，。！？；：、,.!?;]")
_CREDIT_PARENT = frozenset("p li blockquote pre h2 h3 h4 h5 h6 dd dt span font strong b em".split())
# Short lines that are page furniture, not prose.
_FURNITURE = re.compile(
    r"^(?:【?\s*(?:打印|关闭|關閉|收藏|分享到?|返回顶部|返回|字号|字體|字体|大\s*中\s*小|上一篇|下一篇|"
    r"点击|點擊|扫一扫|掃一掃|相关新闻|相關新聞|相关阅读|延伸阅读|责任编辑|【|\[)[^。]{0,40}$)"
)
_MIN_BLOCK = 8
_PAGER = re.compile(r"^(?:第\s*\d+\s*页|共\s*\d+\s*页|<<|上一页|\d+\s*/\s*\d+\s*页)")
_META_WORD = re.compile(r"来源|來源|作者|编辑|編輯|更新|发布|發布|发表|發表|点击|浏览|阅读|字号")


def _credit_target(el):
    parent = el.getparent()
    if el.tag in _CREDIT_PARENT and parent is not None:
        return parent
    return el


def _scored_container(blocks: list[Block]):
    scores: dict = defaultdict(float)
    for block in blocks:
        n = len(block.text)
        if block.noisy or n < _MIN_BLOCK or block.element is None:
            continue
        score = (1 + len(_PUNCT.findall(block.text)) + min(n / 100, 3)) * (1 - block.link_chars / n)
        target = _credit_target(block.element)
        scores[target] += score
        parent = target.getparent()
        if parent is not None:
            scores[parent] += score / 2
    if not scores:
        return None, 0.0
    text_len: dict = defaultdict(int)
    link_len: dict = defaultdict(int)
    # Each scored element counts the blocks at or below it: blocks are summed per element,
    # each sum goes to the nearest scored ancestor-or-self, and from there up the chain of
    # scored ancestors (ancestors looked up once per element, not once per block).
    own_text: dict = defaultdict(int)
    own_links: dict = defaultdict(int)
    for block in blocks:
        if block.element is not None:
            own_text[block.element] += len(block.text)
            own_links[block.element] += block.link_chars
    nearest: dict = {}

    def nearest_scored(el):
        path = []
        while True:
            if el is None:
                found = None
                break
            if el in nearest:
                found = nearest[el]
                break
            if el in scores:
                found = el
                break
            path.append(el)
            el = el.getparent()
        for seen in path:
            nearest[seen] = found
        if el is not None:
            nearest[el] = found
        return found

    direct_text: dict = defaultdict(int)
    direct_links: dict = defaultdict(int)
    for element, length in own_text.items():
        scored = nearest_scored(element)
        if scored is not None:
            direct_text[scored] += length
            direct_links[scored] += own_links[element]
    for scored, length in direct_text.items():
        el = scored
        while el is not None:
            text_len[el] += length
            link_len[el] += direct_links[scored]
            el = nearest_scored(el.getparent())
    best, best_score = None, 0.0
    for el, score in scores.items():
        adjusted = score * (1 - link_len[el] / max(text_len[el], 1))
        if adjusted > best_score:
            best, best_score = el, adjusted
    return best, best_score


def _content_elements(container) -> set:
    """``container`` and every element below it that is not inside boilerplate."""
    keep, stack = set(), [container]
    while stack:
        el = stack.pop()
        keep.add(el)
        if len(el):
            stack.extend(child for child in el if isinstance(child.tag, str) and not is_noise(child))
    return keep


def _inside_blocks(blocks: list[Block], container) -> list[Block]:
    """The blocks of ``container`` that are not boilerplate below it, in order."""
    if container is None:
        return []
    keep = _content_elements(container)
    return [b for b in blocks if b.element is not None and b.element in keep]


def _is_boilerplate_line(text: str, title: str) -> bool:
    if text == title:
        return True
    if len(_STRIP_PINYIN.sub("", text)) <= 80:
        if _FURNITURE.match(text) or _CRUMB_LABEL.match(text) or _PAGER.match(text):
            return True
        if len(text) <= 60 and find_date(text) and _META_WORD.search(text):
            return True  # a date line: 2005-04-05 06:40更新 来源：转载文章
        m = _LABEL_RE.match(text)
        if m and _has_colon(m):
            return True
    return False


def best_container(blocks: list[Block]):
    """The element holding the article's prose, or None."""
    return _scored_container(blocks)[0]


def body_start(blocks: list[Block], container) -> int:
    """Index of the first block inside ``container`` (len(blocks) when None)."""
    inside = _inside_blocks(blocks, container)
    if inside:
        first = inside[0]
        return next(i for i, b in enumerate(blocks) if b is first)
    return len(blocks)


def body_paragraphs(blocks: list[Block], container, title: str = "") -> list[str]:
    """The article's paragraphs inside ``container``: boilerplate lines dropped, and
    blocks that are mostly link text (related stories, "今日推荐" lists, pagers)."""
    return [b.text for b in _inside_blocks(blocks, container)
            if b.link_chars * 2 < len(b.text) and not _is_boilerplate_line(b.text, title)]


def prose_score(blocks: list[Block]) -> tuple[int, int]:
    """(characters, sentence ends) in the best container: how article-like a page is."""
    text = "".join(b.text for b in _inside_blocks(blocks, best_container(blocks)))
    return len(text), len(re.findall(r"[。！？!?]", text))
