"""Canonical URLs: the key an article is stored under.

w3lib's canonicalisation (sorted query, normalised percent-encoding, no fragment)
plus removal of tracking parameters that portals and share buttons append
(``?utm_source=wechat&from=timeline`` is the same article) and of session ids
(``;jsessionid=…``, ``?PHPSESSID=…``, ASP.NET's ``/(S(…))/``), which give every
visit new URLs for the same pages: a spider trap.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Parameters that identify a campaign or a share, never the content. Exact names,
# plus every ``utm_*``. ``from`` is the classic Chinese one (``?from=timeline``,
# ``?from=singlemessage``), ``spm`` Alibaba's, ``isappinstalled``/``scene`` WeChat's.
TRACKING_PARAMS = frozenset(
    {
        "from", "spm", "scene", "isappinstalled", "share", "shareid", "share_from",
        "share_token", "sharer", "srcid", "fr", "ref", "refer", "referrer",
        "timestamp", "clicktime", "enterid", "wfr", "wxfrom", "tt_from", "gclid",
        "fbclid", "_hsenc", "_hsmi", "mc_cid", "mc_eid", "from_source",
    }
)
_TRACKING_PREFIXES = ("utm_",)
# Session ids servers put in URLs when a client keeps no cookies (Java, PHP, ASP,
# ColdFusion, osCommerce/Zen Cart): a new id per visit, the same page. Unambiguous
# names only: ``sid`` is a section or site id on many Chinese CMSs (a profile can
# add it to tracking_params where it is a session).
SESSION_PARAMS = frozenset(
    {"jsessionid", "phpsessid", "sessionid", "session_id", "sessid", "cfid", "cftoken", "oscsid", "zenid"}
)
_SESSION_PREFIXES = ("aspsessionid",)
# Path forms: Java's ``;jsessionid=…`` path parameter, ASP.NET's cookieless ``/(S(…))/`` segment.
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/?#;]*|/\((?:[A-Z]\([^)/]*\))+\)(?=/)", re.I)
_WS = re.compile(r"\s+")


def is_tracking_param(name: str, extra: frozenset[str] = frozenset()) -> bool:
    """True for a parameter that never changes the page: tracking, share and session ids.

    >>> [is_tracking_param(n) for n in ("utm_source", "PHPSESSID", "ASPSESSIONIDQSTQCRBS", "id", "sid")]
    [True, True, True, False, False]
    """
    name = name.lower()
    return (name in TRACKING_PARAMS or name in SESSION_PARAMS or name in extra
            or name.startswith(_TRACKING_PREFIXES) or name.startswith(_SESSION_PREFIXES))


# Cached: every list page links to the same menus and sections again, and the spider
# puts each link in canonical form before anything else (~24 µs each).
@lru_cache(maxsize=4096)
def canonical_url(url: str, extra_tracking: frozenset[str] = frozenset()) -> str:
    """Canonical form of ``url``: the key articles are stored under.

    Query pairs are kept as written (percent-encoded GBK stays GBK) except the
    tracking ones, which are dropped.

    >>> canonical_url("HTTP://Example.com/a/t20160804_1.html?utm_source=wx&from=timeline#top")
    'http://example.com/a/t20160804_1.html'
    >>> canonical_url("http://example.com/list?page=2&utm_medium=x&id=7")
    'http://example.com/list?id=7&page=2'
    >>> canonical_url("http://example.com/s?kw=%D6%D0%B9%FA&from=a")
    'http://example.com/s?kw=%D6%D0%B9%FA'

    Session ids go, in the query and in the path:

    >>> canonical_url("http://a.cn/news/t20240111_1.html;jsessionid=A1B2C3?PHPSESSID=9f8e&id=3")
    'http://a.cn/news/t20240111_1.html?id=3'
    >>> canonical_url("http://a.cn/(S(lit3py55t21z5v55vlm25s55))/news/list.aspx")
    'http://a.cn/news/list.aspx'
    """
    url = _WS.sub("", url)
    parts = urlsplit(url)
    if ";" in parts.path or "(" in parts.path:
        parts = parts._replace(path=_PATH_SESSION.sub("", parts.path))
    if parts.query:
        kept = [pair for pair in parts.query.split("&")
                if pair and not is_tracking_param(unquote_plus(pair.split("=", 1)[0]), extra_tracking)]
        parts = parts._replace(query="&".join(kept))
    return canonicalize_url(urlunsplit(parts), keep_fragments=False, encoding="utf-8")
