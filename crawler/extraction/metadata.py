"""Article metadata outside the body: meta tags, JSON-LD, labelled lines, breadcrumbs.

Chinese portals print their metadata as labelled lines (``来源：海州日报``,
``责任编辑：李四``, ``关键词：…``) and describe it in ``<meta>`` names of their CMS
(``ArticleTitle``, ``PubDate``, ``ContentSource`` on TRS/WCM sites). Labels are
matched in Simplified and Traditional forms, and tolerate the pinyin that mirror
sites inject after characters (``編(biān)輯(jí):``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree

from .blocks import SKIP_TAGS, Block, clean_text, is_noise
from .dates import _DATE as _DATE_SPAN, find_date, parse_date

# Optional tone-marked syllable after a character, as mirror sites inject it.
_PINYIN_CORE = r"\([a-zA-Z\u00e0-\u00fc\u0101-\u01dc\u0300-\u036f]{1,8}\)"
_PINYIN = f"(?:{_PINYIN_CORE})?"
_LABELS = {
    "source": "来源 來源 来源于 來源於 来自 來自 稿源 信息来源 文章来源 出处 出處",
    "author": "作者 记者 記者 本报记者 本報記者 撰稿 撰文 执笔 執筆",
    "editor": "责任编辑 責任編輯 责编 責編 编辑 編輯",
    "keywords": "关键词 關鍵詞 关键字 關鍵字 标签 標籤 標簽",
    "date": "发布时间 發布時間 發佈時間 发表时间 發表時間 发布日期 發布日期 时间 時間 日期",
    "location": "当前位置 當前位置 您的位置 您现在的位置 您現在的位置 所在位置",
}
_KIND_OF = {word: kind for kind, words in _LABELS.items() for word in words.split()}
# Labels that may stand without a colon before a name: 记者 王五.
_BARE_OK = {"记者", "記者", "本报记者", "本報記者"}


def _pinyin_tolerant(word: str) -> str:
    return "".join(re.escape(ch) + _PINYIN for ch in word)


_LABEL_RE = re.compile(
    r"(?:^|(?<=[\s【\[（(|｜/丨·]))(?P<label>"
    + "|".join(_pinyin_tolerant(w) for w in sorted(_KIND_OF, key=len, reverse=True))
    + r")(?P<sep>\s*[:：|｜]\s*|\s+)"
)
# The first characters of the labels: a line without any has no label (a quick test).
_LABEL_START = re.compile("[" + "".join(sorted({re.escape(w[0]) for w in _KIND_OF})) + "]")
_AUTHOR_SLASH = re.compile(r"(?:^|(?<=[\s【\[（(]))文\s*[/／｜|]\s*(?P<value>[^\s/／|｜】\])）]{2,12})")
_STRIP_PINYIN = re.compile(_PINYIN_CORE)
_VALUE_END = re.compile(r"[【\[|｜丨]|(?<!\d)(?:19|20)\d{2}[-/.年]")
_NAME = re.compile(rf"^(?:[\u3400-\u9fffA-Za-z·•.]{_PINYIN}){{1,12}}$")
_KEYWORD_SPLIT = re.compile(r"[\s,，、;；|｜/]+")
_KEYWORD_STRONG_SPLIT = re.compile(r"\s*[,，、;；|｜/]+\s*")
_TRIM = " :：,，.。;；、()（）[]【】<>《》\"'“”"
_TRIM_KEEP_PARENS = _TRIM.replace("()（）", "")


def _trim_balanced(kw: str) -> str:
    """Strip punctuation around a value, keeping balanced brackets (第一次全体(扩大)会议)."""
    kw = kw.strip(_TRIM_KEEP_PARENS)
    while kw and kw[-1] in ")）" and kw.count("(") + kw.count("（") < kw.count(")") + kw.count("）"):
        kw = kw[:-1].strip(_TRIM_KEEP_PARENS)
    while kw and kw[0] in "(（" and kw.count("(") + kw.count("（") > kw.count(")") + kw.count("）"):
        kw = kw[1:].strip(_TRIM_KEEP_PARENS)
    return kw


def _label_kind(label: str) -> str | None:
    return _KIND_OF.get(_STRIP_PINYIN.sub("", label))


# Page furniture that follows a name on the same line: 刘欢 返回搜狐 查看更多.
_NOT_A_NAME = re.compile(r"返回|查看|更多|打印|关闭|關閉|分享|收藏|点击|點擊|评论|評論|转发|轉發|举报|舉報")
_NAME_SPLIT = re.compile(r"[\s、，,/／;；]+")
# An editor credited in brackets after the outlet: （松花江网编辑 孙桂芳）.
_EDITOR_IN_BRACKETS = re.compile(r"[（(][^（()）]{0,12}?(?:责任编辑|責任編輯|责编|責編|编辑|編輯)\s*[:：]?\s*(?P<names>[^（()）]{2,24})[)）]")


def _has_colon(m: re.Match) -> bool:
    """A label followed by a colon (or the | some templates print instead)."""
    return any(c in m["sep"] for c in ":：|｜")


def _names(value: str, limit: int = 4) -> str | None:
    """Leading name-like tokens of ``value``.

    >>> _names("李四 王五 返回顶部"), _names("萧潇、张妍"), _names("刘欢 返回搜狐 查看更多")
    ('李四 王五', '萧潇 张妍', '刘欢')
    """
    names = []
    for token in _NAME_SPLIT.split(value):
        token = _trim_balanced(token)
        if not token or not _NAME.match(token) or _NOT_A_NAME.search(token):
            break
        names.append(token)
        if len(names) == limit:
            break
    return " ".join(names) or None


# Values that say nothing: "来源：转载文章", "作者：未知". A later line may say more.
_PLACEHOLDER = re.compile(r"^(?:转载|转载文章|轉載|本站|本网|本網|原创|原創|网络|網絡|网络整理|未知|佚名|不详|admin|name|null|none)$", re.I)
_EMPTY_BRACKETS = re.compile(r"[\[【(（]\s*[\]】)）]")
# A value that sits in brackets of its own: 来源：[ 国际金融报 ] (old portal templates).
_BRACKETED_VALUE = re.compile(r"\s*[\[【]\s*([^\[\]【】]+?)\s*[\]】]")


def labelled_values(blocks: list[Block]) -> dict[str, tuple[str, str, Block]]:
    """kind -> (raw value, rule, block) for the first labelled line of each kind.

    >>> from .blocks import Block
    >>> vals = labelled_values([Block(None, "发布时间：2016-08-04 10:21 来源：海州日报 作者：张三", 0, False),
    ...                         Block(None, "【责任编辑：李四】", 0, False)])
    >>> {k: v[0] for k, v in vals.items()}
    {'date': '2016-08-04 10:21', 'source': '海州日报', 'author': '张三', 'editor': '李四'}
    >>> labelled_values([Block(None, "2004年7月16日08:19 [ 黄宇 ]  来源：[ 国际金融报 ] [打印]", 0, False)])["source"][0]
    '国际金融报'
    """
    found: dict[str, tuple[str, str, Block]] = {}
    for block in blocks:
        text = block.text
        if len(text) > 300:
            continue  # a body paragraph, not a metadata line
        matches = [m for m in _LABEL_RE.finditer(text)
                   if _has_colon(m) or (_STRIP_PINYIN.sub("", m["label"]) in _BARE_OK and len(text) < 60)
                   ] if _LABEL_START.search(text) else []
        for i, m in enumerate(matches):
            kind = _label_kind(m["label"])
            if kind is None or kind in found:
                continue
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            value = _EMPTY_BRACKETS.sub(" ", text[m.end():end])
            bracketed = _BRACKETED_VALUE.match(value)
            if bracketed:  # not cut at its opening bracket below
                value = bracketed[1]
            if kind != "date":
                cut = _VALUE_END.search(value)
                if cut:
                    value = value[: cut.start()]
            value = _trim_balanced(value)
            if value and not _PLACEHOLDER.match(value) and "=" not in value:
                found[kind] = (value, "line:" + _STRIP_PINYIN.sub("", m["label"]), block)
        # Both patterns need a character that few lines have: test it before the regex.
        if "editor" not in found and len(text) < 120 and ("编" in text or "編" in text):
            m = _EDITOR_IN_BRACKETS.search(text)
            if m:
                found["editor"] = (m["names"], "line:(编辑)", block)
        if "author" not in found and len(text) < 80 and "文" in text:
            m = _AUTHOR_SLASH.search(text)
            if m:
                found["author"] = (m["value"], "line:文/", block)
    return found


_URLISH = re.compile(r"(?:https?://\S+|\b(?:[\w-]+\.)+(?:com|cn|net|org|gov)(?:\.cn)?\b\S*)", re.I)
_SOURCE_TOKEN = re.compile(r"^[\u3400-\u9fffA-Za-z·]{2,14}$")


def date_line_source(text: str) -> str | None:
    """The unlabelled source slot of a date line: "2019-09-05 11:10 新京报", "中国网 2019-11-25".

    >>> date_line_source("http://house.sina.com.cn 2005年03月31日03:18 北京娱乐信报")
    '北京娱乐信报'
    >>> date_line_source("2019-09-05 11:10 游民星空[整理] 1"), date_line_source("中国网 2019-11-25 10:37:31")
    ('游民星空', '中国网')
    >>> date_line_source("2016-08-04 10:21 作者：张三") is None
    True
    """
    found = find_date(text)
    if found is None or len(text) > 80:
        return None
    match = _DATE_SPAN.search(text, found[1])
    end = match.end() if match else found[1]
    after = _URLISH.sub(" ", text[end:])
    before = _URLISH.sub(" ", text[:found[1]])
    for side in (after.split()[:1], before.split()[-1:]):
        for token in side:
            token = re.sub(r"[\[【(（].*?[\]】)）]", "", token).strip(_TRIM + "《》|")
            if _SOURCE_TOKEN.match(token) and _LABEL_RE.search(token + "：") is None:
                return token
    return None


_CREDIT = re.compile(
    r"^[—\-－─]+\s*(?:原载|原載|转载自|轉載自|摘自|选自|選自|来源|來源)?\s*[:：]?\s*《(?P<source>[^》]{2,20})》"
    r"\s*(?:(?P<y>(?:19|20)\d{2})\s*年\s*(?:第\s*)?(?P<m>\d{1,2})\s*(?:月|期))?"
)


def credit_line(paragraphs: list[str]) -> tuple[str, str | None] | None:
    """A publication credit at the end of an article: (source, "YYYY-MM" or None).

    >>> credit_line(["正文。", "——《北京之春》1998年3月号"])
    ('北京之春', '1998-03')
    """
    for text in reversed(paragraphs[-3:]):
        m = _CREDIT.match(text)
        if m:
            month = f"{int(m['y']):04d}-{int(m['m']):02d}" if m["y"] and 1 <= int(m["m"]) <= 12 and "月" in text else None
            return m["source"], month
    return None


def clean_name_value(kind: str, value: str) -> str | None:
    """Editor/author values are names; source keeps its first token."""
    value = re.sub(r"(?!" + _PINYIN_CORE + r")[（(【\[].*?[)）】\]]", " ", value)  # 李四（实习） -> 李四
    value = re.sub(r"[_\s]*[A-Z]{1,3}\d{3,}\s*$", "", value)  # staff codes: 李四_NF4425
    if kind == "source":
        token = _trim_balanced(value.split()[0]) if value.split() else ""
        return token or None
    return _names(value)


def split_keywords(value: str | None) -> list[str]:
    """``关键词：寧波 统战 会议`` value -> ['寧波', '统战', '会议'] (order kept, no repeats).

    Where the list has marks between its words (，、；|), only those split it, so
    "Taobao Network；物流配送" keeps its English phrase.

    >>> split_keywords("淘宝网；物流配送；Taobao Network"), split_keywords("寧波 统战 会议")
    (['淘宝网', '物流配送', 'Taobao Network'], ['寧波', '统战', '会议'])
    """
    if not value:
        return []
    out: list[str] = []
    splitter = _KEYWORD_STRONG_SPLIT if _KEYWORD_STRONG_SPLIT.search(value.strip()) else _KEYWORD_SPLIT
    for kw in splitter.split(value):
        kw = _trim_balanced(kw)
        if kw and kw not in out and len(kw) <= 30:
            out.append(kw)
    return out


def link_texts(block: Block, within: str) -> list[str]:
    """Texts of the links in a block's element that stand in ``within`` (the labelled
    value): tag lists (标签：<a>夜经济</a><a>白沙县</a>) render as words but join in text."""
    if block.element is None:
        return []
    texts = (clean_text("".join(a.itertext())) for a in block.element.iter("a"))
    return [t for t in texts if t and t in within]


# Matched against lower-cased text: with re.I the regex engine is several times slower.
_TAG_HINT = re.compile(r"tag|keyword|biaoqian|gjc")
_TAG_WORDS = frozenset("tag tags keyword keywords biaoqian gjc article-tags news-tags".split())


@lru_cache(maxsize=4096)
def _tag_hint(attrs: str) -> bool:
    return _TAG_HINT.search(attrs.lower()) is not None


def named_elements(root) -> list[tuple]:
    """``(element, class, id, data-sudaclick)`` of every element that has one of these
    values, in document order (``""`` for a missing one): what the searches for tag
    lists and breadcrumb trails read, collected in one walk over the tree. (Comments
    have no attributes; processing instructions, which have pseudo-attributes, are
    removed by :func:`~crawler.extraction.blocks.parse_html`.)

    >>> from crawler.extraction.blocks import parse_html
    >>> [(el.tag, c, i, s) for el, c, i, s in named_elements(parse_html(
    ...     '<div class=""><p id="x">一</p><span data-sudaclick="crumb">二</span></div>'))]
    [('p', '', 'x', ''), ('span', '', '', 'crumb')]
    """
    named = []
    for el in root.iter():
        get = el.get
        cls, ident, suda = get("class"), get("id"), get("data-sudaclick")
        if cls or ident or suda:
            named.append((el, cls or "", ident or "", suda or ""))
    return named


def _tag_container_links(named: list[tuple]) -> list[str]:
    """Link texts of an element whose class/id names it a tag list (no label needed)."""
    for el, cls, ident, _ in named:
        attrs = f"{cls} {ident}"
        if not _tag_hint(attrs):
            continue
        words = {w for token in attrs.lower().split() for w in re.split(r"[-_]+", token) if w}
        if not words & _TAG_WORDS:
            continue
        texts = [clean_text("".join(a.itertext())) for a in el.iter("a")]
        texts = [t for t in texts if t]
        if 1 <= len(texts) <= 12 and all(len(t) <= 16 for t in texts):
            return texts
    return []


def _title_piece(keyword: str, title: str) -> bool:
    """A piece cut out of the headline, not a keyword: it has punctuation in it, or it is
    a whole clause of the headline (the part between two marks).

    >>> _title_piece("用户信息几元不等", "数据业大整顿：爬虫与现金贷共生共荣，用户信息几元不等")
    True
    >>> _title_piece("农工党海州市委会", "农工党海州市委会赴西陵区调研")
    False
    """
    if keyword not in title:
        return False
    if re.search(r"[：:，,！？!?]", keyword):
        return True
    return len(keyword) >= 6 and keyword in re.split(r"[\s：:，,！？!?、；;]+", title)


def find_keywords(root, lines: dict, metas: dict, title: str, paragraphs: list[str],
                  named: Callable[[], list[tuple]] | None = None) -> tuple[list[str], str]:
    """Keywords and the rule that found them: the labelled line (or its tag links),
    ``<meta name=keywords>`` when it is about this article, then a tag list
    (``named``: see :func:`breadcrumb`).

    CMSs fill the meta tag with the site's section list or the title itself; a list
    counts as the article's when at least 30% of its words occur in the title or body
    (site-wide lists score 0-25%), after dropping pieces of the title (数据业大整顿：爬虫…).
    """
    if "keywords" in lines:
        value, rule, block = lines["keywords"]
        tags = link_texts(block, value)
        keywords = split_keywords(" ".join(tags)) if len(tags) > 1 else split_keywords(value)
        if keywords:
            return keywords, rule
    text = title + "\n" + "\n".join(paragraphs)
    for key in ("keywords", "news_keywords"):
        keywords = [k for k in split_keywords(metas.get(key)) if not _title_piece(k, title)]
        if keywords and sum(k in text for k in keywords) * 10 >= len(keywords) * 3 and title not in keywords:
            return keywords, f"meta:{key}"
    tags = _tag_container_links(named() if named else named_elements(root))
    if len(tags) >= 2:
        return split_keywords(" ".join(tags)), "tag_links"
    return [], ""


def meta_values(root) -> dict[str, str]:
    """Lower-cased meta name/property/itemprop -> content (first wins)."""
    metas: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = meta.get("name") or meta.get("property") or meta.get("itemprop") or meta.get("http-equiv")
        content = meta.get("content")
        if key and content and content.strip():
            metas.setdefault(key.strip().lower(), clean_text(content))
    return metas


_ARTICLE_TYPES = {"newsarticle", "article", "reportagenewsarticle", "blogposting", "webpage"}


def json_ld_article(root) -> dict:
    """The first JSON-LD object whose @type is an article, or {}."""
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            obj = stack.pop(0)
            if isinstance(obj, list):
                stack.extend(obj)
            elif isinstance(obj, dict):
                types = obj.get("@type")
                types = types if isinstance(types, list) else [types]
                if any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in types):
                    return obj
                stack.extend(obj.get("@graph", []) if isinstance(obj.get("@graph"), list) else [])
    return {}


# Publish times that page scripts carry for their own use (qq.com's "pubtime", 163's
# "ptime", …): structured, and often the only full timestamp on the page.
_SCRIPT_PUBTIME = re.compile(
    r"""["']?(?:pubtime|pub_time|publishtime|publish_time|publishdate|publish_date|pubdate|ptime|datepublished)["']?"""
    r"""\s*[:=]\s*["']([^"'<>]{8,32})["']""",
    re.IGNORECASE,
)


