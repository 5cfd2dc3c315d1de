"""Spider middlewares of the project.

``PaginationDepthMiddleware`` replaces Scrapy's ``DepthMiddleware`` (same settings,
same stats): a pagination link (``下一页``, ``index_2.html``, ``?page=3``; the spider
marks it with ``meta["pager"]``) keeps its list page's depth instead of adding one.
``DEPTH_LIMIT`` then bounds how far a crawl goes from the start page through
sections and articles, not how long a section's archive is: a list of 500 pages
linked only page to page would otherwise be cut at page ``DEPTH_LIMIT``. Endless
pagination is bounded by the spider's ``NEWS_PAGINATION_LIMIT`` instead.
"""

from __future__ import annotations

from scrapy.spidermiddlewares.depth import DepthMiddleware


class PaginationDepthMiddleware(DepthMiddleware):
    def get_processed_request(self, request, response):
        if response is not None and request.meta.pop("pager", False):
            # Scrapy adds one to the response's depth; a page of the same list is not deeper.
            depth = response.meta.get("depth", 0)
            response.meta["depth"] = depth - 1
            try:
                return super().get_processed_request(request, response)
            finally:
                response.meta["depth"] = depth
        return super().get_processed_request(request, response)
