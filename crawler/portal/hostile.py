"""A hostile web site: a few valid articles among every fault a real portal throws at a crawler.

The sample portal (:mod:`crawler.portal.generate`) is a well-behaved site with
damaged text; this one is the badly-behaved server. It answers, on one port, for
several host names (a test maps them to 127.0.0.1 with :class:`HostsResolver`):

- ``hostile.test``: the site. Its home page is a list of everything below;
  ``/news/`` lists the valid articles the plain way.
- ``slow.hostile.test``: three more valid articles behind a robots.txt with
  ``Crawl-delay: 1``.
- ``intranet.hostile.test``: stands for an internal host; ``/secret`` must never be
  requested (tests map the name to a loopback address).

Named trouble resources, as in Scrapy's mockserver (paths on ``hostile.test``):

============================  ==================================================================
``/fault/always-503.html``    503 on every request
``/fault/429-long.html``      429 with ``Retry-After: 3600``
``/fault/stall-headers.html`` reads the request, never answers
``/fault/stall-body.html``    headers and 100 of 5,000 bytes, then nothing
``/fault/drop.html``          ``Content-Length: 5000``, 1,000 bytes, connection closed
``/fault/truncated-gzip.html`` a gzip body cut in the middle (a complete HTTP response)
``/big/declared.html``        50 MB with ``Content-Length``
``/big/streamed.html``        50 MB, no ``Content-Length`` (ends when the connection closes)
``/big/bomb.html``            66 KB of gzip that inflates to 64 MiB
``/loop/a``, ``/loop/self``   redirect loops (a → b → a; self → self)
``/chain/N``                  redirects to ``/chain/N+1``, for ever
``/go/3``                     3 redirects to a valid article
``/away/offsite``             redirect to ``http://other.example/``
``/away/loopback``            redirect to ``http://127.0.0.1:PORT/secret``
``/away/private``             redirect to ``http://10.0.0.1/``
``/away/metadata``            redirect to ``http://169.254.169.254/latest/meta-data/``
``/away/intranet``            redirect to ``http://intranet.hostile.test:PORT/secret``
``/away/ftp`` (``js``, ``file``)  redirects to ``ftp:``, ``javascript:``, ``file:``
``/calendar/``                an endless calendar: months and days, previous and next, for ever
``/session/``                 links carry a new ``;jsessionid=`` / ``?PHPSESSID=`` each time
``/deep/``                    links ``more/``: ``/deep/more/more/more/…``
``/tree/``                    links one new segment deeper: ``/tree/n1/n2/n3/…``
``/hot/list``                 a list that links to itself with new query strings
``/broken/``                  a list in malformed, unclosed HTML
``/private/…``                forbidden by robots.txt
============================  ==================================================================

Valid articles (:attr:`HostileSite.articles`) arrive plainly, gzipped, after two
503s, after a 429 with ``Retry-After: 1``, after 3 redirects, as GBK declared
UTF-8, with an unknown charset, in unclosed HTML, under session ids, and after a
dropped connection, a truncated gzip body or a stall on their first request. Two
article-shaped pages are not articles: binary bytes served as ``text/html`` and
an empty 200.

Every request is logged in :attr:`HostileServer.hits` (time, host, path),
which is how tests show where the crawler did not go.

    with HostileServer() as srv:
        ...  # crawl srv.url_for("hostile.test") with HostsResolver mapping the names
"""

from __future__ import annotations

import datetime as dt
import gzip
import random
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer

from . import templates as T
from .corpus import compose_article

HOST = "hostile.test"
SLOW_HOST = "slow.hostile.test"
INTRANET_HOST = "intranet.hostile.test"
HOSTS = (HOST, SLOW_HOST, INTRANET_HOST)
CRAWL_DELAY = 1  # seconds, in slow.hostile.test's robots.txt
BIG = 50 * 1024 * 1024
BOMB_SIZE = 64 * 1024 * 1024
SEED = 429

_HTML = "text/html; charset=utf-8"
_NAV = [("首页", "/"), ("要闻", "/news/")]
_CRUMBS = [("首页", "/"), ("要闻", "/news/")]

# Article delivery modes, and how many of each (the slow host's three are "slow_host").
_MODES = ("plain", "gzip", "flaky", "rate_limited", "redirected", "wrong_charset", "unknown_charset",
          "malformed", "session", "dropped_once", "truncated_gzip_once", "stall_once")


