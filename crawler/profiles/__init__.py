"""Site profiles: one TOML file per portal, read into a validated :class:`Profile`.

A profile says what the generic rules cannot guess about one site: where to
start, which hosts belong to it, which URLs are articles or lists and which
never to follow, where each field sits in its templates, which elements are
noise, which charset its pages really use and which extra query parameters
only track. The format is documented key by key in the README ("Site
profiles"); ``_example.toml`` here shows every key with a comment.

    scrapy crawl news -a site=haizhou -a start_url=http://127.0.0.1:8000/
    python -m crawler extract page.html --site haizhou

Profiles are checked when loaded: an unknown key, a wrong type, a selector or
regular expression that does not compile, a start URL that is not http(s) or a
charset Python does not know raises :class:`ProfileError`, whose message names
the file, the key and the problem. Nothing here imports Scrapy.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

from ..decoding import normalize_charset

PROFILE_DIR = Path(__file__).resolve().parent

# Fields a profile may give selectors for, in the order extraction fills them.
FIELDS = ("title", "body", "published_at", "source", "author", "editor", "keywords", "breadcrumb")
XPATH_PREFIX = "xpath:"

_EXPECTED = {
    # key -> (kind, what a value must be); kinds: "str", "bool", "urls", "names", "regexes", "selectors", "table"
    "": {
        "name": "str", "start_urls": "urls", "allowed_domains": "names", "tracking_params": "names",
        "redirect_domains": "names", "allow_private_addresses": "bool",
        "urls": "table", "selectors": "table", "noise": "table", "decoding": "table",
    },
    "urls": {"article": "regexes", "list": "regexes", "deny": "regexes", "fold": "folds"},
    "selectors": {f: "selectors" for f in FIELDS},
    "noise": {"selectors": "selectors"},
    "decoding": {"charset": "str"},
}
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_PARAM = re.compile(r"^[^\s&=#]+$")


class ProfileError(ValueError):
    """A site profile that cannot be used; the message names the file, the key and the problem."""


@dataclass(frozen=True)
class Profile:
    """One site's profile, as loaded and checked by :func:`load_profile`."""

    name: str
    path: Path
    """The file it came from."""
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    """Hosts the crawl stays on; sub-hosts count (Scrapy's ``allowed_domains``)."""
    article_url_patterns: tuple[re.Pattern, ...] = ()
    list_url_patterns: tuple[re.Pattern, ...] = ()
    follow_deny_patterns: tuple[re.Pattern, ...] = ()
    selectors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """field -> selectors tried in order; CSS (with parsel's ``::text``/``::attr()``)
    or, after ``xpath:``, XPath."""
    noise: tuple[str, ...] = ()
    """Selectors of elements removed before any field is looked for."""
    charset: str | None = None
    """Python codec every page is decoded with, whatever it declares (a BOM still wins)."""
    tracking_params: frozenset[str] = frozenset()
    """Query parameters dropped from URLs besides those of :data:`crawler.urls.TRACKING_PARAMS`."""
    url_folds: tuple[tuple[re.Pattern, str], ...] = ()
    """(pattern, replacement) rewrites that fold print views and mobile hosts onto the article's URL."""
    redirect_domains: tuple[str, ...] = ()
    """Hosts outside ``allowed_domains`` (sub-hosts included) a redirect may lead to; other
    offsite redirects are refused (crawler/downloadermiddlewares/redirect.py)."""
    allow_private_addresses: bool = False
    """Whether requests may reach private, loopback or link-local addresses
    (crawler/downloadermiddlewares/addressfilter.py): an intranet portal."""

    def fold(self, url: str) -> str:
        """``url`` with the profile's ``urls.fold`` rewrites applied, in order.

        >>> p = Profile("x", Path("x.toml"), ("http://www.a.cn/",), ("a.cn",),
        ...             url_folds=((re.compile(r"_print(\\.html)$"), r"\\1"), (re.compile(r"^http://m\\."), "http://www.")))
        >>> p.fold("http://m.a.cn/yw/t20160804_1_print.html")
        'http://www.a.cn/yw/t20160804_1.html'
        """
        for pattern, replacement in self.url_folds:
            url = pattern.sub(replacement, url)
        return url

    def url_kind(self, url: str) -> str | None:
        """``"article"`` or ``"list"`` when one of the profile's URL patterns says so, else None.

        Patterns are searched in the URL's path plus ``?query``; article patterns first.

        >>> p = load_profile("haizhou")
        >>> p.url_kind("http://127.0.0.1:8000/yw/201601/t20160107_1029.html")
        'article'
        >>> p.url_kind("http://127.0.0.1:8000/sh/list?page=2"), p.url_kind("http://127.0.0.1:8000/about.php")
        ('list', None)
        """
        target = _path_and_query(url)
        if any(p.search(target) for p in self.article_url_patterns):
            return "article"
        if any(p.search(target) for p in self.list_url_patterns):
            return "list"
        return None

    def denies(self, url: str) -> bool:
        """True when the link must never be followed (a ``urls.deny`` pattern matches).

        >>> load_profile("haizhou").denies("http://127.0.0.1:8000/search/index.html?q=x")
        True
        """
        target = _path_and_query(url)
        return any(p.search(target) for p in self.follow_deny_patterns)


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + ("?" + parts.query if parts.query else "")


