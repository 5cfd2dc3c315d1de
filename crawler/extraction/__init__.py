"""Article extraction: a pure function of (URL, HTML bytes or text) -> ``Article``.

No Scrapy objects here: the spider and ``python -m crawler extract`` call
:func:`extract_article` alike, and tests call it on fixture files.

The chain, per field, first hit wins; ``Article.provenance`` names the rule:

0. the site profile's selectors, when a profile is given (:mod:`crawler.profiles`);
1. structured data: ``<meta>`` names of Chinese CMSs (``ArticleTitle``, ``PubDate``,
   ``ContentSource``, ``keywords``…), OpenGraph, JSON-LD ``NewsArticle``;
2. visible labelled lines: ``来源：``, ``作者：``/``记者``, ``责任编辑：``, ``关键词：``,
   ``发布时间：``, ``当前位置：`` (see :mod:`.metadata`);
3. the body finder (:mod:`.body`).

For author, source and keywords the visible line wins over ``<meta>``: CMSs fill
``<meta name=author>`` and ``keywords`` with the site's own name and section lists.
"""

from __future__ import annotations

import re
from functools import cache, partial
from urllib.parse import urljoin, urlsplit

from ..decoding import decode_html
from ..items import Article
from ..profiles import Profile
from ..urls import canonical_url
from .blocks import is_noise, page_blocks, parse_html
from .body import best_container, body_paragraphs, body_start, prose_score
from .dates import find_date, parse_date
from .metadata import (
    breadcrumb, clean_name_value, find_keywords, json_ld_article, json_ld_text, labelled_values,
    meta_values, named_elements, noise_free_dates, section_of, date_line_source, credit_line,
    script_pubtime,
)
from .profile import decode_for_profile, profile_fields, remove_noise
from .title import find_title


class ExtractionError(ValueError):
    """A page that cannot give an article; ``reason`` is a short stats key."""

    def __init__(self, reason: str, url: str = ""):
        super().__init__(f"{reason}: {url}" if url else reason)
        self.reason = reason


# URL shapes of article pages in Chinese CMSs: TRS t20160804_1234.html, Founder
# content_1234.htm, dated folders, /article/, /detail/, long numeric ids.
_ARTICLE_URL = re.compile(
    r"(?:/t\d{8}_\d+|content_\d+|/\d{4}-?\d{2}/?\d{2}/[^/]+\.s?html?$|/art_\d+|/articles?/|/detail|"
    r"/\d{6,}\.s?html?$|/\d{4}/\d{4}/)",
    re.IGNORECASE,
)
_LIST_URL = re.compile(r"(?:/index(?:_\d+)?\.s?html?$|/$|/list|node_\d+|[?&](?:page|p|pageno|pageindex)=)", re.I)


def page_kind(url: str, body: bytes | str | None = None, content_type: str | bytes | None = None) -> str:
    """``"article"`` or ``"list"``: by URL shape, else by how much prose the page holds.

    >>> page_kind("http://a.cn/yw/201608/t20160804_123.html"), page_kind("http://a.cn/yw/index_2.html")
    ('article', 'list')
    """
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    if _ARTICLE_URL.search(path):
        return "article"
    if _LIST_URL.search(path) or body is None:
        return "list"
    text = decode_html(body, content_type).text if isinstance(body, bytes) else body
    chars, sentences = prose_score(page_blocks(parse_html(text)))
    return "article" if chars >= 200 and sentences >= 3 else "list"


_META_DATES = ("publishdate", "pubdate", "publish_date", "article:published_time", "og:release_date",
               "datepublished", "releasedate")


def _published_at(root, blocks, metas, ld, lines, date_block, title_at, credit, prov) -> str | None:
    """The publish date, first rule that gives one: meta, JSON-LD, page scripts, a labelled
    line, the date line under the headline, <time> outside boilerplate, the first date
    after the headline, a credit line's month."""
    for key in _META_DATES:
        if parse_date(metas.get(key)):
            prov["published_at"] = f"meta:{key}"
            return parse_date(metas[key])
    candidates = (
        (lambda: parse_date(ld.get("datePublished")), "jsonld:datePublished"),
        (lambda: script_pubtime(root), "script:pubtime"),
        (lambda: parse_date(lines["date"][0]) if "date" in lines else None, lines.get("date", ("", ""))[1]),
        (lambda: find_date(date_block.text)[0] if date_block is not None else None, "text:date_line"),
        (lambda: _time_element_date(root), "time"),
    )
    for get, rule in candidates:
        value = get()
        if value:
            prov["published_at"] = rule
            return value
    found = noise_free_dates(blocks, title_at)
    if found:
        prov["published_at"] = found[1]
        return found[0]
    if credit and credit[1]:
        prov["published_at"] = "text:credit_line"
        return credit[1]
    return None


def _time_element_date(root) -> str | None:
    for time_el in root.iter("time"):
        value = parse_date(time_el.get("datetime")) or parse_date("".join(time_el.itertext()))
        if value and not any(is_noise(a) for a in time_el.iterancestors()):
            return value
    return None


_META_NAMES = {"author": ("author", "article:author"), "source": ("contentsource", "source"), "editor": ()}


