"""HTML templates of the sample portal, one function per page type.

Each function takes plain data and returns an HTML string; the generator
decides encodings and headers. The markup copies habits of real Chinese
CMSs (TRS/WCM government sites, Founder e-papers, mobile news apps, cheap SEO
mirrors), including the boilerplate an extractor has to skip: navigation,
share bars, related-article lists, copyright footers.

Breadcrumbs always sit in one element whose class is in `CRUMB_CLASSES`; the
generator relies on that to tell breadcrumb links from other links.
"""

from __future__ import annotations

from html import escape

from .site import CITY_NAME, EXTERNAL_LINKS, SITE_HOST, SITE_NAME

CRUMB_CLASSES = ("location", "position", "crumbs", "crumb")

Link = tuple[str, str]  # (text, href)


def _a(text: str, href: str, **attrs: str) -> str:
    extra = "".join(f' {k.rstrip("_")}="{escape(v)}"' for k, v in attrs.items())
    return f'<a href="{escape(href)}"{extra}>{escape(text)}</a>'


def nav_bar(nav: list[Link]) -> str:
    items = "".join(f"<li>{_a(t, h)}</li>" for t, h in nav)
    return f'<div class="nav"><ul class="clearfix">{items}</ul></div>'


def header(nav: list[Link]) -> str:
    return (
        '<div class="top"><div class="w1200">'
        f'<span class="welcome">欢迎访问{SITE_NAME}</span>'
        '<span class="top-r"><a href="javascript:;" onclick="setHome()">设为首页</a> | '
        '<a href="javascript:;" onclick="addFav()">加入收藏</a> | '
        '<a href="javascript:;">无障碍浏览</a></span></div></div>\n'
        f'<div class="header"><div class="logo"><a href="/"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" '
        f'alt="{SITE_NAME}"></a></div>'
        '<form class="search" action="javascript:;"><input type="text" placeholder="请输入关键词">'
        '<button type="button">搜索</button></form></div>\n'
        f"{nav_bar(nav)}"
    )


def footer(home: bool = False, extra_links: list[Link] | None = None) -> str:
    ext = " ".join(_a(t, h, target="_blank") for t, h in EXTERNAL_LINKS)
    own = " | ".join(_a(t, h) for t, h in (extra_links or []))
    return (
        '<div class="footer">'
        f'<div class="links">相关链接：{ext}</div>'
        + (f'<div class="links2">{own}</div>' if own else "")
        + f"<p>主办：{CITY_NAME}新闻传媒中心　承办：{SITE_NAME}编辑部　地址：{CITY_NAME}东湖区滨海大道88号</p>"
        f"<p>版权所有 &copy; {SITE_NAME}（{SITE_HOST}）　未经书面授权禁止转载、摘编或建立镜像</p>"
        "<p>海ICP备05012345号-1　海公网安备33020302000123号　违法和不良信息举报电话：0580-12345</p>"
        + ("<p>本网站由海州新闻传媒中心信息技术部维护</p>" if home else "")
        + "</div>\n"
        '<script type="text/javascript">var _hzq = _hzq || []; (function(){ /* 流量统计 */ })();</script>'
    )


def crumb_trail(crumbs: list[Link], sep: str = " &gt; ") -> str:
    return sep.join(_a(t, h) for t, h in crumbs)


def paragraphs_html(paragraphs: list[str], indent: str, spacer: bool) -> str:
    """Render body paragraphs with one of the indentation habits of CMS editors."""
    out = []
    for i, text in enumerate(paragraphs):
        t = escape(text, quote=False)
        if indent == "fullwidth":
            out.append(f"<p>\u3000\u3000{t}</p>")
        elif indent == "css":
            out.append(f'<p style="text-indent:2em;">{t}</p>')
        elif indent == "nbsp":
            out.append(f"<p>&nbsp;&nbsp;&nbsp;&nbsp;{t}</p>")
        else:
            out.append(f"<p>{t}</p>")
        if spacer and i == 0:
            # Editors often leave an empty paragraph after the lead.
            out.append("<p>&nbsp;</p>")
    return "\n".join(out)