def site_domain(url: str) -> str:
    """The host of ``url`` with ``www.`` dropped, as the spider's allowed domain.

    >>> site_domain("http://www.example.gov.cn/index.html")
    'example.gov.cn'
    """
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def selector_xpath(selector: str) -> str:
    """The XPath a profile selector stands for: ``xpath:…`` as written, CSS translated by parsel.

    >>> selector_xpath("xpath://div[@id='ozoom']")
    "//div[@id='ozoom']"
    >>> selector_xpath("h1")
    'descendant-or-self::h1'
    """
    if selector.startswith(XPATH_PREFIX):
        return selector[len(XPATH_PREFIX):].strip()
    from parsel.csstranslator import css2xpath

    return css2xpath(selector)


def _bundled():
    """This folder as package resources: also readable from a zipped egg (Scrapyd)."""
    return files(__name__)


def available_profiles() -> list[str]:
    """Names of the profiles shipped in this folder (files starting with ``_`` are examples, not listed)."""
    return sorted(p.name.removesuffix(".toml") for p in _bundled().iterdir()
                  if p.name.endswith(".toml") and not p.name.startswith("_"))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _is_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith(".toml")


def load_profile(name_or_path: str | Path) -> Profile:
    """Load and check a profile: a bare name from this folder, or a path to a ``.toml`` file.

    >>> load_profile("haizhou").allowed_domains
    ('127.0.0.1',)
    >>> load_profile("no-such-site")
    Traceback (most recent call last):
    ...
    crawler.profiles.ProfileError: unknown site profile "no-such-site": the profiles are haizhou (crawler/profiles/*.toml); give a path to load another file
    """
    if isinstance(name_or_path, Path) or _is_path(str(name_or_path)):
        path = source = Path(name_or_path)
        if not path.is_file():
            raise ProfileError(f"{_display(path)}: no such profile file")
    else:
        path = PROFILE_DIR / f"{name_or_path}.toml"
        source = _bundled() / f"{name_or_path}.toml"
        if not name_or_path or not source.is_file():
            names = ", ".join(available_profiles()) or "none"
            raise ProfileError(f'unknown site profile "{name_or_path}": the profiles are {names} '
                               "(crawler/profiles/*.toml); give a path to load another file")
    where = _display(path)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{where}: cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{where}: not valid TOML ({exc})") from None
    return _build(data, path, where)


def _build(data: dict, path: Path, where: str) -> Profile:
    def fail(key: str, problem: str) -> ProfileError:
        return ProfileError(f"{where}: {key}: {problem}")

    _check_keys(data, "", fail)
    stem = path.name.removesuffix(".toml")
    name = data.get("name", stem)
    _need(name, "name", "str", fail)
    if name != stem:
        raise fail("name", f'"{name}" is not the file\'s name ("{stem}"): rename one so they agree')

    start_urls = _need(data.get("start_urls"), "start_urls", "urls", fail)
    if not start_urls:
        raise fail("start_urls", 'is missing or empty: give at least one page to start from, '
                                 'e.g. start_urls = ["http://www.example.gov.cn/"]')
    for url in start_urls:
        _check_start_url(url, "start_urls", fail)

    domains = _need(data.get("allowed_domains"), "allowed_domains", "names", fail)
    for domain in domains:
        if not _HOST.match(domain.lower()):
            raise fail("allowed_domains", f'"{domain}" is not a host name (give "example.gov.cn", '
                                          "without scheme, port or path)")
    if not domains:
        domains = sorted({site_domain(u) for u in start_urls})

    redirect_domains = _need(data.get("redirect_domains"), "redirect_domains", "names", fail)
    for domain in redirect_domains:
        if not _HOST.match(domain.lower()):
            raise fail("redirect_domains", f'"{domain}" is not a host name (give "cdn.example.com", '
                                           "without scheme, port or path)")
    allow_private = data.get("allow_private_addresses", False)
    if not isinstance(allow_private, bool):
        raise fail("allow_private_addresses", f"must be true or false, not {_type(allow_private)}")

    params = _need(data.get("tracking_params"), "tracking_params", "names", fail)
    for param in params:
        if not _PARAM.match(param):
            raise fail("tracking_params", f'"{param}" is not a query parameter name')

    urls = data.get("urls", {})
    patterns = {kind: _regexes(urls.get(kind), f"urls.{kind}", fail) for kind in ("article", "list", "deny")}

    selectors = {}
    for fname, value in data.get("selectors", {}).items():
        selectors[fname] = _selectors(value, f"selectors.{fname}", fail)
    noise = _selectors(data.get("noise", {}).get("selectors"), "noise.selectors", fail)

    charset = None
    label = data.get("decoding", {}).get("charset")
    if label is not None:
        _need(label, "decoding.charset", "str", fail)
        charset = normalize_charset(label)
        if charset is None:
            raise fail("decoding.charset", f'"{label}" is not a charset Python knows (e.g. "gb18030", "utf-8", "big5")')

    return Profile(
        name=name, path=path, start_urls=tuple(start_urls),
        allowed_domains=tuple(d.lower() for d in domains),
        article_url_patterns=patterns["article"], list_url_patterns=patterns["list"],
        follow_deny_patterns=patterns["deny"], selectors=selectors, noise=noise, charset=charset,
        tracking_params=frozenset(p.lower() for p in params),
        url_folds=_folds(urls.get("fold"), "urls.fold", fail),
        redirect_domains=tuple(d.lower() for d in redirect_domains), allow_private_addresses=allow_private,
    )