def _person_or_source(kind, lines, metas, ld, date_block, credit, prov) -> str | None:
    """Author, source or editor: the labelled line, then JSON-LD/meta, then (source) the
    date line's unlabelled slot and a credit line. Visible lines win over <meta>: CMSs
    fill ``<meta name=author>`` with the site's own name."""
    candidates = []
    if kind in lines:
        candidates.append((lambda: clean_name_value(kind, lines[kind][0]), lines[kind][1]))
    if kind == "author":
        candidates.append((lambda: json_ld_text(ld.get("author")), "jsonld:author"))
    for key in _META_NAMES[kind]:
        candidates.append((lambda key=key: clean_name_value(kind, metas[key]) if metas.get(key) else None,
                           f"meta:{key}"))
    if kind == "source":
        candidates.append((lambda: date_line_source(date_block.text) if date_block is not None else None,
                           "text:date_line"))
        candidates.append((lambda: credit[0] if credit else None, "text:credit_line"))
    for get, rule in candidates:
        value = get()
        if value:
            prov[kind] = rule
            return value
    return None


def _canonical_link(root, url: str) -> str:
    """``<link rel=canonical>``'s target when it is on the page's own host and not a home
    or list page, else ``url``."""
    link = next((el.get("href") for el in root.iter("link")
                 if (el.get("rel") or "").lower() == "canonical" and el.get("href")), None)
    if link:
        target = urljoin(url, link.strip())
        parts = urlsplit(target)
        # Templates that point every page at the home page or a section list do not
        # name the article's URL: ignore them rather than merge the site into one row.
        if parts.netloc == urlsplit(url).netloc and not _LIST_URL.search(parts.path or "/"):
            return target
    return url


def _canonical(url: str, profile: Profile | None) -> str:
    """Canonical form of ``url``, with the profile's tracking parameters and folds."""
    if profile is None:
        return canonical_url(url)
    url = canonical_url(url, profile.tracking_params)
    return canonical_url(profile.fold(url), profile.tracking_params)


def extract_article(
    url: str,
    body: bytes | str,
    *,
    content_type: str | bytes | None = None,
    status: int | None = None,
    fetched_at: str | None = None,
    profile: Profile | None = None,
) -> Article:
    """Extract one article from a page; raise :class:`ExtractionError` when it holds none."""
    encoding = encoding_from = utf8 = None
    if isinstance(body, bytes):
        decoded = decode_for_profile(body, content_type, profile)
        text, encoding, encoding_from, utf8 = decoded.text, decoded.encoding, decoded.source, decoded.utf8
    else:
        text = body
    root = parse_html(text, utf8)
    remove_noise(root, profile)
    by_profile = profile_fields(root, url, profile)
    blocks = page_blocks(root)
    metas = meta_values(root)
    ld = json_ld_article(root)
    prov: dict[str, str] = {}

    container = best_container(blocks)
    start = body_start(blocks, container)
    structured = [(metas[k], f"meta:{k}") for k in ("articletitle", "og:title", "twitter:title") if metas.get(k)]
    if isinstance(ld.get("headline"), str):
        structured.append((ld["headline"], "jsonld:headline"))
    if "title" in by_profile:
        (title, prov["title"]), title_at = by_profile["title"], -1
    else:
        title, prov["title"], title_at = find_title(blocks, start, root.findtext(".//title") or "", structured)
    if not title:
        raise ExtractionError("no_title", url)
    if "body" in by_profile:
        paragraphs, prov["body"] = by_profile["body"][0].split("\n"), by_profile["body"][1]
    else:
        paragraphs, prov["body"] = body_paragraphs(blocks, container, title), "body:density"
    if not paragraphs:
        raise ExtractionError("empty_body", url)

    lines = labelled_values(blocks)
    if title_at < 0:  # the headline came from <title>, <meta> or a profile: find its line on the page
        seen = [i for i, b in enumerate(blocks) if title in b.text]
        title_at = max((i for i in seen if i <= start), default=seen[0] if seen else max(start - 1, 0))
    # The date line under the headline: a short block holding a date (and often the source).
    date_block = next((b for b in blocks[title_at:title_at + 8] if len(b.text) <= 120 and find_date(b.text)), None)
    credit = credit_line(paragraphs)

    published_at = _published_at(root, blocks, metas, ld, lines, date_block, title_at, credit, prov)
    fields = {kind: _person_or_source(kind, lines, metas, ld, date_block, credit, prov)
              for kind in ("author", "source", "editor")}
    named = cache(partial(named_elements, root))  # one walk, shared, and only if a search needs it
    keywords, prov_keywords = find_keywords(root, lines, metas, title, paragraphs, named)
    if keywords:
        prov["keywords"] = prov_keywords
    crumbs = breadcrumb(root, url, blocks, named)
    if crumbs:
        prov["breadcrumb"] = "breadcrumb"

    # Profile selectors win over every generic rule (title and body were taken above).
    if "published_at" in by_profile:
        published_at, prov["published_at"] = by_profile["published_at"]
    for kind in ("source", "author", "editor"):
        if kind in by_profile:
            fields[kind], prov[kind] = by_profile[kind]
    if "keywords" in by_profile:
        keywords, prov["keywords"] = by_profile["keywords"]
    if "breadcrumb" in by_profile:
        crumbs, prov["breadcrumb"] = by_profile["breadcrumb"]

    canonical = _canonical_link(root, url)
    if canonical != url:
        prov["canonical_url"] = "link:canonical"

    return Article(
        url=url,
        canonical_url=_canonical(canonical, profile),
        title=title,
        body="\n".join(paragraphs),
        editor=fields["editor"],
        keywords=keywords,
        published_at=published_at,
        source=fields["source"],
        author=fields["author"],
        breadcrumb=crumbs,
        section=section_of(crumbs),
        site=urlsplit(url).hostname,
        fetched_at=fetched_at,
        status=status,
        encoding=encoding,
        encoding_from=encoding_from,
        provenance=prov,
    )


__all__ = ["ExtractionError", "extract_article", "page_kind", "parse_date"]