def gov_article(
    *, title: str | None, page_title: str, section: str, nav: list[Link], crumbs: list[Link],
    date_line: str, source: str | None, author: str | None, editor: str | None,
    keywords: list[str], keyword_mode: str, paragraphs: list[str], indent: str, spacer: bool,
    related: list[Link], canonical: str | None, print_href: str | None, pub_meta: str,
) -> str:
    """A TRS/WCM government site article page (UTF-8, <meta charset>)."""
    head = ['<meta charset="utf-8">', '<meta http-equiv="X-UA-Compatible" content="IE=edge">',
            f"<title>{escape(page_title)}</title>"]
    if keyword_mode in ("meta", "both"):
        head.append(f'<meta name="keywords" content="{escape(",".join(keywords))}">')
    if paragraphs:
        head.append(f'<meta name="description" content="{escape(paragraphs[0][:60])}">')
    if title:
        head.append(f'<meta name="ArticleTitle" content="{escape(title)}">')
    head.append(f'<meta name="PubDate" content="{escape(pub_meta)}">')
    if source:
        head.append(f'<meta name="ContentSource" content="{escape(source)}">')
    head.append(f'<meta name="ColumnName" content="{escape(section)}">')
    if canonical:
        head.append(f'<link rel="canonical" href="{escape(canonical)}">')
    info = [date_line]
    if source:
        info.append(f"来源：{escape(source)}")
    if author:
        info.append(f"作者：{escape(author)}")
    printer = _a("【打印】", print_href) if print_href else '<a href="javascript:window.print();">【打印】</a>'
    rel = "".join(f"<li>{_a(t, h, target='_blank')}</li>" for t, h in related)
    body = [
        "<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", *head, "</head>", "<body>",
        header(nav),
        f'<div class="location">当前位置：{crumb_trail(crumbs)}</div>',
        '<div class="article">',
        f"<h1>{escape(title)}</h1>" if title else "",
        '<div class="info">' + "\u3000".join(info)
        + '<span class="font">【字体：<a href="javascript:doZoom(16)">大</a> '
        '<a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a>】</span></div>',
        '<div class="TRS_Editor">',
        paragraphs_html(paragraphs, indent, spacer),
        "</div>",
    ]
    if keyword_mode in ("line", "both"):
        body.append(f'<div class="keywords">关键词：{escape(" ".join(keywords))}</div>')
    if editor:
        body.append(f'<div class="editor">责任编辑：{escape(editor)}</div>')
    body += [
        '<div class="share">分享到：<a href="javascript:;" class="wx">微信</a> '
        '<a href="javascript:;" class="wb">微博</a> <a href="javascript:;" class="qz">QQ空间</a>'
        f'<span class="tools">{printer} <a href="javascript:window.close();">【关闭】</a></span></div>',
        "</div>",
        f'<div class="related"><h3>相关阅读</h3><ul>{rel}</ul></div>' if rel else "",
        footer(),
        "</body>",
        "</html>",
    ]
    return "\n".join(line for line in body if line) + "\n"


def print_view(*, title: str, canonical: str, date_line: str, source: str | None,
               paragraphs: list[str], indent: str) -> str:
    """The printer-friendly copy of a gov article, pointing back with rel=canonical."""
    src = f"\u3000来源：{escape(source)}" if source else ""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="canonical" href="{escape(canonical)}">\n'
        '<style>body{font-size:14px} .noprint{display:none}</style>\n</head>\n'
        '<body onload="window.print();">\n<div class="print-page">\n'
        f"<h1>{escape(title)}</h1>\n"
        f'<div class="info">{date_line}{src}</div>\n'
        f'<div class="TRS_Editor">\n{paragraphs_html(paragraphs, indent, False)}\n</div>\n'
        '<p class="close"><a href="javascript:window.close();">【关闭窗口】</a></p>\n'
        "</div>\n</body>\n</html>\n"
    )


