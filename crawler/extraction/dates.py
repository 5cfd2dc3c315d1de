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
    return None


def parse_date(text: str | None) -> str | None:
    """``find_date`` without the position; None for None."""
    if not text:
        return None
    found = find_date(text)
    return found[0] if found else None