def _may_name_pubtime(text: str) -> bool:
    """False when ``text`` holds none of _SCRIPT_PUBTIME's names (each has "pub" or "ptime",
    the i also as the ı/İ that IGNORECASE matches): most scripts skip the regex."""
    low = text.lower()
    return "pub" in low or "ptime" in low or "ptıme" in low or "pti\u0307me" in low


def script_pubtime(root) -> str | None:
    """The publish time a page's inline scripts declare, as ISO 8601, or None.

    >>> from .blocks import parse_html
    >>> script_pubtime(parse_html('<script>window.DATA = {"pubtime": "2019-09-07 19:02:26"}</script>'))
    '2019-09-07T19:02:26+08:00'
    """
    for script in root.iter("script"):
        if script.text and not script.get("src") and _may_name_pubtime(script.text):
            for m in _SCRIPT_PUBTIME.finditer(script.text):
                value = parse_date(m.group(1))
                if value:
                    return value
    return None


def json_ld_text(value) -> str | None:
    """A JSON-LD value as text: names of persons, lists joined by a space."""
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, list):
        value = " ".join(filter(None, (json_ld_text(v) for v in value)))
    return clean_text(value) if isinstance(value, str) and value.strip() else None


_CRUMB_WORDS = r"crumb|bread|mbx|location|position|weizhi|dqwz|path|curpos"
# Matched against lower-cased ASCII (as _TAG_HINT); other values with re.I, which also
# takes ſ for s and ı, İ for i as .lower() does not.
_CRUMB_ATTR = re.compile(_CRUMB_WORDS)
_CRUMB_ATTR_ANY_CASE = re.compile(_CRUMB_WORDS, re.I)
_CRUMB_LABEL = re.compile(
    r"^\s*(?:" + "|".join(_pinyin_tolerant(w) for w in _LABELS["location"].split()) + r"|您所在的位置|现在位置|現在位置|位置)\s*[:：]?"
)
_HOME = re.compile(r"(首页|首頁|主页|主頁|^home$)", re.I)
_CRUMB_SEP = re.compile(r"\s*(?:>|＞|›|»|→|/|\\)\s*")
_NOT_SECTION = re.compile(r"^(正文|详情|詳情|正文内容|内容|文章|首页|首頁|home)", re.I)