def paper_article(
    *, title: str, page_title: str, charset_meta: str | None, crumbs: list[Link], edition: str,
    date_text: str, source: str, byline: str | None, kicker: str | None, subtitle: str | None,
    paragraphs: list[str], founder: bool, editor_label: str, editor: str | None,
    keywords: list[str], sections: list[Link], prev_next: list[Link],
) -> str:
    """A Founder-style newspaper e-paper page; the generator encodes it as GBK."""
    meta = charset_meta or ""
    paras = paragraphs_html(paragraphs, "fullwidth", False)
    content = (f"<founder-content>\n{paras}\n</founder-content>" if founder else paras)
    side = "".join(f"<li>{_a(t, h)}</li>" for t, h in sections)
    pn = "\u3000".join(f"{label}{_a(t, h)}" for label, (t, h) in zip(("上一篇：", "下一篇："), prev_next) if h)
    lines = [
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">',
        "<html>", "<head>", meta,
        f"<title>{escape(page_title)}</title>",
        '<style type="text/css">#ozoom{font-size:14px;line-height:1.8}</style>',
        "</head>", '<body leftmargin="0" topmargin="0">',
        f'<div class="paper-head"><a href="/paper/">海州日报数字报</a>\u3000{date_text.split(" ")[0]}'
        f"\u3000{escape(edition)}</div>",
        f'<div class="position">您现在的位置：{crumb_trail(crumbs)}</div>',
        '<table width="1000" border="0" cellspacing="0" cellpadding="0"><tr>',
        f'<td class="left" valign="top" width="260"><div class="bmdh">版面导航</div><ul>{side}</ul></td>',
        '<td class="main" valign="top">',
        f'<h3 class="yt">{escape(kicker)}</h3>' if kicker else "",
        f"<h1>{escape(title)}</h1>",
        f'<h2 class="ft">{escape(subtitle)}</h2>' if subtitle else "",
        f'<div class="info">{date_text}\u3000来源：{escape(source)}</div>',
        f'<div class="byline">{escape(byline)}</div>' if byline else "",
        f'<div id="ozoom">\n{content}\n</div>',
        f'<div class="edit">{editor_label}{escape(editor)}</div>' if editor else "",
        f'<div class="keywords">关键词：{escape(" ".join(keywords))}</div>',
        f'<div class="prenext">{pn}</div>' if pn else "",
        "</td></tr></table>",
        footer(),
        "</body>", "</html>",
    ]
    return "\n".join(line for line in lines if line) + "\n"


def mobile_article(
    *, title: str, page_title: str, crumbs: list[Link], datetime_attr: str, time_text: str,
    year_text: str | None, source: str | None, author_label: str, author: str | None,
    paragraphs: list[str], keywords: list[str], editor: str | None, recommend: list[Link],
) -> str:
    """A mobile news page: <article>, <time datetime>, section.article-body."""
    meta = []
    if year_text:
        meta.append(f'<span class="year">{year_text}</span>')
    meta.append(f'<time datetime="{datetime_attr}">{time_text}</time>')
    if source:
        meta.append(f'<span class="source">来源：{escape(source)}</span>')
    if author:
        meta.append(f'<span class="author">{author_label}{escape(author)}</span>')
    tags = "".join(f'<a class="tag">{escape(k)}</a>' for k in keywords)
    rec = "".join(f"<li>{_a(t, h)}</li>" for t, h in recommend)
    lines = [
        "<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1,maximum-scale=1">',
        f"<title>{escape(page_title)}</title>",
        f'<meta name="description" content="{escape(paragraphs[0][:50])}">',
        "</head>", '<body class="m">',
        f'<header class="m-head"><a href="/" class="logo">{SITE_NAME}</a>'
        '<a class="open-app" href="javascript:;">打开APP</a></header>',
        f'<nav class="crumbs">{crumb_trail(crumbs)}</nav>',
        "<article>",
        f"<h1>{escape(title)}</h1>",
        f'<div class="meta">{" ".join(meta)}</div>',
        '<section class="article-body">',
        paragraphs_html(paragraphs, "plain", False),
        "</section>",
        f'<div class="tags">标签：{tags}</div>',
        f'<p class="editor">责编：{escape(editor)}</p>' if editor else "",
        "</article>",
        '<div class="app-banner">下载海州新闻客户端，阅读更多本地资讯<a href="javascript:;">立即下载</a></div>',
        f'<section class="recommend"><h2>热门推荐</h2><ul>{rec}</ul></section>' if rec else "",
        f'<footer class="m-foot"><a href="/">电脑版</a> | <a href="#top">返回顶部</a>'
        f"<p>&copy; {SITE_NAME}</p></footer>",
        "</body>", "</html>",
    ]
    return "\n".join(line for line in lines if line) + "\n"


