"""Turning response bytes into text: the one decoder the spider and the CLI share.

Order (first that applies wins, then the result is checked):

1. a byte-order mark;
2. the ``charset`` of the HTTP ``Content-Type`` header;
3. a ``<meta charset>`` / ``<meta http-equiv="Content-Type">`` in the first bytes;
4. nothing declared: UTF-8 if the bytes are valid UTF-8, else GB18030.

GB2312 and GBK are always read as GB18030, their superset: pages labelled gb2312
routinely contain GBK-only characters (WHATWG's Encoding Standard maps both labels
to the GBK decoder for the same reason).

The check: a declared charset is evidently wrong when decoding with it leaves
replacement characters, or when it turns a CJK page into runs of Latin-1 letters
(``¹ØÓÚ`` for 关于). Then the bytes are tried as strict UTF-8 and GB18030, and last
charset-normalizer is asked. The result records where the encoding came from.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

# gb2312/gbk and their aliases are decoded as gb18030 (a strict superset).
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "euc_cn"}
# Sniff the meta charset in this many leading bytes (HTML spec prescan uses 1024;
# real Chinese CMS pages often carry long <head>s, so look further).
_META_SNIFF_BYTES = 8192
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Latin-1 supplement letters and signs: what GBK/UTF-8 bytes look like when read
# as latin-1/cp1252.
_LATIN1_RUN = re.compile(r"[\u00a1-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]{2,}")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    """Python codec name actually used (``utf-8``, ``gb18030``, ``cp1252`` …)."""
    source: str
    """``bom``, ``header``, ``meta``, ``detected`` (checked or undeclared) or ``default``
    (nothing fitted: UTF-8 with replacement characters)."""
    declared: str | None = None
    """The charset the page declared (header or meta), normalised, if any."""
    utf8: bytes | None = field(default=None, repr=False, compare=False)
    """The bytes ``text`` was decoded from when they are its UTF-8 (:func:`own_utf8`), so
    that whoever needs the text as UTF-8 (lxml) need not encode it again; else None."""


def own_utf8(body: bytes, text: str, encoding: str) -> bytes | None:
    """``body`` when it is exactly ``text`` as UTF-8: it was decoded as UTF-8 and no
    byte was replaced (no U+FFFD in the text); else None.

    >>> own_utf8("关于".encode(), "关于", "utf-8") is not None, own_utf8(b"\\xe5\\x85", "\\ufffd", "utf-8")
    (True, None)
    """
    return body if encoding == "utf-8" and "\ufffd" not in text else None


def normalize_charset(label: str | None) -> str | None:
    """Map a charset label to the Python codec used for it, or None if unknown.

    >>> normalize_charset("GB2312"), normalize_charset("x-gbk"), normalize_charset("UTF8")
    ('gb18030', 'gb18030', 'utf-8')
    >>> normalize_charset("iso-8859-1"), normalize_charset("no-such-charset")
    ('cp1252', None)
    """
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in ("x-gbk", "gb_2312-80", "csgb2312", "chinese", "windows-936"):
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in _GB_FAMILY:
        return "gb18030"
    # Browsers (WHATWG) read latin-1 and ascii labels as windows-1252.
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return name


def charset_from_content_type(content_type: str | bytes | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header value, as a codec name."""
    if not content_type:
        return None
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    m = _HEADER_CHARSET.search(content_type)
    return normalize_charset(m.group(1)) if m else None


def charset_from_meta(body: bytes) -> str | None:
    """The charset a ``<meta>`` tag declares in the first bytes, as a codec name.

    A meta tag readable as ASCII cannot be UTF-16/32: the HTML standard reads such a
    declaration as UTF-8, and so do we.

    >>> charset_from_meta(b'<meta charset="utf-16">'), charset_from_meta(b'<meta charset=GBK>')
    ('utf-8', 'gb18030')
    """
    m = _META_CHARSET.search(body[:_META_SNIFF_BYTES])
    if not m:
        return None
    charset = normalize_charset(m.group(1).decode("ascii", "replace"))
    return "utf-8" if charset and charset.startswith(("utf-16", "utf-32")) else charset