# Only arrow-like separators: menus join their links with | / · and spaces.
_CRUMB_SEP_CHARS = ">＞›»→"
_GAP_OK = re.compile(f"^[\\s{_CRUMB_SEP_CHARS}]*[{_CRUMB_SEP_CHARS}][\\s{_CRUMB_SEP_CHARS}]*$")
_LEADING_SEP = re.compile(f"^\\s*[{_CRUMB_SEP_CHARS}]")
_PAGING = re.compile(r"^(?:\d+|上一页|下一页|尾页|末页|上页|下页|next|prev|previous)$", re.I)
_BLOCK_BREAK = frozenset("div p li ul ol table tr td dl dd dt h1 h2 h3 h4 h5 h6 section article header footer nav br".split())


@lru_cache(maxsize=4096)
def _crumb_attrs(attrs: str) -> bool:
    """Whether class/id/data-sudaclick values name a breadcrumb (pages repeat the same few)."""
    if attrs.isascii():
        return _CRUMB_ATTR.search(attrs.lower()) is not None
    return _CRUMB_ATTR_ANY_CASE.search(attrs) is not None


_BAR = ("|",)
_NO_TEXT = frozenset(("script", "style", "head", "title"))
_SEPARATOR = re.compile(f"[{_CRUMB_SEP_CHARS}]")
# The elements whose text page_blocks leaves out and _link_stream reads.
_UNBLOCKED_TEXT = tuple(sorted(SKIP_TAGS - _NO_TEXT))