def mirror_article(*, title: str, crumbs: list[Link], column: str, paragraphs: list[str],
                   editor_line: str, keywords_line: str, related: list[Link]) -> str:
    """A cheap SEO mirror page: no date, no source, editor and keywords as body <p>s."""
    rel = "".join(f"<li>{_a(t, h)}</li>" for t, h in related)
    paras = "\n".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f"<title>{escape(title)}-{escape(column)}</title>\n"
        f'<meta name="keywords" content="{escape(title)}">\n'
        "</head>\n<body>\n"
        '<div class="head"><a href="/mirror/index.html">資訊中心</a> <span>熱門資訊 每日更新</span></div>\n'
        f'<div class="crumb">{crumb_trail(crumbs, "&gt;")}</div>\n'
        f'<div class="lmname">{escape(column)}</div>\n'
        f"<h1>{escape(title)}</h1>\n"
        f'<div class="content">\n{paras}\n<p>{escape(editor_line, quote=False)}</p>\n'
        f"<p>{escape(keywords_line, quote=False)}</p>\n</div>\n"
        f'<div class="xgyd"><h3>相關閱讀</h3><ul>{rel}</ul></div>\n'
        '<div class="foot">本站部分內容來自互聯網 如有侵權請聯系刪除 '
        '<a href="/mirror/index.html">網站地圖</a></div>\n'
        "</body>\n</html>\n"
    )


def _pager_trs(page: int, pages: int) -> str:
    def name(i: int) -> str:
        return "index.html" if i == 0 else f"index_{i}.html"

    parts = [f"共{pages}页\u3000", _a("首页", name(0))]
    parts.append(_a("上一页", name(page - 1)) if page > 0 else "<span>上一页</span>")
    parts.append(_a("下一页", name(page + 1)) if page < pages - 1 else "<span>下一页</span>")
    parts.append(_a("尾页", name(pages - 1)))
    return (
        f'<div class="page">{" ".join(parts)}</div>\n'
        f'<script type="text/javascript">createPageHTML({pages}, {page}, "index", "html");</script>'
    )


def _pager_query(page: int, pages: int) -> str:
    # page is 1-based here, as in "list?page=N"
    parts = [_a("上一页", f"list?page={page - 1}") if page > 1 else "<span>上一页</span>",
             f"<em>第{page}/{pages}页</em>",
             _a("下一页", f"list?page={page + 1}") if page < pages else "<span>下一页</span>"]
    return f'<div class="pager">{" ".join(parts)}</div>'


