from crawler.urls import canonical_url


def test_tracking_parameters_removed_and_query_sorted():
    assert canonical_url("http://a.cn/x.html?utm_source=wx&from=timeline&isappinstalled=0") == "http://a.cn/x.html"
    assert canonical_url("http://a.cn/list?page=2&id=7&spm=a.b.c") == "http://a.cn/list?id=7&page=2"


def test_content_parameters_kept():
    assert canonical_url("http://a.cn/show.jsp?id=123") == "http://a.cn/show.jsp?id=123"


def test_fragment_and_case_of_host():
    assert canonical_url("HTTP://A.CN/a.html#comments") == "http://a.cn/a.html"
