"""Pagination keeps its list's depth; other links go one deeper, as in Scrapy."""

from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares import PaginationDepthMiddleware


def test_pager_links_keep_the_depth_of_their_list_page():
    crawler = get_crawler(Spider, {"DEPTH_LIMIT": 2})
    crawler.stats.open_spider()
    mw = PaginationDepthMiddleware.from_crawler(crawler)
    response = HtmlResponse("http://a.cn/yw/index_7.html", body=b"<html></html>",
                            request=Request("http://a.cn/yw/index_7.html", meta={"depth": 2}))
    pager = mw.get_processed_request(Request("http://a.cn/yw/index_8.html", meta={"pager": True}), response)
    assert pager is not None and pager.meta["depth"] == 2 and "pager" not in pager.meta
    assert response.meta["depth"] == 2
    assert mw.get_processed_request(Request("http://a.cn/yw/t20160804_1.html"), response) is None
    assert crawler.stats.get_value("depth/request_ignored_count") == 1