def looks_misdecoded(text: str, utf8: bytes | None = None) -> bool:
    """True when ``text`` shows the marks of a wrong charset.

    Replacement characters (more than a stray few), or non-ASCII text that is mostly
    runs of Latin-1 letters: how CJK bytes look through latin-1/cp1252. Isolated
    accented letters in Latin text (café, naïve) are not runs and do not count.
    ``utf8``: ``text`` as UTF-8, when the caller has it (bytes it decoded as UTF-8
    without a replacement), which spares encoding the text again.
    """
    if text.isascii():
        return False
    raw = text.encode("utf-8", "surrogatepass") if utf8 is None else utf8
    non_ascii = len(raw.translate(None, _NOT_UTF8_LEAD))  # one lead byte per character
    replacements = text.count("\ufffd")
    if replacements > 2 and replacements / non_ascii > 0.001:
        return True
    # At most this many characters can be in runs: when too few, no regex over the page.
    if len(raw.translate(None, _NOT_LATIN1_LEAD)) * 2 <= non_ascii:
        return False
    in_runs = sum(len(m) for m in _LATIN1_RUN.findall(_non_ascii_runs(raw)))
    return in_runs >= 20 and in_runs / non_ascii > 0.5


# Every byte but the UTF-8 lead bytes of what _LATIN1_RUN matches (C2 C3: U+0080-00FF,
# C5 C6: U+0140-01BF, CB: U+02C0-02FF, E2: U+2000-2FFF): the bytes left after deleting
# these bound its characters from above.
_NOT_LATIN1_LEAD = bytes(b for b in range(256) if b not in (0xC2, 0xC3, 0xC5, 0xC6, 0xCB, 0xE2))
# ASCII and continuation bytes: what is left of UTF-8 after deleting them is one lead
# byte for each non-ASCII character (deleting is far quicker than encoding to ASCII
# with errors="ignore" to count them).
_NOT_UTF8_LEAD = bytes(range(0xC0))
_ASCII_TO_SPACE = bytes.maketrans(bytes(range(128)), b" " * 128)


def _non_ascii_runs(raw: bytes) -> str:
    """The runs of non-ASCII characters of UTF-8 ``raw``, joined by a space: the runs of
    _LATIN1_RUN are the same in it as in the whole text, which it is a fraction of."""
    return b" ".join(raw.translate(_ASCII_TO_SPACE).split()).decode("utf-8", "surrogatepass")


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _nearly(body: bytes, encoding: str) -> str | None:
    """``body`` decoded with replacement, if a few bad bytes are all that is wrong."""
    text = body.decode(encoding, errors="replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if non_ascii and bad <= max(4, non_ascii // 200) and not looks_misdecoded(text.replace("\ufffd", "")):
        return text
    return None


def _detect(body: bytes) -> tuple[str, str] | None:
    """Strict UTF-8, then strict GB18030, then either with a few bad bytes (pages are
    often cut or patched), then charset-normalizer's best guess."""
    for encoding in ("utf-8", "gb18030"):
        text = _strict(body, encoding)
        if text is not None and not looks_misdecoded(text, own_utf8(body, text, encoding)):
            return text, encoding
    for encoding in ("utf-8", "gb18030"):
        text = _nearly(body, encoding)
        if text is not None:
            return text, encoding
    from charset_normalizer import from_bytes  # imported lazily: rarely needed

    best = from_bytes(body).best()
    if best is not None:
        encoding = normalize_charset(best.encoding) or best.encoding
        text = body.decode(encoding, errors="replace")
        if not looks_misdecoded(text):
            return text, encoding
    return None


def decode_html(body: bytes, content_type: str | bytes | None = None) -> Decoded:
    """Decode an HTML document's bytes (see the module docstring for the order).

    >>> decode_html("<p>关于</p>".encode("gbk"), "text/html; charset=gb2312").encoding
    'gb18030'
    >>> d = decode_html("<meta charset=utf-8><p>关于我们的工作</p>".encode("gbk") * 5)
    >>> d.encoding, d.source, d.declared
    ('gb18030', 'detected', 'utf-8')
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            rest = body[len(bom):]
            text = rest.decode(encoding, "replace")
            return Decoded(text, encoding, "bom", utf8=own_utf8(rest, text, encoding))

    declared, source = charset_from_content_type(content_type), "header"
    if declared is None:
        declared, source = charset_from_meta(body), "meta"
    if declared is not None:
        text = body.decode(declared, errors="replace")
        utf8 = own_utf8(body, text, declared)
        if not looks_misdecoded(text, utf8):
            return Decoded(text, declared, source, declared, utf8)
        detected = _detect(body)
        if detected is not None:
            return Decoded(*detected, "detected", declared, own_utf8(body, *detected))
        return Decoded(text, declared, source, declared, utf8)

    detected = _detect(body)
    if detected is not None:
        return Decoded(*detected, "detected", utf8=own_utf8(body, *detected))
    text = body.decode("utf-8", errors="replace")
    return Decoded(text, "utf-8", "default", utf8=own_utf8(body, text, "utf-8"))
