"""Publish dates from the forms Chinese portals print, as ISO 8601.

A time without a zone is Beijing time (``+08:00``); a date shown without a time
stays a date (``2016-08-04``), so no precision is invented.
"""

from __future__ import annotations

import re

BEIJING = "+08:00"

_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)\s*日?"
    r"(?:\s*(?:T|\s)?\s*(?P<H>\d{1,2})\s*[:：时時]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?\s*秒?"
    r"(?:\.\d+)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
)


# M/D/YYYY with a 12-hour clock, as ASP/IIS pages print it: 7/5/2005 9:23:57 PM.
_US_DATE = re.compile(
    r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)\d{2})(?!\d)"
    r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp][Mm]))?"
)


def _us_date(text: str) -> tuple[str, int] | None:
    m = _US_DATE.search(text)
    if not m or not (1 <= int(m["m"]) <= 12 and 1 <= int(m["d"]) <= 31):
        return None
    date = f"{int(m['y']):04d}-{int(m['m']):02d}-{int(m['d']):02d}"
    if m["H"] is None:
        return date, m.start()
    hour = int(m["H"]) % 12 + (12 if m["ampm"].lower() == "pm" else 0)
    return f"{date}T{hour:02d}:{int(m['M']):02d}:{int(m['S'] or 0):02d}{BEIJING}", m.start()


def find_date(text: str) -> tuple[str, int] | None:
    """The first valid date in ``text`` as (ISO string, position), or None.

    >>> find_date("发布时间：2016-08-04 10:21　来源：本网")[0]
    '2016-08-04T10:21:00+08:00'
    >>> find_date("2016年08月04日")[0], find_date("2016/8/4 9:05:33")[0]
    ('2016-08-04', '2016-08-04T09:05:33+08:00')
    >>> find_date("2016-08-04T10:21:00Z")[0]
    '2016-08-04T10:21:00+00:00'
    >>> find_date("电话 2016-13-45") is None
    True
    >>> find_date("发布日期： 7/5/2005 9:23:57 PM")[0]
    '2005-07-05T21:23:57+08:00'
    """
    for m in _DATE.finditer(text):
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            continue
        date = f"{y:04d}-{mo:02d}-{d:02d}"
        if m["H"] is None:
            return date, m.start()
        hh, mm, ss = int(m["H"]), int(m["M"]), int(m["S"] or 0)
        if hh > 23 or mm > 59 or ss > 59:
            return date, m.start()
        tz = m["tz"]
        if tz is None:
            tz = BEIJING
        elif tz == "Z":
            tz = "+00:00"
        elif ":" not in tz:
            tz = f"{tz[:3]}:{tz[3:]}"
        return f"{date}T{hh:02d}:{mm:02d}:{ss:02d}{tz}", m.start()
    return _us_date(text)


def parse_date(text: str | None) -> str | None:
    """``find_date`` without the position; None for None."""
    if not text:
        return None
    found = find_date(text)
    return found[0] if found else None
