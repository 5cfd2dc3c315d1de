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
from urllib.parse import urljoin, urlsplit

from .blocks import Block, clean_text, is_noise
from .dates import find_date

# Optional tone-marked syllable after a character, as mirror sites inject it.
_PINYIN_CORE = r"\([a-zA-Z\u00e0-\u00fc\u0101-\u01dc\u0300-\u036f]{1,8}\)"
_PINYIN = f"(?:{_PINYIN_CORE})?"
_LABELS = {
    "source": "来源 來源 稿源 信息来源 文章来源 出处 出處",
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
    + r")(?P<sep>\s*[:：]\s*|\s+)"
)
_AUTHOR_SLASH = re.compile(r"(?:^|(?<=[\s【\[（(]))文\s*[/／｜|]\s*(?P<value>[^\s/／|｜】\])）]{2,12})")
_STRIP_PINYIN = re.compile(_PINYIN_CORE)
_VALUE_END = re.compile(r"[【\[|｜丨]|(?<!\d)(?:19|20)\d{2}[-/.年]")
_NAME = re.compile(rf"^(?:[\u3400-\u9fffA-Za-z·•.]{_PINYIN}){{1,12}}$")
_KEYWORD_SPLIT = re.compile(r"[\s,，、;；|｜/]+")
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


def _names(value: str, limit: int = 4) -> str | None:
    """Leading name-like tokens of ``value`` ("李四 王五 返回顶部" -> "李四 王五")."""
    names = []
    for token in value.split():
        token = _trim_balanced(token)
        if not token or not _NAME.match(token):
            break
        names.append(token)
        if len(names) == limit:
            break
    return " ".join(names) or None


def labelled_values(blocks: list[Block]) -> dict[str, tuple[str, str, Block]]:
    """kind -> (raw value, rule, block) for the first labelled line of each kind.

    >>> from .blocks import Block
    >>> vals = labelled_values([Block(None, "发布时间：2016-08-04 10:21 来源：海州日报 作者：张三", 0, False),
    ...                         Block(None, "【责任编辑：李四】", 0, False)])
    >>> {k: v[0] for k, v in vals.items()}
    {'date': '2016-08-04 10:21', 'source': '海州日报', 'author': '张三', 'editor': '李四'}
    """
    found: dict[str, tuple[str, str, Block]] = {}
    for block in blocks:
        text = block.text
        if len(text) > 300:
            continue  # a body paragraph, not a metadata line
        matches = [m for m in _LABEL_RE.finditer(text)
                   if ":" in m["sep"] or "：" in m["sep"] or (_STRIP_PINYIN.sub("", m["label"]) in _BARE_OK and len(text) < 60)]
        for i, m in enumerate(matches):
            kind = _label_kind(m["label"])
            if kind is None or kind in found:
                continue
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            value = text[m.end():end]
            if kind != "date":
                cut = _VALUE_END.search(value)
                if cut:
                    value = value[: cut.start()]
            value = _trim_balanced(value)
            if value:
                found[kind] = (value, "line:" + _STRIP_PINYIN.sub("", m["label"]), block)
        if "author" not in found:
            m = _AUTHOR_SLASH.search(text)
            if m and len(text) < 80:
                found["author"] = (m["value"], "line:文/", block)
    return found


def clean_name_value(kind: str, value: str) -> str | None:
    """Editor/author values are names; source keeps its first token."""
    value = re.sub(r"(?!" + _PINYIN_CORE + r")[（(【\[].*?[)）】\]]", " ", value)  # 李四（实习） -> 李四
    value = re.sub(r"[_\s]*[A-Z]{1,3}\d{3,}\s*$", "", value)  # staff codes: 李四_NF4425
    if kind == "source":
        token = _trim_balanced(value.split()[0]) if value.split() else ""
        return token or None
    return _names(value)


def split_keywords(value: str | None) -> list[str]:
    """``关键词：寧波 统战，会议`` value -> ['寧波', '统战', '会议'] (order kept, no repeats)."""
    if not value:
        return []
    out: list[str] = []
    for kw in _KEYWORD_SPLIT.split(value):
        kw = _trim_balanced(kw)
        if kw and kw not in out and len(kw) <= 30:
            out.append(kw)
    return out


def link_texts(block: Block) -> list[str]:
    """Texts of the links in a block's element: tag lists (标签：<a>夜经济</a><a>白沙县</a>)."""
    if block.element is None:
        return []
    texts = (clean_text("".join(a.itertext())) for a in block.element.iter("a"))
    return [t for t in texts if t and t in block.text]


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


def json_ld_text(value) -> str | None:
    """A JSON-LD value as text: names of persons, lists joined by a space."""
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, list):
        value = " ".join(filter(None, (json_ld_text(v) for v in value)))
    return clean_text(value) if isinstance(value, str) and value.strip() else None


_CRUMB_ATTR = re.compile(r"crumb|location|position|weizhi|dqwz|nav-?path|curpos|current", re.I)
_CRUMB_LABEL = re.compile(r"^\s*(?:" + "|".join(_pinyin_tolerant(w) for w in _LABELS["location"].split()) + r"|位置)\s*[:：]")
_HOME = re.compile(r"^(首页|首頁|主页|主頁|网站首页|網站首頁|home)", re.I)
_CRUMB_SEP = re.compile(r"\s*(?:>|＞|›|»|→|/|\\)\s*")
_NOT_SECTION = re.compile(r"^(正文|详情|詳情|正文内容|内容|文章|首页|首頁|home)", re.I)


def breadcrumb(root, base_url: str) -> list[dict]:
    """Crumbs ``[{"name", "url"}]`` of the page's "当前位置" trail, or [].

    The trail is the first element whose class/id names a breadcrumb, or whose
    text starts with a location label, and that links to a home page. Text crumbs
    after the last link (``> 正文``) are kept with ``url`` None.
    """
    site = urlsplit(base_url).netloc
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body"):
            continue
        attrs = f"{el.get('class', '')} {el.get('id', '')}"
        text = clean_text("".join(el.itertext()))
        if not text or len(text) > 200:
            continue
        if not (_CRUMB_ATTR.search(attrs) or _CRUMB_LABEL.match(text)):
            continue
        links = [a for a in el.iter("a") if clean_text("".join(a.itertext()))]
        if not links:
            continue
        first = links[0]
        first_url = urljoin(base_url, first.get("href") or "")
        if not (_HOME.match(clean_text("".join(first.itertext())))
                or (urlsplit(first_url).netloc == site and urlsplit(first_url).path in ("", "/"))):
            continue
        crumbs = [{"name": clean_text("".join(a.itertext())),
                   "url": urljoin(base_url, a.get("href")) if a.get("href") else None} for a in links]
        tail = clean_text(links[-1].tail or "")
        for name in _CRUMB_SEP.split(tail):
            name = name.strip(_TRIM)
            if name:
                crumbs.append({"name": name, "url": None})
        return crumbs
    return []


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
    "labelled_values", "meta_values", "noise_free_dates", "section_of", "split_keywords",
]