def _may_hold_chain(root, blocks: list[Block]) -> bool:
    """False when no two links of the page can be joined by a separator: none of the
    separators _GAP_OK asks for (> › » → ＞) is in the text _link_stream reads. The
    blocks hold that text (and link text besides), except inside the elements page_blocks
    skips whole: all the text inside those of _UNBLOCKED_TEXT, and inside script, style,
    head and title all but these elements' own text, which _link_stream skips too.
    For trees from parse_html (no comments, lower-case tag names).

    >>> from crawler.extraction.blocks import page_blocks, parse_html
    >>> root = parse_html('<p><a href="/">首页</a> | <a href="/a/">要闻</a></p>')
    >>> _may_hold_chain(root, page_blocks(root))
    False
    >>> root = parse_html('<p><a href="/">首页</a><button>&gt;</button><a href="/a/">要闻</a></p>')
    >>> _may_hold_chain(root, page_blocks(root))
    True
    """
    if any(_SEPARATOR.search(block.text) for block in blocks):
        return True
    if any(_SEPARATOR.search("".join(el.itertext())) for el in root.iter(*_UNBLOCKED_TEXT)):
        return True
    for el in root.iter(*_NO_TEXT):
        for node in el.iterdescendants():
            text = node.tail or ""
            if node.tag not in _NO_TEXT:
                text += node.text or ""
            if _SEPARATOR.search(text):
                return True
    return False


