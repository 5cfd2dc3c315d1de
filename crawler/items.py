"""The ``Article`` item: one news article as the pipelines and the database see it.

Extraction (:mod:`crawler.extract`) fills it; pipelines touch it through
``itemadapter.ItemAdapter`` or :func:`as_dict`, so plain dicts with the same keys work in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class Article:
    url: str
    """The URL the page was fetched from."""
    canonical_url: str
    """The article's key: ``<link rel=canonical>`` when the page has one, else the URL,
    canonicalised and stripped of tracking parameters (see :mod:`crawler.urls`)."""
    title: str
    body: str
    """Paragraphs, separated by ``\\n``."""
    editor: str | None = None
    keywords: list[str] = field(default_factory=list)
    published_at: str | None = None
    """ISO 8601; ``+08:00`` when the page gives a time but no zone; date only when
    the page shows only a date."""
    source: str | None = None
    author: str | None = None
    breadcrumb: list[dict] = field(default_factory=list)
    """``[{"name": "首页", "url": "http://…/"}, …]`` as shown on the page."""
    section: str | None = None
    """The last breadcrumb crumb that names a section (not 正文/首页)."""
    site: str | None = None
    """Host name of the site the article was found on."""
    fetched_at: str | None = None
    status: int | None = None
    encoding: str | None = None
    """The encoding the bytes were decoded with (``gb18030`` for GBK/GB2312 pages)."""
    encoding_from: str | None = None
    """Where that encoding came from: ``bom``, ``header``, ``meta``, ``detected``, ``default``
    or ``profile`` (a site profile's charset override)."""
    redirected_from: list[str] = field(default_factory=list)
    """URLs that redirected to ``url`` (recorded as the article's URLs too, so that a
    re-crawl knows them)."""
    etag: str | None = None
    last_modified: str | None = None
    """The response's validators, sent back on re-crawls (If-None-Match / If-Modified-Since)."""
    provenance: dict[str, str] = field(default_factory=dict)
    """Field name -> the extraction rule that produced it (e.g. ``"meta:ArticleTitle"``)."""
    repairs: list[str] = field(default_factory=list)
    """Names of the repair fixers that changed this article (``pinyin_annotations`` …)."""
    repair_flags: list[str] = field(default_factory=list)
    """``unrecoverable`` (bytes were lost before we got the page) or ``guessed``."""
    title_simplified: str | None = None
    """OpenCC t2s of the title, when it differs from the title (Traditional pages)."""
    body_simplified: str | None = None


ARTICLE_FIELDS = tuple(f.name for f in fields(Article))


def as_dict(item) -> dict:
    """A shallow dict of an item's fields, as ``dict(ItemAdapter(item).items())`` gives it.

    An ``Article`` is read directly: ItemAdapter lists a dataclass's fields again for
    every item it wraps, which was 3% of the crawl process's time in the pipelines.

    >>> from itemadapter import ItemAdapter
    >>> article = Article("http://a.cn/1.html", "http://a.cn/1.html", "标题", "正文", keywords=["会议"])
    >>> as_dict(article) == dict(ItemAdapter(article).items())
    True
    >>> as_dict({"url": "http://a.cn/1.html"})
    {'url': 'http://a.cn/1.html'}
    """
    if type(item) is Article:
        return {name: getattr(item, name) for name in ARTICLE_FIELDS}
    # Imported here: itemadapter imports Scrapy, and the worker processes import this
    # module (extraction makes Articles) without needing either (~20 MB each).
    from itemadapter import ItemAdapter

    return dict(ItemAdapter(item).items())
