"""Data types of the sample portal: served pages, article ground truth, the portal."""

from __future__ import annotations

from dataclasses import dataclass, field

NOT_FOUND_HTML = (
    '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
    "<title>404 页面不存在</title></head>\n<body><h1>404</h1>"
    '<p>您访问的页面不存在或已被删除。</p><p><a href="/">返回首页</a></p></body></html>\n'
)


@dataclass(frozen=True)
class Page:
    """One HTTP response: status, headers (at least Content-Type) and body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes


NOT_FOUND = Page(404, {"Content-Type": "text/html; charset=utf-8"}, NOT_FOUND_HTML.encode("utf-8"))


@dataclass
class ArticleTruth:
    """What a perfect extractor should get from one article page.

    Text fields hold what the page shows: for mirror copies that is the damaged
    Traditional text with pinyin. `body` is the visible paragraphs joined by
    "\\n", each stripped of its leading indentation (ideographic spaces,
    non-breaking spaces); empty spacer paragraphs are not part of it.
    `published_at` is ISO 8601 with +08:00, a bare date when the page shows
    only a date, or None when it shows none.
    """

    id: str
    url_path: str
    template: str
    encoding: str
    charset_declared: str
    title: str
    body: str
    published_at: str | None
    source: str | None
    author: str | None
    editor: str | None
    keywords: list[str]
    breadcrumb: list[dict[str, str]]
    section: str
    canonical_of: str | None = None
    kind: str = "original"


@dataclass
class Portal:
    """A generated portal: pages by path+query, article truth and expected numbers.

    `article_paths` are the paths that also answer with any query string
    appended (tracking parameters), as article pages do on real CMSs.
    """

    pages: dict[str, Page]
    articles: list[ArticleTruth]
    expected: dict
    article_paths: frozenset[str] = field(default_factory=frozenset)

    def lookup(self, target: str) -> Page:
        """Return the page for a request target ("/path?query"), or the 404 page."""
        page = self.pages.get(target)
        if page is not None:
            return page
        path = target.split("?", 1)[0].split("#", 1)[0]
        if path in self.article_paths:
            return self.pages[path]
        return NOT_FOUND