class _NestedLink(Exception):
    """A link inside a link: _link_stream's walk of events decides what follows it."""


def _link_stream(root):
    """The document as ("a", name, href) / ("t", text) / ("|",) break tokens, in order."""
    try:
        return _link_stream_fast(root)
    except _NestedLink:
        return _link_stream_events(root)


def _link_stream_fast(root):
    """_link_stream by recursion over children, skipping every link's subtree at once;
    raises _NestedLink where that would differ from the walk of events."""
    tokens: list[tuple] = []
    append = tokens.append

    def emit(el) -> None:
        tag = el.tag
        if not isinstance(tag, str):
            tag = ""
        if tag == "a":
            if not len(el):  # a link with only text, the common case
                name = clean_text(el.text or "")
            elif next(el.iterdescendants("a"), None) is not None:
                raise _NestedLink
            else:
                name = clean_text("".join(el.itertext()))
            if name:  # an empty link (a crumb the CMS left blank) is no crumb
                append(("a", name, el.get("href")))
        else:
            if tag not in _NO_TEXT:
                if tag in _BLOCK_BREAK:
                    append(_BAR)
                if el.text:
                    append(("t", el.text))
            for child in el:
                emit(child)
            if tag in _BLOCK_BREAK and tag != "br":
                append(_BAR)
        if el.tail:
            append(("t", el.tail))

    emit(root)
    return tokens