def list_page(*, section: str, trail: str, nav: list[Link], items: list[tuple[str, str, str]],
              page: int, pages: int, style: str, tabs: list[Link] | None = None,
              pager: bool = True) -> str:
    """A section list page; `items` are (title, href, date text), `style` "trs" or "query"."""
    lis = "\n".join(
        f'<li>{_a(t, h, target="_blank", title=t)}<span class="date">{d}</span></li>' for t, h, d in items
    )
    tab_html = ""
    if tabs:
        tab_html = '<div class="tabs">' + " ".join(_a(t, h) for t, h in tabs) + "</div>\n"
    pager_html = ""
    if pager:
        pager_html = _pager_trs(page, pages) if style == "trs" else _pager_query(page, pages)
    suffix = "" if (page == 0 and style == "trs") or (page == 1 and style == "query") else f"_第{page + (1 if style == 'trs' else 0)}页"
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(section)}{suffix}_{SITE_NAME}</title>\n</head>\n<body>\n"
        f"{header(nav)}\n"
        f'<div class="location">当前位置：{trail}</div>\n'
        f'<div class="main"><div class="lm-title"><h2>{escape(section)}</h2></div>\n{tab_html}'
        f'<ul class="list">\n{lis}\n</ul>\n{pager_html}\n</div>\n'
        f"{footer()}\n</body>\n</html>\n"
    )


def parent_page(*, section: str, nav: list[Link], blocks: list[tuple[Link, list[Link]]]) -> str:
    """A parent section page: one block of recent titles per sub-section."""
    parts = []
    for (name, href), items in blocks:
        lis = "".join(f"<li>{_a(t, h, target='_blank')}</li>" for t, h in items)
        parts.append(
            f'<div class="block"><h2>{_a(name, href)}<a class="more" href="{escape(href)}">更多&gt;&gt;</a></h2>'
            f"<ul>{lis}</ul></div>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(section)}_{SITE_NAME}</title>\n</head>\n<body>\n"
        f"{header(nav)}\n"
        f'<div class="location">当前位置：{_a("首页", "/")} &gt; {escape(section)}</div>\n'
        f'<div class="main"><div class="lm-title"><h2>{escape(section)}</h2></div>\n'
        + "\n".join(parts)
        + f"\n</div>\n{footer()}\n</body>\n</html>\n"
    )


def home_page(*, nav: list[Link], headline: Link, top: list[Link], latest: list[tuple[str, str, str]],
              blocks: list[tuple[str, list[Link]]], searches: list[Link], own_links: list[Link]) -> str:
    """The portal's home page."""
    def ul(items: list[Link]) -> str:
        return "<ul>" + "".join(f"<li>{_a(t, h, target='_blank')}</li>" for t, h in items) + "</ul>"

    latest_html = "<ul>" + "".join(
        f'<li>{_a(t, h, target="_blank")}<span>{d}</span></li>' for t, h, d in latest) + "</ul>"
    block_html = "\n".join(f'<div class="block"><h2>{escape(name)}</h2>{ul(items)}</div>' for name, items in blocks)
    hot = " ".join(_a(t, h) for t, h in searches)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{SITE_NAME}_{CITY_NAME}重点新闻网站</title>\n"
        f'<meta name="keywords" content="{SITE_NAME},{CITY_NAME},海州新闻,海州要闻">\n'
        f'<meta name="description" content="{SITE_NAME}是{CITY_NAME}重点新闻网站，提供本地要闻、政务、经济、社会、文旅资讯。">\n'
        "</head>\n<body>\n"
        f"{header(nav)}\n"
        f'<div class="hot-search">热门搜索：{hot}</div>\n'
        f'<div class="headline"><h1>{_a(headline[0], headline[1], target="_blank")}</h1></div>\n'
        f'<div class="col"><div class="block"><h2>要闻</h2>{ul(top)}</div>\n'
        f'<div class="block"><h2>最新</h2>{latest_html}</div></div>\n'
        f'<div class="col2">{block_html}</div>\n'
        f"{footer(home=True, extra_links=own_links)}\n</body>\n</html>\n"
    )


def mirror_index(*, items: list[Link]) -> str:
    lis = "\n".join(f"<li>{_a(t, h)}</li>" for t, h in items)
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>資訊中心</title>\n</head>\n<body>\n"
        '<div class="head"><a href="/">首頁</a> 資訊中心</div>\n'
        f'<ul class="list">\n{lis}\n</ul>\n</body>\n</html>\n'
    )


def error_page(status: int, message: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{status} {escape(message)}</title></head>\n'
        f"<body><h1>{status}</h1><p>{escape(message)}</p></body></html>\n"
    )
