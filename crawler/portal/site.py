"""The shape of the sample portal: site names, sections and outside links.

Sections carry everything the generator needs to fill them: the page template
of their articles, the list pagination style, the prose topic and how many
articles to write. Change the counts here to grow or shrink the portal, or
multiply them all with `build_portal(scale=N)`.
"""

from __future__ import annotations

from dataclasses import dataclass

SITE_NAME = "海州新闻网"
CITY_NAME = "海州市"
SITE_HOST = "www.haizhou-news.cn"  # only shown in footers; never used to build links

# Sent in every list and article page footer; a crawler must never fetch them.
EXTERNAL_LINKS = (
    ("中国政府网", "http://www.gov.cn/"),
    ("新华网", "http://www.xinhuanet.com/"),
    ("人民网", "http://www.people.com.cn/"),
    ("中国互联网违法和不良信息举报中心", "https://www.12377.cn/"),
)

ROBOTS_DISALLOW = ("/search/",)


@dataclass(frozen=True)
class Section:
    """One column of the portal.

    `path` ends with "/". `template` is the article page template ("gov",
    "paper", "mobile") or None for a parent that only groups sub-sections.
    `list_style` is "trs" (index.html, index_1.html, ...) or "query"
    (list?page=N). `in_nav` puts the section in the top navigation bar;
    `hidden` keeps it (and its articles) off every page except its parent's
    section page.
    """

    key: str
    name: str
    path: str
    parent: str | None = None
    template: str | None = None
    topic: str | None = None
    count: int = 0
    list_style: str = "trs"
    in_nav: bool = True
    hidden: bool = False


SECTIONS: tuple[Section, ...] = (
    Section("yw", "要闻", "/yw/", template="gov", topic="yw", count=50),
    Section("dpsy", "党派·声音", "/dpsy/", in_nav=False),
    Section("tyzx", "统一战线", "/dpsy/tyzx/", parent="dpsy", template="gov", topic="tyzx", count=30),
    Section("mzdp", "民主党派", "/dpsy/mzdp/", parent="dpsy", template="gov", topic="mzdp", count=25),
    # Reachable only through the 党派·声音 page, itself linked only from breadcrumbs.
    Section("qwgz", "侨务工作", "/dpsy/qwgz/", parent="dpsy", template="gov", topic="qwgz",
            count=12, in_nav=False, hidden=True),
    Section("zwgk", "政务公开", "/zwgk/"),
    Section("zcjd", "政策解读", "/zwgk/zcjd/", parent="zwgk", template="gov", topic="zcjd", count=30,
            in_nav=False),
    Section("tzgg", "通知公告", "/zwgk/tzgg/", parent="zwgk", template="gov", topic="tzgg", count=20,
            in_nav=False),
    Section("jj", "经济", "/jj/", template="gov", topic="jj", count=40),
    Section("sh", "社会", "/sh/", template="mobile", topic="sh", count=40, list_style="query"),
    Section("wl", "文旅", "/wl/", template="mobile", topic="wl", count=25, list_style="query"),
    Section("paper", "城市", "/paper/"),
    Section("hz", "海州", "/paper/hz/", parent="paper", template="paper", topic="paper", count=30,
            in_nav=False),
    Section("qx", "区县", "/paper/qx/", parent="paper", template="paper", topic="paper", count=20,
            in_nav=False),
)

SECTION_BY_KEY = {s.key: s for s in SECTIONS}

LIST_PAGE_SIZE = 18
