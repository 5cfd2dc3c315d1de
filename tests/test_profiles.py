"""Site profiles: loading and validation, the profile extraction step, the spider's URL decisions.

The shipped ``haizhou`` profile is held to the sample portal's truth: its
selectors must give every field of every article page exactly.
"""

import json
import sqlite3
import subprocess
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from conftest import REPO
from crawler.cli import main as cli_main
from crawler.extraction import extract_article
from crawler.extraction.blocks import clean_text, parse_html
from crawler.extraction.profile import decode_for_profile, profile_fields, remove_noise, select
from crawler.profiles import PROFILE_DIR, ProfileError, available_profiles, load_profile
from crawler.spiders.news import NewsSpider

BASE = "http://127.0.0.1:8000"
MINIMAL = 'start_urls = ["http://www.example.gov.cn/"]\n'

@pytest.fixture(scope="module")
def haizhou():
    return load_profile("haizhou")


def write(tmp_path, text, name="site.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- loading and validation

def test_shipped_profiles_load_and_the_example_is_not_listed():
    assert available_profiles() == ["haizhou"]
    for name in available_profiles():
        assert load_profile(name).name == name
    example = load_profile("_example")  # every key, commented: it must validate too
    assert set(example.selectors) == {"title", "body", "published_at", "source", "author", "editor",
                                      "keywords", "breadcrumb"}
    assert example.charset == "gb18030" and example.noise and example.follow_deny_patterns
    assert example.tracking_params == {"sharer_shareid", "sharer_sharetime"}


def test_haizhou_profile_shape(haizhou):
    assert haizhou.path == PROFILE_DIR / "haizhou.toml"
    assert haizhou.start_urls == ("http://127.0.0.1:8000/",)
    assert haizhou.allowed_domains == ("127.0.0.1",)
    assert haizhou.charset is None  # UTF-8 and GBK pages side by side
    assert haizhou.selectors["title"] == ("h1",)


def test_readme_example_and_key_table_hold(tmp_path):
    """The README's profile example loads, and its key table names every key the loader knows."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Site profiles", 1)[1].split("\n## ", 1)[0]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    profile = load_profile(write(tmp_path, example, "mysite.toml"))
    assert profile.charset == "gb18030" and profile.denies("http://www.example.gov.cn/rili/2016/")
    from crawler.profiles import _EXPECTED

    for table, keys in _EXPECTED.items():
        for key, kind in keys.items():
            if kind != "table":
                assert f"`{key}`" in section, key


def test_load_by_path_and_defaults(tmp_path):
    profile = load_profile(str(write(tmp_path, 'start_urls = ["https://www.example.gov.cn/zwgk/"]\n', "gov.toml")))
    assert profile.name == "gov"
    assert profile.allowed_domains == ("example.gov.cn",)  # the start URL's host without www.
    assert profile.selectors == {} and profile.noise == () and profile.charset is None
    assert profile.url_kind("https://www.example.gov.cn/t20160804_1.html") is None  # generic rules decide
    assert not profile.denies("https://www.example.gov.cn/search/")


BAD = [
    # (file text, key the message names, problem it states)
    ('start_urls = ["http://a.cn/"\n', None, "not valid TOML"),
    ('start_url = ["http://a.cn/"]\n', "start_url", 'unknown key; did you mean "start_urls"?'),
    (MINIMAL + '[selectors]\ntitel = ["h1"]\n', "selectors.titel", 'unknown key; did you mean "title"?'),
    (MINIMAL + '[nosie]\nselectors = ["div.share"]\n', "nosie", 'unknown key; did you mean "noise"?'),
    (MINIMAL + '[urls]\narticles = ["/t\\\\d+"]\n', "urls.articles", 'did you mean "article"?'),
    (MINIMAL + 'urls = "x"\n', "urls", "must be a table ([urls]), not a string"),
    ('start_urls = "http://a.cn/"\n', "start_urls", "must be a list of strings"),
    ('start_urls = []\n', "start_urls", "is missing or empty"),
    ('allowed_domains = ["a.cn"]\n', "start_urls", "is missing or empty"),
    ('start_urls = ["www.example.gov.cn"]\n', "start_urls", '"www.example.gov.cn" is not an http(s) URL'),
    ('start_urls = ["ftp://a.cn/"]\n', "start_urls", '"ftp://a.cn/" is not an http(s) URL'),
    (MINIMAL + 'allowed_domains = ["http://a.cn/"]\n', "allowed_domains", '"http://a.cn/" is not a host name'),
    (MINIMAL + 'tracking_params = ["a b"]\n', "tracking_params", '"a b" is not a query parameter name'),
    (MINIMAL + 'tracking_params = [3]\n', "tracking_params", "must hold only non-empty strings, not a number 3"),
    (MINIMAL + '[selectors]\ntitle = "h1"\n', "selectors.title", "must be a list of strings"),
    (MINIMAL + '[selectors]\ntitle = []\n', "selectors.title", "is empty"),
    (MINIMAL + '[selectors]\ntitle = ["h1["]\n', "selectors.title", '"h1[" is not a valid CSS selector ('),
    (MINIMAL + '[selectors]\nbody = ["div::text-ish"]\n', "selectors.body", "is not a valid CSS selector"),
    (MINIMAL + '[selectors]\neditor = ["xpath://p["]\n', "selectors.editor",
     '"xpath://p[" is not a valid XPath expression (Invalid expression)'),
    (MINIMAL + '[selectors]\neditor = ["xpath:"]\n', "selectors.editor", "nothing after xpath:"),
    (MINIMAL + '[noise]\nselectors = ["div..share"]\n', "noise.selectors", "is not a valid CSS selector"),
    (MINIMAL + "[urls]\narticle = ['/t(\\d+']\n", "urls.article", "is not a valid regular expression (missing )"),
    (MINIMAL + "[urls]\ndeny = ['*calendar']\n", "urls.deny", "is not a valid regular expression"),
    (MINIMAL + '[decoding]\ncharset = "gbk-ish"\n', "decoding.charset", '"gbk-ish" is not a charset Python knows'),
    (MINIMAL + '[decoding]\ncharset = 936\n', "decoding.charset", "must be a non-empty string, not a number"),
    ('name = "other"\n' + MINIMAL, "name", '"other" is not the file\'s name ("site")'),
]


@pytest.mark.parametrize("text,key,problem", BAD, ids=[f"{i}-{b[1]}" for i, b in enumerate(BAD)])
def test_validation_errors_name_file_key_and_problem(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    message = str(err.value)
    assert message.startswith(f"{path}: " + (f"{key}: " if key else "")), message
    assert problem in message, message


def test_toml_error_gives_the_line(tmp_path):
    with pytest.raises(ProfileError, match=r"site\.toml: not valid TOML \(.*line 2"):
        load_profile(write(tmp_path, MINIMAL + "[selectors\n"))


def test_unknown_name_lists_the_profiles_and_missing_path_is_named(tmp_path):
    with pytest.raises(ProfileError, match='unknown site profile "haizou": the profiles are haizhou'):
        load_profile("haizou")
    with pytest.raises(ProfileError, match="nope.toml: no such profile file"):
        load_profile(str(tmp_path / "nope.toml"))


def test_values_are_normalised(tmp_path):
    profile = load_profile(write(tmp_path, MINIMAL + 'tracking_params = ["WXShare"]\nallowed_domains = ["A.CN"]\n'
                                           '[decoding]\ncharset = "GB2312"\n'))
    assert profile.tracking_params == {"wxshare"}
    assert profile.allowed_domains == ("a.cn",)
    assert profile.charset == "gb18030"  # GB2312 pages are read as their superset


# ---------------------------------------------------------------- the extraction step

def _truth_fields(truth):
    return {
        "title": truth.title, "body": truth.body, "published_at": truth.published_at, "source": truth.source,
        "author": truth.author, "editor": truth.editor, "keywords": truth.keywords or None,
        "breadcrumb": [{"name": c["name"], "url": BASE + c["url_path"]} for c in truth.breadcrumb],
    }


def _fields_of(portal, profile, truth):
    page = portal.pages[truth.url_path]
    root = parse_html(decode_for_profile(page.body, page.headers["Content-Type"], profile).text)
    remove_noise(root, profile)
    return profile_fields(root, BASE + truth.url_path, profile)


@pytest.mark.parametrize("template", ["gov", "paper", "mobile", "mirror"])
def test_profile_fields_give_the_truth_on_every_page_of_a_template(portal, haizhou, template):
    """Each field the page shows comes from a profile selector; a field it lacks is left out."""
    pages = [t for t in portal.articles if t.template == template]
    assert pages
    mismatches = []
    for truth in pages:
        found = _fields_of(portal, haizhou, truth)
        got = {field: found.get(field, (None, ""))[0] for field in _truth_fields(truth)}
        mismatches += [(truth.url_path, f, got[f], want) for f, want in _truth_fields(truth).items()
                       if got[f] != want]
        assert all(rule.startswith("profile:") for _value, rule in found.values())
    assert not mismatches, mismatches[:5]


def test_selectors_tried_in_order_and_rule_recorded(portal, haizhou):
    mobile = next(t for t in portal.articles if t.template == "mobile")
    found = _fields_of(portal, haizhou, mobile)
    assert found["published_at"][1] == "profile:time::attr(datetime)"  # its text lacks the year
    assert found["keywords"][1] == "profile:div.tags a.tag"
    assert found["source"][1] == "profile:span.source"  # no div.info on mobile pages


def test_labelled_element_without_the_label_gives_nothing():
    root = parse_html('<div class="info">发布时间：2016-08-04 10:21　来源：海州日报</div>'
                      '<span class="writer">王五</span>')
    profile = replace(load_profile("haizhou"), selectors={"author": ("div.info", "span.writer")})
    # div.info holds labelled lines but no 作者: the next selector, a bare name, wins.
    assert profile_fields(root, BASE + "/", profile) == {"author": ("王五", "profile:span.writer")}


def test_xpath_and_attribute_selectors(haizhou):
    root = parse_html('<meta name="PubDate" content="2016-08-04 10:21"><div id="c"><p>一。</p><p>二。</p>'
                      '<p>编辑：李四</p></div>')
    profile = replace(haizhou, selectors={
        "published_at": ("meta[name=PubDate]::attr(content)",),
        "body": ('xpath://div[@id="c"]/p[not(starts-with(., "编辑"))]',),
        "editor": ("xpath://div[@id='c']/p[last()]/text()",),
    })
    found = profile_fields(root, BASE + "/", profile)
    assert found["published_at"][0] == "2016-08-04T10:21:00+08:00"
    assert found["body"][0] == "一。\n二。"
    assert found["editor"][0] == "李四"


def test_nested_matches_are_taken_once():
    root = parse_html('<div class="c"><p>一。</p><div class="c"><p>二。</p></div></div>')
    assert [el.tag for el in select(root, "div.c")] == ["div"]


def test_no_profile_means_no_step():
    root = parse_html("<h1>标题</h1>")
    assert profile_fields(root, BASE + "/", None) == {} and remove_noise(root, None) == 0


def test_noise_removed_before_fields(portal, haizhou):
    truth = next(t for t in portal.articles if t.template == "gov" and t.kind == "original")
    root = parse_html(portal.pages[truth.url_path].body.decode("utf-8"))
    assert remove_noise(root, haizhou) >= 3  # span.font, div.share, div.related
    text = clean_text(" ".join(root.itertext()))
    assert "字体" not in text and "分享到" not in text and "相关阅读" not in text
    assert truth.title in text and truth.body.split("\n")[0] in text
    assert not select(root, "div.share") and select(root, "div.info")


def test_charset_override_decodes_whatever_is_declared(haizhou):
    gbk = replace(haizhou, charset="gb18030")
    body = '<meta charset="utf-8"><h1>海州召开统战工作会议</h1>'.encode("gbk")
    decoded = decode_for_profile(body, "text/html; charset=utf-8", gbk)
    assert (decoded.encoding, decoded.source, decoded.declared) == ("gb18030", "profile", "utf-8")
    assert "海州召开统战工作会议" in decoded.text
    # A byte-order mark still wins; without a charset the usual decoder runs.
    assert decode_for_profile("\ufeff<p>关于</p>".encode("utf-8"), None, gbk).source == "bom"
    assert decode_for_profile(body, None, haizhou).source != "profile"


# ---------------------------------------------------------------- the spider's decisions

def _spider(**args):
    crawler = get_crawler(NewsSpider, {"NEWS_FOLLOW_ARTICLE_LINKS": False})
    return NewsSpider.from_crawler(crawler, **args)


def _response(portal, path, base=BASE):
    page = portal.pages[path]
    return HtmlResponse(base + path, body=page.body, headers=page.headers, request=Request(base + path))


def test_site_gives_start_urls_and_domains_and_start_url_wins():
    spider = _spider(site="haizhou")
    assert spider.start_urls == ["http://127.0.0.1:8000/"] and spider.allowed_domains == ["127.0.0.1"]
    spider = _spider(site="haizhou", start_url="http://www.example.gov.cn/zwgk/")
    assert spider.start_urls == ["http://www.example.gov.cn/zwgk/"]
    assert spider.allowed_domains == ["example.gov.cn"]  # from start_url, not the profile
    assert spider.profile.name == "haizhou"


def test_spider_argument_errors():
    with pytest.raises(ProfileError, match='unknown site profile "nosuch"'):
        _spider(site="nosuch")
    with pytest.raises(ValueError, match="-a site=NAME"):
        _spider()


def test_url_patterns_decide_before_the_generic_rules(portal):
    spider = _spider(site="haizhou")
    kinds = {}
    for path, page in portal.pages.items():
        if page.status == 200 and page.headers["Content-Type"].startswith("text/html") \
                and not spider.profile.denies(BASE + path):
            kinds[path] = spider.kind_of(BASE + path, page.body, page.headers["Content-Type"])
    assert {p for p, k in kinds.items() if k == "article"} == set(portal.article_paths)
    assert "/" in kinds and all(k == "list" for p, k in kinds.items() if p not in portal.article_paths)
    # A URL no pattern matches goes to page_kind: a short page is a list, a long one an article.
    long_page = ("<p>" + "海州召开统战工作会议，部署下一步重点工作。" * 30 + "</p>").encode("utf-8")
    assert spider.kind_of(BASE + "/about.php", b"<p>x</p>", None) == "list"
    assert spider.kind_of(BASE + "/show.php?id=3", long_page, None) == "article"


def test_deny_patterns_and_tracking_params_on_a_list_page(portal):
    """The 通知公告 list links the PDF attachments; the 要闻 list links with tracking parameters."""
    spider = _spider(site="haizhou", start_url=BASE + "/")
    notices = [r.url for r in spider.parse(_response(portal, "/zwgk/tzgg/"))]
    assert notices and not [u for u in notices if "/uploadfiles/" in u]
    # Scrapy's link extractor drops the .pdf link itself; the extension-less one is denied.
    assert spider.crawler.stats.get_value("news/skipped/denied") == 1
    plain = _spider(start_url=BASE + "/")
    assert [u for u in (r.url for r in plain.parse(_response(portal, "/zwgk/tzgg/"))) if "/uploadfiles/" in u]

    followed = [r.url for r in spider.parse(_response(portal, "/"))]
    assert not [u for u in followed if "/search/" in u]
    lists = [r.url for path in ("/yw/", "/jj/", "/sh/") for r in spider.parse(_response(portal, path))]
    assert lists and not [u for u in lists if "utm_" in u or "from=" in u or "spm=" in u]


def test_profile_tracking_params_are_dropped(tmp_path):
    path = write(tmp_path, MINIMAL + 'tracking_params = ["wxshare"]\n')
    spider = _spider(site=str(path))
    request = spider._request("http://www.example.gov.cn/t20160804_1.html?wxshare=1&id=2&from=timeline")
    assert request.url == "http://www.example.gov.cn/t20160804_1.html?id=2"
    assert _spider(start_url="http://www.example.gov.cn/")._request(
        "http://www.example.gov.cn/t20160804_1.html?wxshare=1").url.endswith("?wxshare=1")


def test_bad_profile_stops_scrapy_crawl_before_it_starts(tmp_path, python):
    path = write(tmp_path, MINIMAL + '[selectors]\ntitle = ["h1["]\n', "broken.toml")
    proc = subprocess.run([python, "-m", "scrapy", "crawl", "news", "-a", f"site={path}", "-s", "LOG_LEVEL=INFO"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("crawler.profiles.ProfileError: ")
    assert f'{path}: selectors.title: "h1[" is not a valid CSS selector' in last
    assert "Spider opened" not in proc.stderr


# ---------------------------------------------------------------- the command line

def test_extract_site_errors_exit_2(tmp_path, capsys):
    page = write(tmp_path, "<h1>标题</h1>", "page.html")
    assert cli_main(["extract", str(page), "--site", "nosuch"]) == 2
    assert 'extract: unknown site profile "nosuch": the profiles are haizhou' in capsys.readouterr().err
    bad = write(tmp_path, MINIMAL + '[decoding]\ncharset = "klingon"\n', "bad.toml")
    assert cli_main(["extract", str(page), "--site", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f'extract: {bad}: decoding.charset: "klingon" is not a charset Python knows' in err


def test_extract_with_site_uses_the_profile(portal, tmp_path, capsys):
    truth = next(t for t in portal.articles if t.template == "mobile")
    page = tmp_path / "m.html"
    page.write_bytes(portal.pages[truth.url_path].body)
    assert cli_main(["extract", str(page), "--url", BASE + truth.url_path, "--site", "haizhou"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["provenance"]["title"] == "profile:h1"
    assert record["provenance"]["published_at"] == "profile:time::attr(datetime)"
    assert (record["title"], record["body"], record["keywords"]) == (truth.title, truth.body, truth.keywords)


# ---------------------------------------------------------------- end to end

def test_crawl_with_the_haizhou_profile(portal_server, portal, tmp_path, python):
    """`-a site=haizhou -a start_url=…`: the same article pages as the generic crawl (deduplication
    off, so that each page's fields can be checked), fields from the profile."""
    from test_crawl_e2e import FAST, _expected_fields

    db_path = tmp_path / "news.db"
    proc = subprocess.run(
        [python, "-m", "scrapy", "crawl", "news", "-a", "site=haizhou", "-a", f"start_url={portal_server.url}",
         "-s", f"SQLITE_PATH={db_path}", "-s", "LOG_LEVEL=INFO", "-s", "DEDUP_ENABLED=False", *FAST],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    rows = {r["canonical_url"]: dict(r) for r in conn.execute("select * from articles")}
    stats = json.loads(conn.execute("select stats from crawl_runs order by id desc limit 1").fetchone()[0])
    base = portal_server.url.rstrip("/")
    assert set(rows) == {base + a.url_path for a in portal.articles}
    assert {urlsplit(u).hostname for u in rows} == {"127.0.0.1"}

    by_id = {a.id: a for a in portal.articles}
    mismatches = []
    for truth in portal.articles:
        row = rows[base + truth.url_path]
        got = {"title": row["title"], "body": row["body"], "editor": row["editor"], "source": row["source"],
               "author": row["author"], "published_at": row["published_at"], "section": row["section"],
               "keywords": json.loads(row["keywords"]),
               "breadcrumb": [c["name"] for c in json.loads(row["breadcrumb"])]}
        want = _expected_fields(truth, by_id)
        mismatches += [(truth.id, f, got[f], want[f]) for f in want if got[f] != want[f]]
        provenance = json.loads(row["provenance"])
        assert provenance["title"] == "profile:h1" and provenance["body"].startswith("profile:")
    assert not mismatches, mismatches[:10]

    exp = portal.expected
    assert stats.get("extract/dropped/no_title") == exp["dropped"]["no_title"]
    assert stats.get("extract/dropped/empty_body") == exp["dropped"]["empty_body"]
    # Search pages and attachments are denied before robots.txt or a download sees them.
    assert stats.get("news/skipped/denied", 0) >= len(exp["robots_disallowed_urls"]) + len(exp["non_html_urls"])
    assert stats.get("robotstxt/forbidden", 0) == 0 and stats.get("news/skipped/non_html", 0) == 0


def test_url_folds_map_print_views_and_mobile_hosts(tmp_path):
    path = write(tmp_path, MINIMAL + '[urls]\nfold = [["_print(\\\\.html)$", "\\\\1"], ["^http://m\\\\.", "http://www."]]\n')
    profile = load_profile(path)
    spider = _spider(site=str(path))
    request = spider._request("http://m.example.gov.cn/yw/t20160804_1_print.html?from=timeline")
    assert request.url == "http://www.example.gov.cn/yw/t20160804_1.html"
    page = "<html><head><title>标题文字_网</title></head><body><h1>标题文字</h1><div><p>" + "正文内容。" * 30 + "</p></div></body></html>"
    article = extract_article("http://m.example.gov.cn/yw/t20160804_1_print.html", page, profile=profile)
    assert article.canonical_url == "http://www.example.gov.cn/yw/t20160804_1.html"


def test_bad_fold_is_a_clear_error(tmp_path):
    path = write(tmp_path, MINIMAL + '[urls]\nfold = [["(", "x"]]\n')
    with pytest.raises(ProfileError, match=r"urls\.fold: .* is not a valid rewrite"):
        load_profile(path)
    path = write(tmp_path, MINIMAL + '[urls]\nfold = ["_print"]\n', "two.toml")
    with pytest.raises(ProfileError, match=r"urls\.fold: must be a list of \[pattern, replacement\] pairs"):
        load_profile(path)