@dataclass(frozen=True)
class HostileArticle:
    """A valid article of the hostile site: where it is and what a crawler must store."""

    host: str
    path: str
    mode: str
    title: str
    body: str
    html: str


@dataclass
class HostileSite:
    """The site's valid articles, by (host, path), and the paths of its other pages."""

    articles: dict[tuple[str, str], HostileArticle] = field(default_factory=dict)

    def urls(self, port: int) -> set[str]:
        """The canonical URLs a crawl must store, once each."""
        return {f"http://{a.host}:{port}{a.path}" for a in self.articles.values()}

    def by_mode(self, mode: str) -> HostileArticle:
        return next(a for a in self.articles.values() if a.mode == mode)


def build_site() -> HostileSite:
    """The valid articles, made with the sample portal's corpus and page template (deterministic)."""
    rng = random.Random(SEED)
    taken: set[str] = set()
    site = HostileSite()
    when = dt.datetime(2024, 1, 2, 9, 30)
    plan = [(HOST, mode) for mode in _MODES] + [(SLOW_HOST, "slow_host")] * 3
    for n, (host, mode) in enumerate(plan):
        when += dt.timedelta(days=1, minutes=37)
        story = compose_article("yw", when, rng, taken)
        path = f"/news/{when:%Y%m}/t{when:%Y%m%d}_{5001 + n}.html"
        date_line = f"发布时间：{when:%Y-%m-%d %H:%M}"
        html = T.gov_article(
            title=story.title, page_title=f"{story.title}_要闻_海州新闻网", section="要闻", nav=_NAV,
            crumbs=_CRUMBS, date_line=date_line, source="海州日报", author=None, editor="秦云",
            keywords=list(story.keywords), keyword_mode="meta", paragraphs=list(story.paragraphs),
            indent="\u3000\u3000", spacer=False, related=[], canonical=path, print_href=None,
            pub_meta=date_line.split("：", 1)[1],
        )
        site.articles[(host, path)] = HostileArticle(host, path, mode, story.title, "\n".join(story.paragraphs), html)
    return site


def _list(title: str, items: list[tuple[str, str]]) -> bytes:
    return T.list_page(section=title, trail=T.crumb_trail([("首页", "/"), (title, "#")]), nav=_NAV,
                       items=[(t, h, "") for t, h in items], page=0, pages=1, style="trs",
                       pager=False).encode("utf-8")


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


_BOMB: bytes | None = None
_BOMB_LOCK = threading.Lock()


def gzip_bomb() -> bytes:
    """66 KB of gzip that inflate to BOMB_SIZE (64 MiB) of spaces inside an HTML page (built once).

    One megabyte of spaces is deflated after a full flush (no history), so its
    compressed block can be repeated; header and trailer (CRC-32, size) are written here.
    """
    global _BOMB
    with _BOMB_LOCK:
        if _BOMB is None:
            head, tail, chunk = b"<html><body><p>", b"</p></body></html>", b" " * (1 << 20)
            raw = zlib.compressobj(9, zlib.DEFLATED, -15)
            start = raw.compress(head) + raw.flush(zlib.Z_FULL_FLUSH)
            block = raw.compress(chunk) + raw.flush(zlib.Z_FULL_FLUSH)
            end = raw.compress(tail) + raw.flush()
            repeats = BOMB_SIZE >> 20
            crc = zlib.crc32(head)
            for _ in range(repeats):
                crc = zlib.crc32(chunk, crc)
            crc = zlib.crc32(tail, crc)
            size = len(head) + repeats * len(chunk) + len(tail)
            _BOMB = (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + start + block * repeats + end
                     + struct.pack("<II", crc, size & 0xFFFFFFFF))
        return _BOMB


def _malformed(html: str) -> str:
    """The page as careless templates and truncating CMSs leave it: no ``</p>``, ``</li>``,
    ``</body>``, ``</html>``, three ``</div>`` lost, unclosed ``<span><b>`` and ``<font>``,
    stray closing tags and an unclosed table around the body."""
    for tag in ("</p>", "</li>", "</body>", "</html>"):
        html = html.replace(tag, "")
    html = html.replace('<div class="article">', '<div class="article"><span><b>', 1)
    html = html.replace('<div class="info">', '<div class="info"><font color="#666">', 1)
    html = html.replace('<div class="TRS_Editor">', '</span></div></b><div class="TRS_Editor"><table><tr><td>', 1)
    return html.replace("</div>", "", 3)