def _check_keys(table: dict, prefix: str, fail) -> None:
    """Unknown keys are errors (a typo must not silently turn a rule off); tables recurse."""
    known = _EXPECTED[prefix]
    for key, value in table.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f'did you mean "{close[0]}"? ' if close else ""
            where = f"[{prefix}]" if prefix else "the top level"
            raise fail(dotted, f"unknown key; {hint}the keys of {where} are {', '.join(known)}")
        if known[key] == "table":
            if not isinstance(value, dict):
                raise fail(dotted, f"must be a table ([{key}]), not {_type(value)}")
            _check_keys(value, key, fail)


_TYPE_NAMES = {str: "a string", int: "a number", float: "a number", bool: "true/false",
               list: "a list", dict: "a table"}


def _type(value) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _need(value, key: str, kind: str, fail):
    """Check the type of an optional value; lists come back (empty when absent)."""
    if kind == "str":
        if value is not None and not (isinstance(value, str) and value.strip()):
            raise fail(key, f"must be a non-empty string, not {_type(value)}")
        return value
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(key, f'must be a list of strings (e.g. ["…"]), not {_type(value)}')
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise fail(key, f"must hold only non-empty strings, not {_type(item)} {item!r}")
    return [item.strip() for item in value]


def _check_start_url(url: str, key: str, fail) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail(key, f'"{url}" is not an http(s) URL with a host (e.g. "http://www.example.gov.cn/")')


def _regexes(value, key: str, fail) -> tuple[re.Pattern, ...]:
    out = []
    for pattern in _need(value, key, "regexes", fail):
        try:
            out.append(re.compile(pattern))
        except re.error as exc:
            raise fail(key, f'"{pattern}" is not a valid regular expression ({exc})') from None
    return tuple(out)


def _folds(value, key: str, fail) -> tuple[tuple[re.Pattern, str], ...]:
    """``[[pattern, replacement], …]``: regular expressions and their replacements."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value):
        raise fail(key, 'must be a list of [pattern, replacement] pairs, e.g. [["_print\\\\.html$", ".html"]]')
    out = []
    for pattern, replacement in value:
        try:
            compiled = re.compile(pattern)
            compiled.sub(replacement, "")  # checks the replacement's group references
        except re.error as exc:
            raise fail(key, f'"{pattern}" → "{replacement}" is not a valid rewrite ({exc})') from None
        out.append((compiled, replacement))
    return tuple(out)


def _selectors(value, key: str, fail) -> tuple[str, ...]:
    if isinstance(value, list) and not value:
        raise fail(key, "is empty: give at least one selector or leave the key out")
    selectors = _need(value, key, "selectors", fail)
    for selector in selectors:
        _check_selector(selector, key, fail)
    return tuple(selectors)


_EMPTY_ROOT = None


def _check_selector(selector: str, key: str, fail) -> None:
    """Compile the selector and run it once on an empty page, so errors surface at load time."""
    global _EMPTY_ROOT
    from cssselect import SelectorError
    from lxml import etree
    from parsel import Selector

    kind = "XPath expression" if selector.startswith(XPATH_PREFIX) else "CSS selector"
    if _EMPTY_ROOT is None:
        _EMPTY_ROOT = etree.fromstring("<html><body></body></html>", etree.HTMLParser())
    try:
        xpath = selector_xpath(selector)
        if not xpath:
            raise ValueError("nothing after xpath:")
        Selector(root=_EMPTY_ROOT).xpath(xpath)
    except (SelectorError, ValueError) as exc:
        # parsel says "XPath error: Invalid expression in //p["; the selector is quoted already.
        reason = re.sub(r"^XPath error: (.*) in .*$", r"\1", str(exc), flags=re.S)
        raise fail(key, f'"{selector}" is not a valid {kind} ({reason})') from None


__all__ = ["FIELDS", "Profile", "ProfileError", "available_profiles", "load_profile", "selector_xpath",
           "site_domain"]