def _link_stream_events(root):
    """_link_stream by a walk of start/end events: the reference, and the way for
    links inside links (the inner link's end ends the outer one's skipping)."""
    tokens: list[tuple] = []
    inside_link = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if inside_link:
                continue
            if tag == "a":
                inside_link = 1
                name = clean_text("".join(el.itertext()))
                if name:  # an empty link (a crumb the CMS left blank) is no crumb
                    tokens.append(("a", name, el.get("href")))
            elif tag in ("script", "style", "head", "title"):
                pass
            else:
                if tag in _BLOCK_BREAK:
                    tokens.append(("|",))
                if el.text:
                    tokens.append(("t", el.text))
        else:
            if tag == "a" and inside_link:
                inside_link = 0
            if inside_link:
                continue
            if tag in _BLOCK_BREAK and tag != "br":
                tokens.append(("|",))
            if el.tail:
                tokens.append(("t", el.tail))
    return tokens


def _crumb_chains(tokens: list[tuple]):
    """Runs of two or more short links joined only by separators (> » / …)."""
    links = [i for i, token in enumerate(tokens) if token[0] == "a"]
    # Whether each link may be a crumb, and whether the text between it and the next
    # link (breaks count as nothing) joins them: each computed once, on demand.
    crumb_like = [1 <= len(tokens[i][1]) <= 24 and not _PAGING.match(tokens[i][1]) for i in links]

    def joined(n: int) -> bool:
        gap = "".join([token[1] for token in tokens[links[n] + 1:links[n + 1]] if token[0] == "t"])
        return _GAP_OK.match(gap) is not None

    n = 0
    while n < len(links):
        if not crumb_like[n]:
            n += 1
            continue
        end = n + 1
        while end < len(links) and crumb_like[end] and joined(end - 1):
            end += 1
        chain = links[n:end]
        names = [tokens[c][1] for c in chain]
        if 2 <= len(chain) <= 7 and len(set(names)) == len(names):
            yield chain
        n = end