def _calendar_page(day: dt.date, month_only: bool) -> bytes:
    if month_only:
        first = day.replace(day=1)
        prev_m = (first - dt.timedelta(days=1)).replace(day=1)
        next_m = (first + dt.timedelta(days=32)).replace(day=1)
        items = [("上一月", f"/calendar/{prev_m:%Y-%m}/"), ("下一月", f"/calendar/{next_m:%Y-%m}/")]
        d = first
        while d.month == first.month:
            items.append((str(d.day), f"/calendar/{d:%Y-%m-%d}/"))
            d += dt.timedelta(days=1)
        return _list(f"活动日历 {first:%Y年%m月}", items)
    items = [("前一天", f"/calendar/{day - dt.timedelta(days=1):%Y-%m-%d}/"),
             ("后一天", f"/calendar/{day + dt.timedelta(days=1):%Y-%m-%d}/"),
             ("本月", f"/calendar/{day:%Y-%m}/")]
    return _list(f"活动日历 {day:%Y年%m月%d日}（当日无活动）", items)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HostileCMS/0.9"
    disable_nagle_algorithm = True
    server: "_Server"

    # ------------------------------------------------------------------ plumbing
    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass

    def _host(self) -> str:
        return (self.headers.get("Host") or HOST).rsplit(":", 1)[0].lower()

    def _log(self) -> int:
        return self.server.owner._log(self._host(), self.path)

    def _send(self, status: int, body: bytes = b"", content_type: str | None = _HTML,
              headers: dict[str, str] | None = None, length: int | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _redirect(self, location: str, status: int = 302) -> None:
        self._send(status, b"", headers={"Location": location})

    def _stall(self) -> None:
        # Hold the connection until the server stops: the crawler must time out.
        self.server.owner.stopping.wait(60)
        self.close_connection = True

    def _stream(self, declared: bool) -> None:
        """50 MB of HTML, with or without a Content-Length; stops when the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", _HTML)
        if declared:
            self.send_header("Content-Length", str(BIG))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b"<p>" + "大".encode("utf-8") * 21840 + b"</p>\n"
        sent = 0
        try:
            while sent < BIG and not self.server.owner.stopping.is_set():
                piece = chunk[: BIG - sent]
                self.wfile.write(piece)
                sent += len(piece)
        except OSError:
            pass

    def _article(self, article: HostileArticle, count: int) -> None:
        html = article.html
        body = html.encode("utf-8")
        mode = article.mode
        if mode == "gzip":
            return self._send(200, _gzip(body), headers={"Content-Encoding": "gzip"})
        if mode == "flaky" and count <= 2:
            return self._send(503, T.error_page(503, "服务暂时不可用").encode("utf-8"))
        if mode == "rate_limited" and count == 1:
            return self._send(429, T.error_page(429, "请求过于频繁").encode("utf-8"), headers={"Retry-After": "1"})
        if mode == "wrong_charset":
            return self._send(200, html.encode("gb18030"), content_type="text/html; charset=utf-8")
        if mode == "unknown_charset":
            html = html.replace('<meta charset="utf-8">', '<meta charset="x-hostile-42">')
            return self._send(200, html.encode("gb18030"), content_type="text/html; charset=x-hostile-42")
        if mode == "malformed":
            return self._send(200, _malformed(html).encode("utf-8"))
        if mode == "dropped_once" and count == 1:
            self._send(200, body[: len(body) // 3], length=len(body))
            self.close_connection = True
            return None
        if mode == "truncated_gzip_once" and count == 1:
            packed = _gzip(body)
            return self._send(200, packed[: len(packed) // 2], headers={"Content-Encoding": "gzip"})
        if mode == "stall_once" and count == 1:
            return self._stall()
        return self._send(200, body)

    # ------------------------------------------------------------------ routes
    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        host, owner = self._host(), self.server.owner
        parts = urlsplit(self.path)
        path = parts.path
        count = self._log()
        site = owner.site
        port = owner.port
        if path == "/robots.txt":
            text = (f"User-agent: *\nCrawl-delay: {CRAWL_DELAY}\n" if host == SLOW_HOST
                    else "User-agent: *\nDisallow: /private/\n")
            return self._send(200, text.encode(), content_type="text/plain")
        article = site.articles.get((host, path.split(";", 1)[0]))
        if article is not None:
            return self._article(article, count)
        if host == SLOW_HOST:
            if path in ("/", "/news/"):
                return self._send(200, _list("慢速分站", [(a.title, a.path) for a in site.articles.values()
                                                          if a.host == SLOW_HOST]))
            return self._send(404, T.error_page(404, "页面不存在").encode("utf-8"))
        if host == INTRANET_HOST or path == "/secret":
            return self._send(200, b"<html><body><h1>SECRET</h1><p>internal only</p></body></html>")
        route = _ROUTES.get(path)
        if route is not None:
            return route(self, port)
        for prefix, handler in _PREFIX_ROUTES:
            if path.startswith(prefix):
                return handler(self, parts, port)
        return self._send(404, T.error_page(404, "页面不存在").encode("utf-8"))

    # pages -------------------------------------------------------------------
    def home(self, port: int) -> None:
        site = self.server.owner.site
        own = [a for a in site.articles.values() if a.host == HOST]
        links = []
        for a in own:
            if a.mode == "redirected":
                links.append((a.title, "/go/3"))
            elif a.mode == "session":
                links.append((a.title, f"{a.path};jsessionid=A1B2C3D4E5"))
                links.append((a.title + "（会话）", f"{a.path}?PHPSESSID=9f8e7d6c5b4a"))
            elif a.mode != "malformed":  # only the broken list links it
                links.append((a.title, a.path))
        links += [
            ("二进制", "/news/202401/t20240110_6001.html"), ("空白页", "/news/202401/t20240110_6002.html"),
            ("频繁503", "/fault/always-503.html"), ("限流", "/fault/429-long.html"),
            ("卡住", "/fault/stall-headers.html"), ("卡住正文", "/fault/stall-body.html"),
            ("断开", "/fault/drop.html"), ("截断压缩", "/fault/truncated-gzip.html"),
            ("大文件", "/big/declared.html"), ("大文件流", "/big/streamed.html"), ("压缩炸弹", "/big/bomb.html"),
            ("循环", "/loop/a"), ("自循环", "/loop/self"), ("长链", "/chain/1"),
            ("外站", "/away/offsite"), ("回环", "/away/loopback"), ("内网", "/away/private"),
            ("元数据", "/away/metadata"), ("内部主机", "/away/intranet"),
            ("FTP", "/away/ftp"), ("脚本", "/away/js"), ("文件", "/away/file"),
            ("日历", "/calendar/"), ("会话", "/session/"), ("深层", "/deep/"), ("树", "/tree/"),
            ("热门", "/hot/list?t=1"), ("损坏列表", "/broken/"), ("内部资料", "/private/report.html"),
            ("要闻列表", "/news/"),
        ]
        self._send(200, _list("首页", links))

    def news(self, port: int) -> None:
        site = self.server.owner.site
        self._send(200, _list("要闻", [(a.title, a.path) for a in site.articles.values()
                                       if a.host == HOST and a.mode in ("plain", "gzip", "flaky")]))

    def broken(self, port: int) -> None:
        target = self.server.owner.site.by_mode("malformed")
        html = ('<html><head><title>损坏的列表</title><body><div class="list"><ul>'
                f'<li><a href="{target.path}">{target.title}<li><a href=/news/>要闻'
                '<table><tr><td><font color=red>公告</b></i></div></div></span><a href="/news/')
        self._send(200, html.encode("utf-8"))

    def binary(self, port: int) -> None:
        self._send(200, random.Random(7).randbytes(64 * 1024))

    def empty(self, port: int) -> None:
        self._send(200, b"")

    def always_503(self, port: int) -> None:
        self._send(503, T.error_page(503, "服务暂时不可用").encode("utf-8"))

    def too_many(self, port: int) -> None:
        self._send(429, T.error_page(429, "请求过于频繁").encode("utf-8"), headers={"Retry-After": "3600"})

    def stall_headers(self, port: int) -> None:
        self._stall()

    def stall_body(self, port: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", _HTML)
        self.send_header("Content-Length", "5000")
        self.end_headers()
        self.wfile.write(b"<html><body>" + b"x" * 88)
        self.wfile.flush()
        self._stall()

    def drop(self, port: int) -> None:
        self._send(200, b"<html><body><p>" + b"y" * 985, length=5000)
        self.close_connection = True

    def truncated_gzip(self, port: int) -> None:
        packed = _gzip(_list("截断", [("要闻", "/news/")]) * 20)
        self._send(200, packed[: len(packed) // 2], headers={"Content-Encoding": "gzip"})

    def big_declared(self, port: int) -> None:
        self._stream(True)

    def big_streamed(self, port: int) -> None:
        self._stream(False)

    def bomb(self, port: int) -> None:
        self._send(200, gzip_bomb(), headers={"Content-Encoding": "gzip"})

    def calendar_home(self, port: int) -> None:
        self._send(200, _list("活动日历", [("本月", "/calendar/2024-01/")]))

    def session_home(self, port: int) -> None:
        sid = self.server.owner.next_token()
        article = self.server.owner.site.by_mode("session")
        self._send(200, _list("会话", [
            (article.title, f"{article.path};jsessionid={sid}"),
            (article.title + "（会话）", f"{article.path}?PHPSESSID={sid}"),
            ("会话首页", f"/session/;jsessionid={sid}"),
            ("会话首页2", f"/session/?PHPSESSID={sid}&sessionid={sid}"),
        ]))

    def hot(self, parts, port: int) -> None:
        query = dict(parse_qsl(parts.query))
        n = int(query.get("t", "1")) if query.get("t", "1").isdigit() else 1
        self._send(200, _list(f"热门 {n}", [
            (f"热门 {n + 1}", f"/hot/list?t={n + 1}"),
            (f"热门 {n + 2}", f"/hot/list?t={n + 2}&sort=new"),
            (f"热门 {n + 3}", f"/hot/list?t={n + 3}&sort=hot&view=grid"),
            ("第2页", f"/hot/list?t={n}&page=2"),
        ]))

    def deep(self, parts, port: int) -> None:
        self._send(200, _list("深层", [("更多", "more/"), ("下级", "sub/")]))

    def tree(self, parts, port: int) -> None:
        depth = parts.path.count("/") - 1
        self._send(200, _list("树", [(f"第{depth}层", f"n{depth}/")]))

    def calendar(self, parts, port: int) -> None:
        key = parts.path[len("/calendar/"):].strip("/")
        try:
            if len(key) == 7:
                return self._send(200, _calendar_page(dt.date.fromisoformat(key + "-01"), True))
            return self._send(200, _calendar_page(dt.date.fromisoformat(key), False))
        except ValueError:
            return self._send(404, T.error_page(404, "页面不存在").encode("utf-8"))

    def session_any(self, parts, port: int) -> None:
        self.session_home(port)

    def loop(self, parts, port: int) -> None:
        name = parts.path.rsplit("/", 1)[-1]
        self._redirect({"a": "/loop/b", "b": "/loop/a", "self": "/loop/self"}.get(name, "/loop/a"), 301)

    def chain(self, parts, port: int) -> None:
        n = parts.path.rsplit("/", 1)[-1]
        self._redirect(f"/chain/{int(n) + 1 if n.isdigit() else 1}")

    def go(self, parts, port: int) -> None:
        n = parts.path.rsplit("/", 1)[-1]
        n = int(n) if n.isdigit() else 1
        target = self.server.owner.site.by_mode("redirected").path
        self._redirect(f"/go/{n - 1}" if n > 1 else target, 301 if n % 2 else 302)

    def away(self, parts, port: int) -> None:
        where = parts.path.rsplit("/", 1)[-1]
        self._redirect({
            "offsite": "http://other.example/news/",
            "loopback": f"http://127.0.0.1:{port}/secret",
            "private": "http://10.0.0.1/",
            "metadata": "http://169.254.169.254/latest/meta-data/",
            "intranet": f"http://{INTRANET_HOST}:{port}/secret",
            "ftp": f"ftp://{HOST}/pub/file.txt",
            "js": "javascript:alert(1)",
            "file": "file:///etc/passwd",
        }.get(where, "/"))

    def private(self, parts, port: int) -> None:
        self._send(200, b"<html><body><p>robots.txt forbids this</p></body></html>")


_ROUTES = {
    "/": _Handler.home,
    "/news/": _Handler.news,
    "/broken/": _Handler.broken,
    "/news/202401/t20240110_6001.html": _Handler.binary,
    "/news/202401/t20240110_6002.html": _Handler.empty,
    "/fault/always-503.html": _Handler.always_503,
    "/fault/429-long.html": _Handler.too_many,
    "/fault/stall-headers.html": _Handler.stall_headers,
    "/fault/stall-body.html": _Handler.stall_body,
    "/fault/drop.html": _Handler.drop,
    "/fault/truncated-gzip.html": _Handler.truncated_gzip,
    "/big/declared.html": _Handler.big_declared,
    "/big/streamed.html": _Handler.big_streamed,
    "/big/bomb.html": _Handler.bomb,
    "/calendar/": _Handler.calendar_home,
    "/session/": _Handler.session_home,
}
_PREFIX_ROUTES = (
    ("/hot/list", _Handler.hot),
    ("/deep/", _Handler.deep),
    ("/tree/", _Handler.tree),
    ("/calendar/", _Handler.calendar),
    ("/session/", _Handler.session_any),
    ("/loop/", _Handler.loop),
    ("/chain/", _Handler.chain),
    ("/go/", _Handler.go),
    ("/away/", _Handler.away),
    ("/private/", _Handler.private),
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    owner: "HostileServer"

    def handle_error(self, request, client_address) -> None:
        # Clients hanging up on a 50 MB page or a stall are the point, not errors.
        pass


@dataclass(frozen=True)
class Hit:
    """One request the server received."""

    at: float      # time.monotonic()
    host: str
    path: str      # as requested, query included


class HostileServer:
    """The hostile site on a background thread, on 127.0.0.1 and a free port.

    ``hits`` lists every request received; ``count(host, path)`` how many times
    one path was asked for.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, site: HostileSite | None = None):
        self.site = site or build_site()
        self.host = host
        self.port = port
        self.hits: list[Hit] = []
        self.stopping = threading.Event()
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._token = 0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def url_for(self, host: str = HOST) -> str:
        return f"http://{host}:{self.port}/"

    def _log(self, host: str, path: str) -> int:
        with self._lock:
            self.hits.append(Hit(time.monotonic(), host, path))
            key = (host, path.split("?", 1)[0].split(";", 1)[0])
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def count(self, host: str, path: str) -> int:
        with self._lock:
            return self._counts.get((host, path), 0)

    def next_token(self) -> str:
        with self._lock:
            self._token += 1
            return f"S{self._token:08X}"

    def start(self) -> "HostileServer":
        gzip_bomb()  # built before the first request, not while the crawler waits
        self._httpd = _Server((self.host, self.port), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hostile-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "HostileServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class HostsResolver(CachingThreadedResolver):
    """Scrapy's resolver with a fixed table in front of it, like ``/etc/hosts``.

    ``TWISTED_DNS_RESOLVER = "crawler.portal.hostile.HostsResolver"`` (``DNS_RESOLVER`` in
    Scrapy before 2.19) with ``HOSTILE_HOSTS = {"hostile.test": "127.0.0.1"}`` (a dict, or its
    JSON on the command line) lets a test crawl the hostile site under public-looking
    names. Other names resolve as usual.
    """

    hosts: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.hosts = {k.lower(): v for k, v in crawler.settings.getdict("HOSTILE_HOSTS").items()}
        return resolver

    def getHostByName(self, name: str, timeout=()):  # noqa: N802 - Twisted's name
        address = self.hosts.get(name.lower())
        if address is not None:
            return defer.succeed(address)
        return super().getHostByName(name, timeout)


def serve_hostile(port: int = 0, host: str = "127.0.0.1") -> None:
    """Serve the hostile site until interrupted, printing its port first."""
    server = HostileServer(host, port).start()
    print(f"Serving the hostile site on {host}:{server.port} (hosts {', '.join(HOSTS)})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


__all__ = ["HOST", "HOSTS", "INTRANET_HOST", "SLOW_HOST", "HostileArticle", "HostileServer", "HostileSite",
           "HostsResolver", "build_site", "gzip_bomb", "serve_hostile"]

if __name__ == "__main__":  # pragma: no cover
    import sys

    serve_hostile(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
