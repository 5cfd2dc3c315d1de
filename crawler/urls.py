"""Canonical URLs: the key an article is stored under.

w3lib's canonicalisation (sorted query, normalised percent-encoding, no fragment)
plus removal of tracking parameters that portals and share buttons append
(``?utm_source=wechat&from=timeline`` is the same article).
"""

from __future__ import annotations

import re
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
_WS = re.compile(r"\s+")


def is_tracking_param(name: str, extra: frozenset[str] = frozenset()) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name in extra or name.startswith(_TRACKING_PREFIXES)


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
    """
    url = _WS.sub("", url)
    parts = urlsplit(url)
    if parts.query:
        kept = [pair for pair in parts.query.split("&")
                if pair and not is_tracking_param(unquote_plus(pair.split("=", 1)[0]), extra_tracking)]
        parts = parts._replace(query="&".join(kept))
    return canonicalize_url(urlunsplit(parts), keep_fragments=False, encoding="utf-8")