def _text_crumbs(tokens: list[tuple], after: int) -> list[str]:
    """Text crumbs after a trail's last link, up to the next break: "> 正文"."""
    text = []
    for token in tokens[after + 1:]:
        if token[0] != "t":
            break
        text.append(token[1])
    tail = clean_text("".join(text))
    if not _LEADING_SEP.match(tail) or len(tail) > 40:
        return []
    return [n for n in (n.strip(_TRIM) for n in _CRUMB_SEP.split(tail)) if n and len(n) <= 20]


def breadcrumb(root, base_url: str, blocks: list[Block] | None = None,
               named: Callable[[], list[tuple]] | None = None) -> list[dict]:
    """Crumbs ``[{"name", "url"}]`` of the page's "当前位置" trail, or [].

    First an element whose class/id names a breadcrumb, or whose text starts with
    a location label (当前位置：); else the first run of two or
    more short links joined only by separators (首页 > 新闻中心 > 国内新闻).
    Text crumbs after the last link (``> 正文``) are kept with ``url`` None.
    ``root``: a tree from :func:`~crawler.extraction.blocks.parse_html`. Two shortcuts,
    the same result sooner: ``blocks`` (:func:`~crawler.extraction.blocks.page_blocks`
    of ``root``) spare the search for a run of links on a page without a separator, and
    ``named``, a function that returns :func:`named_elements` of ``root`` (made once, when
    first asked: :func:`find_keywords` may ask too), a walk over every element. Without
    them the function does the full search and walk.
    """
    found = None
    # Every location label has a 位 in it: a page without one needs no label test at all,
    # and only the elements with a class, id or data-sudaclick value may hold its trail.
    may_be_labelled = "位" in etree.tostring(root, method="text", encoding=str)
    if may_be_labelled or named is None:
        candidates = ((el, el.get("class") or "", el.get("id") or "", el.get("data-sudaclick") or "")
                      for el in root.iter())
    else:
        candidates = named()
    for el, cls, ident, suda in candidates:
        tag = el.tag
        if not isinstance(tag, str) or tag in ("html", "body", "head", "a"):
            continue
        if found is not None and found[0] not in el.iterancestors():
            break  # the innermost trail element inside the first one found
        labelled = False
        if may_be_labelled:
            # The label is the element's first text, or its first child's (<span>当前位置：</span>).
            text = el.text
            first_text = text if text and text.strip() else (el[0].text or "") if len(el) else ""
            labelled = "位" in first_text and _CRUMB_LABEL.match(first_text) is not None
        if not labelled and not ((cls or ident or suda) and _crumb_attrs(f"{cls} {ident} {suda}")):
            continue
        tokens = _link_stream(el)
        links = [i for i, t in enumerate(tokens) if t[0] == "a" and t[1]]
        text = clean_text("".join(t[1] for t in tokens if t[0] != "|"))
        if not links or len(links) > 10 or len(text) > 200:
            continue
        crumbs = [{"name": tokens[i][1], "url": urljoin(base_url, tokens[i][2]) if tokens[i][2] else None}
                  for i in links]
        crumbs += [{"name": name, "url": None} for name in _text_crumbs(tokens, links[-1])]
        if len(crumbs) >= 2 or labelled:
            found = (el, crumbs)
    if found is not None:
        return found[1]
    if blocks is not None and not _may_hold_chain(root, blocks):
        return []

    body = root.find("body")
    tokens = _link_stream(body if body is not None else root)
    best, best_rank = None, -1
    for chain in _crumb_chains(tokens):
        first_name, first_href = tokens[chain[0]][1], tokens[chain[0]][2] or ""
        first_url = urlsplit(urljoin(base_url, first_href))
        before = "".join(t[1] for t in tokens[max(0, chain[0] - 3):chain[0]] if t[0] == "t")
        # A trail that starts at a home page (网易首页, or a link to "/") or after a
        # 当前位置 label beats the first chain of the page, which may be a menu.
        rank = 1 if (_HOME.search(first_name) or first_url.path in ("", "/") or _CRUMB_LABEL.search(clean_text(before))) else 0
        if rank > best_rank:
            best, best_rank = chain, rank
            if rank:
                break
    if best is None:
        return []
    crumbs = [{"name": tokens[i][1], "url": urljoin(base_url, tokens[i][2]) if tokens[i][2] else None} for i in best]
    crumbs += [{"name": name, "url": None} for name in _text_crumbs(tokens, best[-1])]
    return crumbs


def section_of(crumbs: list[dict]) -> str | None:
    """The last crumb that names a section (not 正文/首页)."""
    for crumb in reversed(crumbs):
        if not _NOT_SECTION.match(crumb["name"]):
            return crumb["name"]
    return None


def noise_free_dates(blocks: list[Block], after: int = 0) -> tuple[str, str] | None:
    """The first date in a non-boilerplate block at or after index ``after``."""
    for block in blocks[after:]:
        if block.noisy or len(block.text) > 200:
            continue
        found = find_date(block.text)
        if found:
            return found[0], "text:first_date_after_title"
    return None


__all__ = [
    "breadcrumb", "clean_name_value", "is_noise", "json_ld_article", "json_ld_text",
    "labelled_values", "meta_values", "named_elements", "noise_free_dates", "section_of", "split_keywords",
]
