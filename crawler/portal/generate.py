"""Generate the sample portal in memory: pages, article ground truth, expected numbers.

`build_portal()` is deterministic: one seeded `random.Random` drives every
choice, iteration is over lists and sorted keys only, so two builds produce
byte-identical pages. `build_portal(scale=N)` multiplies every section's
article count, and the planted pages with it (mirror copies, print views,
tracking links, the republished copy, empty and title-less pages, dead links,
500s, the wrongly declared GBK page); scale 1 is the sample portal itself. The numbers in `Portal.expected` are not typed in: they
are counted from the generated pages, mostly by walking the link graph of
the rendered HTML from the home page as a crawler would.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import quote, urljoin, urlsplit

from . import templates as T
from .corpus import EDITORS, REPORTERS, SOURCES, Story, compose_article
from .mirror import MirrorDamage, to_traditional
from .model import ArticleTruth, Page, Portal
from .site import LIST_PAGE_SIZE, ROBOTS_DISALLOW, SECTION_BY_KEY, SECTIONS, SITE_NAME, Section

SEED = 20160804
TZ = "+08:00"
# Any host name works for resolving relative links; it never leaves this module.
_BASE = "http://portal.invalid"

TRACKING_QUERIES = (
    "utm_source=wechat&from=timeline",
    "from=groupmessage&isappinstalled=0",
    "utm_source=weibo&utm_medium=social",
    "spm=zm1012-001.0.0.1",
)

# How many originals of each section get a copy on the mirror site (times the scale).
MIRROR_PLAN = (("tyzx", 8), ("mzdp", 4), ("yw", 4), ("zcjd", 2), ("hz", 1), ("sh", 1))

_HTML = "text/html"
_UTF8 = "text/html; charset=utf-8"


@dataclass
class _Art:
    """One article as planned, before rendering."""

    docid: int
    section: Section
    when: dt.datetime
    story: Story | None = None
    path: str = ""
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    flags: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.docid)


@dataclass
class _Built:
    """A rendered page before encoding."""

    html: str | None
    kind: str
    encoding: str = "utf-8"
    content_type: str = _UTF8
    status: int = 200
    raw: bytes | None = None


def _nav() -> list[T.Link]:
    return [("首页", "/")] + [(s.name, s.path) for s in SECTIONS if s.in_nav and not s.hidden]


def _crumbs(section: Section) -> list[T.Link]:
    chain = [section]
    while chain[0].parent:
        chain.insert(0, SECTION_BY_KEY[chain[0].parent])
    return [("首页", "/")] + [(s.name, s.path) for s in chain]


def _rel(src: str, dst: str) -> str:
    """The relative href a CMS would write from page `src` to page `dst`."""
    rel = posixpath.relpath(dst, posixpath.dirname(src))
    return rel if rel.startswith("../") else "./" + rel


class _Builder:
    def __init__(self, scale: int = 1) -> None:
        self.scale = scale
        self.rng = random.Random(SEED)
        self.pages: dict[str, _Built] = {}
        self.truth: list[ArticleTruth] = []
        self.titles: set[str] = set()
        self.nav = _nav()
        self.next_docid = 1000

    # ------------------------------------------------------------------ planning
    def _docid(self) -> int:
        self.next_docid += self.rng.randint(1, 37)
        return self.next_docid

    def _when(self) -> dt.datetime:
        start = dt.datetime(2016, 1, 1, 7, 0)
        day = self.rng.randrange((dt.date(2024, 12, 31) - dt.date(2016, 1, 1)).days + 1)
        return start + dt.timedelta(days=day, minutes=self.rng.randrange(15 * 60), seconds=self.rng.randrange(60))

    def plan(self) -> None:
        rng = self.rng
        planned = []
        for order, section in enumerate(SECTIONS):
            for _ in range(section.count * self.scale):
                planned.append((self._when(), order, section))
        planned.sort(key=lambda x: (x[0], x[1]))  # CMS ids grow with publication time
        self.arts: list[_Art] = []
        for when, _order, section in planned:
            art = _Art(self._docid(), section, when)
            self._write(art)
            self.arts.append(art)
        self.by_section: dict[str, list[_Art]] = {s.key: [] for s in SECTIONS}
        for art in self.arts:
            self.by_section[art.section.key].append(art)
        for arts in self.by_section.values():
            arts.sort(key=lambda a: a.when, reverse=True)  # lists show newest first
        # Position of each article in its section's list, by docid: list.index() would
        # compare dataclasses field by field, quadratic in the section's size.
        self.position = {a.docid: i for arts in self.by_section.values() for i, a in enumerate(arts)}

        gov = [a for a in self.arts if a.section.template == "gov" and not a.section.hidden]
        pick = lambda pool, n: rng.sample(sorted(pool, key=lambda a: a.docid), n)  # noqa: E731
        scale = self.scale
        self.print_arts = pick([a for a in gov if a.section.key in ("yw", "jj", "zcjd")], 5 * scale)
        taken = {a.docid for a in self.print_arts}
        self.print_ids = set(taken)
        tracked = pick([a for a in gov if a.section.key in ("yw", "jj") and a.docid not in taken], 6 * scale)
        tracked += pick(self.by_section["sh"], 4 * scale)
        for i, art in enumerate(tracked):
            art.flags["tracking"] = TRACKING_QUERIES[i % len(TRACKING_QUERIES)]
        taken |= {a.docid for a in tracked}
        self.republish_srcs = pick([a for a in self.by_section["yw"] if a.docid not in taken], scale)
        taken |= {a.docid for a in self.republish_srcs}
        self.mirror_srcs: list[_Art] = []
        for key, n in MIRROR_PLAN:
            pool = [a for a in self.by_section[key] if a.docid not in taken and a.editor]
            self.mirror_srcs += pick(pool, n * scale)
        self.mirror_srcs.sort(key=lambda a: a.when, reverse=True)
        papers = sorted(self.by_section["hz"] + self.by_section["qx"], key=lambda a: a.docid)
        # sample(papers, 1) draws exactly as choice(papers) did before there was a scale.
        self.wrong_charset = {a.docid for a in rng.sample(papers, scale)}

    def _write(self, art: _Art, section: Section | None = None) -> None:
        """Fill in prose and metadata of a planned article."""
        rng = self.rng
        section = section or art.section
        # The sample portal never runs out of fresh titles in 200 draws; a scaled one
        # does, and each exhausted draw costs time, so it gives up sooner.
        attempts = 200 if self.scale == 1 else 25
        art.story = compose_article(section.topic, art.when, rng, self.titles, attempts)
        art.source = rng.choice(SOURCES[section.key])
        author_rate = {"gov": 0.75, "paper": 0.85, "mobile": 0.8}[section.template]
        art.author = rng.choice(REPORTERS) if rng.random() < author_rate else None
        art.editor = rng.choice(EDITORS) if rng.random() < 0.95 else None
        w = art.when
        if section.template == "gov":
            art.path = f"{section.path}{w:%Y%m}/t{w:%Y%m%d}_{art.docid}.html"
            art.flags.update(
                date_style=rng.choices(("minute", "second", "date"), (60, 25, 15))[0],
                keyword_mode=rng.choices(("both", "meta", "line"), (50, 25, 25))[0],
                indent=rng.choice(("fullwidth", "css", "nbsp", "plain")),
                spacer=rng.random() < 0.25,
            )
        elif section.template == "paper":
            art.path = f"/paper/html/{w:%Y-%m}/{w:%d}/content_{art.docid}.htm"
            art.flags.update(
                with_time=rng.random() < 0.4,
                charset=rng.choice(("meta", "header")),
                byline=rng.choice(("本报记者 ", "记者 ")),
                founder=rng.random() < 0.5,
                editor_label=rng.choice(("编辑：", "责编：")),
                kicker=rng.random() < 0.3,
                subtitle=rng.random() < 0.3,
                edition=f"第A{rng.randint(2, 12):02d}版：{section.name}",
            )
        else:
            art.path = f"/m/article/{art.docid}.html"
            art.flags.update(
                short_time=rng.random() < 0.3,
                author_label=rng.choice(("作者：", "记者：")),
            )

    # ------------------------------------------------------------------ rendering
    def add(self, key: str, built: _Built) -> None:
        if key in self.pages:
            raise ValueError(f"duplicate page path {key!r}")
        self.pages[key] = built

    def _related(self, art: _Art, n: int = 5) -> list[_Art]:
        peers = self.by_section[art.section.key]
        i = self.position.get(art.docid, 0)  # a planted bad page is in no list
        # The n articles after `art` in its list, wrapping round to the top.
        after = peers[i + 1:i + 1 + n]
        return after + peers[:min(i, n - len(after))]

    def _truth(self, art: _Art, *, template: str, encoding: str, declared: str, published: str | None,
               crumbs: list[T.Link], kind: str = "original", canonical_of: str | None = None,
               path: str | None = None, id_: str | None = None, story: Story | None = None,
               author: str | None = None, editor: str | None = None, source: str | None = None) -> None:
        story = story or art.story
        self.truth.append(ArticleTruth(
            id=id_ or art.id, url_path=path or art.path, template=template, encoding=encoding,
            charset_declared=declared, title=story.title, body="\n".join(story.paragraphs),
            published_at=published, source=source, author=author, editor=editor,
            keywords=list(story.keywords), breadcrumb=[{"name": n, "url_path": h} for n, h in crumbs],
            section=crumbs[-1][0], canonical_of=canonical_of, kind=kind,
        ))

    def render_gov(self, art: _Art, *, section: Section | None = None, path: str | None = None,
                   canonical: bool = True, kind: str = "original", id_: str | None = None,
                   canonical_of: str | None = None, bad: str | None = None) -> None:
        section = section or art.section
        path = path or art.path
        f, w, story = art.flags, art.when, art.story
        if f["date_style"] == "minute":
            date_line, published = f"发布时间：{w:%Y-%m-%d %H:%M}", f"{w:%Y-%m-%dT%H:%M}:00{TZ}"
        elif f["date_style"] == "second":
            date_line, published = f"发布时间：{w:%Y-%m-%d %H:%M:%S}", f"{w:%Y-%m-%dT%H:%M:%S}{TZ}"
        else:
            date_line, published = f"发布日期：{w:%Y-%m-%d}", f"{w:%Y-%m-%d}"
        print_path = None
        if art.docid in self.print_ids and kind == "original":
            print_path = path[: -len(".html")] + "_print.html"
            self.add(print_path, _Built(T.print_view(
                title=story.title, canonical=path, date_line=date_line, source=art.source,
                paragraphs=list(story.paragraphs), indent=f["indent"]), "print"))
        crumbs = _crumbs(section)
        paragraphs = [] if bad == "empty_body" else list(story.paragraphs)
        title = None if bad == "no_title" else story.title
        peers = self._related(art) if kind == "original" else self.by_section[section.key][:5]
        html = T.gov_article(
            title=title, page_title=f"{story.title}_{section.name}_{SITE_NAME}" if title else "",
            section=section.name, nav=self.nav, crumbs=crumbs, date_line=date_line, source=art.source,
            author=art.author, editor=art.editor, keywords=list(story.keywords), keyword_mode=f["keyword_mode"],
            paragraphs=paragraphs, indent=f["indent"], spacer=f["spacer"],
            related=[(a.story.title, _rel(path, a.path)) for a in peers],
            canonical=path if canonical else None,
            print_href=posixpath.basename(print_path) if print_path else None,
            pub_meta=date_line.split("：", 1)[1],
        )
        self.add(path, _Built(html, f"bad-{bad}" if bad else "article"))
        if not bad:
            self._truth(art, template="gov", encoding="utf-8", declared="both", published=published,
                        crumbs=crumbs, kind=kind, canonical_of=canonical_of, path=path, id_=id_,
                        author=art.author, editor=art.editor, source=art.source)

    def render_paper(self, art: _Art) -> None:
        f, w, story, section = art.flags, art.when, art.story, art.section
        if f["with_time"]:
            date_text, published = f"{w:%Y年%m月%d日 %H:%M}", f"{w:%Y-%m-%dT%H:%M}:00{TZ}"
        else:
            date_text, published = f"{w:%Y年%m月%d日}", f"{w:%Y-%m-%d}"
        declared = "wrong" if art.docid in self.wrong_charset else f["charset"]
        meta = {
            "meta": '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
            "header": None,
            "wrong": '<meta charset="utf-8">',  # the CMS template lies: the bytes are GBK
        }[declared]
        content_type = "text/html; charset=GBK" if declared == "header" else _HTML
        crumbs = _crumbs(section)
        peers = self.by_section[section.key]
        i = self.position[art.docid]
        prev_next = [(a.story.title, _rel(art.path, a.path)) if a else ("", "")
                     for a in (peers[i + 1] if i + 1 < len(peers) else None, peers[i - 1] if i else None)]
        keywords = list(story.keywords)
        html = T.paper_article(
            title=story.title, page_title=f"{story.title}_{section.name}_{SITE_NAME}", charset_meta=meta,
            crumbs=crumbs, edition=f["edition"], date_text=date_text, source=art.source,
            byline=f["byline"] + art.author if art.author else None,
            kicker=f"{keywords[1] if len(keywords) > 1 else keywords[0]}新观察" if f["kicker"] else None,
            subtitle=f"——{keywords[0]}工作一线见闻" if f["subtitle"] else None,
            paragraphs=list(story.paragraphs), founder=f["founder"], editor_label=f["editor_label"],
            editor=art.editor, keywords=keywords,
            sections=[(s.name, s.path) for s in SECTIONS if s.parent == "paper"], prev_next=prev_next,
        )
        self.add(art.path, _Built(html, "article", encoding="gbk", content_type=content_type))
        self._truth(art, template="paper", encoding="gbk", declared=declared, published=published,
                    crumbs=crumbs, author=art.author, editor=art.editor, source=art.source)

    def render_mobile(self, art: _Art) -> None:
        f, w, story, section = art.flags, art.when, art.story, art.section
        if f["short_time"]:
            time_text, year_text = f"{w:%m-%d %H:%M}", f"{w.year}年"
        else:
            time_text, year_text = f"{w.year}/{w.month}/{w.day} {w:%H:%M}", None
        published = f"{w:%Y-%m-%dT%H:%M}:00{TZ}"
        crumbs = _crumbs(section)
        html = T.mobile_article(
            title=story.title, page_title=f"{story.title}_{section.name}_{SITE_NAME}", crumbs=crumbs,
            datetime_attr=published, time_text=time_text, year_text=year_text, source=art.source,
            author_label=f["author_label"], author=art.author, paragraphs=list(story.paragraphs),
            keywords=list(story.keywords), editor=art.editor,
            recommend=[(a.story.title, a.path) for a in self._related(art, 4)],
        )
        self.add(art.path, _Built(html, "article", content_type=_HTML))
        self._truth(art, template="mobile", encoding="utf-8", declared="meta", published=published,
                    crumbs=crumbs, author=art.author, editor=art.editor, source=art.source)

    def render_mirror(self, art: _Art, related: list[tuple[str, str]]) -> tuple[str, str]:
        """Render the mirror copy of `art`; return (damaged title, path)."""
        damage = MirrorDamage(f"mirror-{art.docid}")
        crumbs = [(damage.apply(name), href) for name, href in _crumbs(art.section)]
        title = damage.apply(art.story.title)
        paragraphs = [damage.apply(p) for p in art.story.paragraphs]
        editor_line = damage.apply(f"编辑：{art.editor}")
        keywords_line = damage.apply("关键词：" + " ".join(art.story.keywords))
        path = f"/mirror/{art.when:%Y%m%d}/{art.docid}.html"
        html = T.mirror_article(title=title, crumbs=crumbs, column=crumbs[-1][0], paragraphs=paragraphs,
                                editor_line=editor_line, keywords_line=keywords_line, related=related)
        self.add(path, _Built(html, "article"))
        story = Story(title=title, paragraphs=tuple(paragraphs),
                      keywords=tuple(keywords_line.split(":", 1)[1].split()))
        self._truth(art, template="mirror", encoding="utf-8", declared="header", published=None,
                    crumbs=crumbs, kind="mirror", canonical_of=art.id, path=path, id_=f"mirror-{art.docid}",
                    story=story, editor=editor_line.split(":", 1)[1])
        return title, path

    # ------------------------------------------------------------------ lists
    def _section_items(self, section: Section) -> list[tuple[str, str, dt.datetime]]:
        """(title, absolute target, date) for a section list, with the planted extras."""
        items = []
        for art in self.by_section[section.key]:
            target = art.path + (f"?{art.flags['tracking']}" if "tracking" in art.flags else "")
            items.append((art.story.title, target, art.when))
        for title, target, when in self.extras.get(section.key, []):
            items.append((title, target, when))
        # Planted links sit among the others in date order, as a CMS would list them.
        items.sort(key=lambda item: item[2], reverse=True)
        return items

    def render_lists(self) -> None:
        for section in SECTIONS:
            if section.template is None:
                self.render_parent(section)
                continue
            items = self._section_items(section)
            pages = max(1, -(-len(items) // LIST_PAGE_SIZE))
            trail = T.crumb_trail([("首页", "/")]) + "".join(
                f" &gt; {name}" for name, _ in _crumbs(section)[1:])
            tabs = None
            for p in range(pages):
                chunk = items[p * LIST_PAGE_SIZE:(p + 1) * LIST_PAGE_SIZE]
                if section.list_style == "trs":
                    key = section.path + ("index.html" if p == 0 else f"index_{p}.html")
                    rows = [(t, _rel(key, u) if u.startswith(section.path) else u, f"{w:%Y-%m-%d}")
                            for t, u, w in chunk]
                    html = T.list_page(section=section.name, trail=trail, nav=self.nav, items=rows,
                                       page=p, pages=pages, style="trs", tabs=tabs)
                    self.add(key, _Built(html, "list"))
                    if p == 0:
                        self.add(section.path, _Built(html, "list"))
                else:
                    key = f"{section.path}list?page={p + 1}"
                    rows = [(t, u, f"{w.year}/{w.month}/{w.day}") for t, u, w in chunk]
                    html = T.list_page(section=section.name, trail=trail, nav=self.nav, items=rows,
                                       page=p + 1, pages=pages, style="query")
                    self.add(key, _Built(html, "list"))
                    if p == 0:
                        self.add(section.path, _Built(html, "list"))

    def render_parent(self, section: Section) -> None:
        blocks = []
        for child in SECTIONS:
            if child.parent == section.key:
                arts = self.by_section[child.key][:6]
                blocks.append(((child.name, child.path), [(a.story.title, a.path) for a in arts]))
        html = T.parent_page(section=section.name, nav=self.nav, blocks=blocks)
        self.add(section.path, _Built(html, "list"))
        self.add(section.path + "index.html", _Built(html, "list"))

    # ------------------------------------------------------------------ the rest
    def plant_trouble(self) -> None:
        """Plant the bad pages (`scale` of each kind), each linked from some list page."""
        rng = self.rng
        self.extras: dict[str, list] = {}

        def extra(section_key: str, title: str, target: str, when: dt.datetime) -> None:
            self.extras.setdefault(section_key, []).append((title, target, when))

        # Article-shaped pages a pipeline must drop: one without body, one without title.
        for key, bad in (("jj", "empty_body"), ("tzgg", "no_title")):
            section = SECTION_BY_KEY[key]
            for _ in range(self.scale):
                art = _Art(self._docid(), section, self._when())
                self._write(art)
                self.render_gov(art, bad=bad)
                self.dropped.setdefault(bad, []).append(art.path)
                extra(key, art.story.title, art.path, art.when)

        # Links to pages that are gone (404) and one that always fails (500).
        for key in ("yw", "sh"):
            section = SECTION_BY_KEY[key]
            for _ in range(self.scale):
                ghost = _Art(self._docid(), section, self._when())
                self._write(ghost)
                extra(key, ghost.story.title, ghost.path, ghost.when)
        section = SECTION_BY_KEY["zcjd"]
        for _ in range(self.scale):
            broken = _Art(self._docid(), section, self._when())
            self._write(broken)
            self.add(broken.path, _Built(T.error_page(500, "Internal Server Error"), "error", status=500))
            extra("zcjd", broken.story.title, broken.path, broken.when)

        # Attachments: one with a telling extension, one without.
        pdf = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
               b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
        policy_title = rng.choice(self.by_section["zcjd"]).story.title
        for target, label in (("/uploadfiles/download?id=88", "附件下载："),
                              ("/uploadfiles/2019/0520/P020190520hz.pdf", "原文PDF：")):
            self.add(target, _Built(None, "file", content_type="application/pdf", raw=pdf))
            extra("tzgg", label + policy_title, target, self._when())

    def render_home(self) -> None:
        visible = [a for a in self.arts if not a.section.hidden]
        latest = sorted(visible, key=lambda a: a.when, reverse=True)[:20]
        yw = self.by_section["yw"]
        blocks = [(SECTION_BY_KEY[k].name, [(a.story.title, a.path) for a in self.by_section[k][:5]])
                  for k in ("tyzx", "mzdp", "jj", "sh", "wl", "hz")]
        searches = [(q, f"/search/index.html?q={quote(q)}") for q in ("统战", "营商环境")]
        html = T.home_page(
            nav=self.nav, headline=(yw[0].story.title, yw[0].path),
            top=[(a.story.title, a.path) for a in yw[1:11]],
            latest=[(a.story.title, a.path, f"{a.when:%m-%d}") for a in latest],
            blocks=blocks, searches=searches, own_links=[("友情转载", "/mirror/index.html")],
        )
        self.add("/", _Built(html, "home"))
        # The search result pages are fine list pages; only robots.txt keeps crawlers out.
        for q, target in searches:
            hits = [a for a in visible if q in a.story.title or q in "".join(a.story.keywords)][:18]
            rows = [(a.story.title, a.path, f"{a.when:%Y-%m-%d}") for a in hits]
            html = T.list_page(section=f"搜索：{q}", trail=T.crumb_trail([("首页", "/")]), nav=self.nav,
                               items=rows, page=0, pages=1, style="trs", pager=False)
            self.add(target, _Built(html, "list"))
        robots = "User-agent: *\n" + "".join(f"Disallow: {p}\n" for p in ROBOTS_DISALLOW)
        self.add("/robots.txt", _Built(None, "robots", content_type="text/plain; charset=utf-8",
                                       raw=robots.encode("ascii")))

    def build(self) -> Portal:
        self.plan()
        self.dropped: dict[str, list[str]] = {}
        self.plant_trouble()
        for art in self.arts:
            {"gov": self.render_gov, "paper": self.render_paper, "mobile": self.render_mobile}[
                art.section.template](art)
        # The same story republished under another section, without a canonical link.
        jj = SECTION_BY_KEY["jj"]
        for src in self.republish_srcs:
            docid = self._docid()
            path = f"{jj.path}{src.when:%Y%m}/t{src.when:%Y%m%d}_{docid}.html"
            self.render_gov(src, section=jj, path=path, canonical=False, kind="republished", id_=str(docid),
                            canonical_of=src.id)
            self.extras.setdefault("jj", []).append((src.story.title, path, src.when))
        # Mirror copies and their index page.
        paths = [f"/mirror/{a.when:%Y%m%d}/{a.docid}.html" for a in self.mirror_srcs]
        index = {p: i for i, p in reversed(list(enumerate(paths)))}  # first occurrence, as paths.index()
        listed = []
        for i, art in enumerate(self.mirror_srcs):
            others = [p for p in paths if p != paths[i]][i % 5:i % 5 + 4]
            # Related links show the other copies' titles in plain Traditional.
            related = [(to_traditional(self.mirror_srcs[index[p]].story.title), p) for p in others]
            listed.append(self.render_mirror(art, related))
        self.add("/mirror/index.html", _Built(T.mirror_index(items=listed), "list"))
        self.render_lists()
        self.render_home()
        return self.finish()

    # ------------------------------------------------------------------ accounting
    def finish(self) -> Portal:
        pages: dict[str, Page] = {}
        for key in sorted(self.pages):
            b = self.pages[key]
            body = b.raw if b.raw is not None else b.html.encode(b.encoding)
            pages[key] = Page(b.status, {"Content-Type": b.content_type}, body)
        article_paths = frozenset(k for k, b in self.pages.items()
                                  if b.kind in ("article", "print", "bad-empty_body", "bad-no_title"))
        portal = Portal(pages=pages, articles=self.truth, expected={}, article_paths=article_paths)
        portal.expected = self.expected(portal)
        return portal

    def expected(self, portal: Portal) -> dict:
        resolved: dict = {}
        graph = {key: _links(key, b.html, resolved) for key, b in self.pages.items()
                 if b.html is not None and b.status == 200}

        def crawl(use_crumbs: bool) -> tuple[set[str], dict[str, str], set[str]]:
            """Walk from "/" like a polite crawler: pages reached, targets seen, offsite hosts."""
            todo, seen = ["/"], {"/"}
            targets: dict[str, str] = {}  # linked target -> what it turned out to be
            offsite: set[str] = set()
            while todo:
                for target, crumb in graph.get(todo.pop(), ()):
                    if crumb and not use_crumbs:
                        continue
                    if target.startswith("//"):
                        offsite.add(target[2:])
                        continue
                    kind = targets.setdefault(target, self._classify(target, portal))
                    if kind not in ("page", "tracking"):
                        continue
                    node = target if target in self.pages else target.split("?", 1)[0]
                    if node not in seen:
                        seen.add(node)
                        todo.append(node)
            return seen, targets, offsite

        without, _, _ = crawl(False)
        with_crumbs, seen_targets, offsite = crawl(True)
        by_kind = lambda kind: sorted(t for t, k in seen_targets.items() if k == kind)  # noqa: E731
        kinds = Counter(b.kind for b in self.pages.values())
        return {
            "articles_original": sum(t.kind == "original" for t in self.truth),
            "mirror_copies": sum(t.kind == "mirror" for t in self.truth),
            "republished_copies": sum(t.kind == "republished" for t in self.truth),
            "article_pages_valid": len(self.truth),
            "print_views": kinds["print"],
            "tracking_variants": len(by_kind("tracking")),
            "dropped": {k: len(v) for k, v in sorted(self.dropped.items())},
            "dropped_urls": {k: sorted(v) for k, v in sorted(self.dropped.items())},
            "not_found_urls": by_kind("missing"),
            "server_error_urls": by_kind("error"),
            # Links whose extension already says "not a page" (most crawlers skip them
            # unfetched) are listed apart from those only the response reveals.
            "non_html_urls": [u for u in by_kind("file") if not _binary_extension(u)],
            "binary_extension_urls": sorted(u for u, k in seen_targets.items() if _binary_extension(u)),
            "robots_disallowed_urls": by_kind("disallowed"),
            "offsite_domains": sorted(offsite),
            "breadcrumb_only_articles": sorted(t.id for t in self.truth
                                               if t.url_path in with_crumbs and t.url_path not in without),
            "encodings": dict(sorted(Counter(t.encoding for t in self.truth).items())),
            "wrong_charset_urls": sorted(t.url_path for t in self.truth if t.charset_declared == "wrong"),
            "sections": [{"name": s.name, "path": s.path,
                          "parent": SECTION_BY_KEY[s.parent].path if s.parent else None} for s in SECTIONS],
            "list_pages": sum(1 for k in with_crumbs if self.pages[k].kind == "list"),
            "list_pages_served": kinds["list"],
            "html_pages_reachable": len(with_crumbs),
            "unreachable_articles": sorted(t.id for t in self.truth if t.url_path not in with_crumbs),
        }

    def _classify(self, target: str, portal: Portal) -> str:
        path = target.split("?", 1)[0]
        if any(path.startswith(p) for p in ROBOTS_DISALLOW):
            return "disallowed"
        built = self.pages.get(target)
        if built is None:
            return "tracking" if path in portal.article_paths and "?" in target else "missing"
        if built.status >= 500:
            return "error"
        if not built.content_type.startswith("text/html"):
            return "file"
        return "page"


# File extensions that tell a crawler not to fetch a link (a subset of Scrapy's IGNORED_EXTENSIONS).
_BINARY_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".zip", ".rar", ".jpg", ".png", ".gif")


def _binary_extension(target: str) -> bool:
    return target.split("?", 1)[0].lower().endswith(_BINARY_EXTENSIONS)


_HREF = re.compile(r'<a\s[^>]*?href="([^"]*)"', re.I)
_CRUMB_BLOCK = re.compile(
    r'<(div|nav)\s+class="(?:%s)"[^>]*>(.*?)</\1>' % "|".join(T.CRUMB_CLASSES), re.S)


def _links(key: str, html: str, cache: dict | None = None) -> list[tuple[str, bool]]:
    """Links of a rendered page as (target, is_breadcrumb).

    Targets are "/path?query" for this site and "//host" for other sites;
    javascript: and same-page anchors are left out. `cache` (a dict shared
    between calls) remembers resolved hrefs: every page repeats the navigation.
    """
    crumb_spans = [m.span(2) for m in _CRUMB_BLOCK.finditer(html)]
    path = key.split("?", 1)[0]
    cache = {} if cache is None else cache
    out = []
    for m in _HREF.finditer(html):
        href = unescape(m.group(1)).strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        # What a resolved href depends on: nothing (absolute), the page's folder
        # (relative path) or the page's path (a bare "?query").
        if href.startswith("?"):
            slot = (path, href)
        elif href.startswith("/") or ":" in href.split("/", 1)[0]:
            slot = ("", href)
        else:
            slot = (posixpath.dirname(path), href)
        resolved = cache.get(slot)
        if resolved is None:
            url = urlsplit(urljoin(_BASE + key, href))
            if f"{url.scheme}://{url.netloc}" != _BASE:
                resolved = (f"//{url.hostname}", False)
            else:
                resolved = (url.path + (f"?{url.query}" if url.query else ""), True)
            cache[slot] = resolved
        target, onsite = resolved
        crumb = onsite and any(a <= m.start() < b for a, b in crumb_spans)
        out.append((target, crumb))
    return out


def build_portal(scale: int = 1) -> Portal:
    """Build the whole sample portal in memory (deterministic, about a second).

    `scale` multiplies every section's article count and the planted trouble
    pages with it: scale 30 gives 9,660 original articles (~12 s, ~350 MB;
    see the README of bench/). Scale 1, the default, is the sample portal the
    tests count on, page for page.
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a whole number of at least 1, got {scale!r}")
    return _Builder(scale).build()
