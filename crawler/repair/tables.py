"""Character tables the fixers consult, built lazily and cached.

- readings: tone-marked pinyin readings of a character (pypinyin, all heteronyms);
- Traditional: whether OpenCC's t2s changes a character;
- common: GB2312 membership (its 6,763 hanzi are the common ones, level 1 the
  3,755 most common), used to judge which of two decodings is the real text.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from functools import lru_cache
from pathlib import Path

import opencc

_T2S = opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _pinyin_dict() -> dict[int, str]:
    """pypinyin's per-character table (code point -> "shù,shǔ,shuò"), ~11 MB.

    Loaded from its module file alone: importing the ``pypinyin`` package also
    loads its 47,000-phrase table (another 40 MB) that the fixers never use.
    """
    spec = importlib.util.find_spec("pypinyin")
    path = Path(spec.origin).parent / "pinyin_dict.py" if spec and spec.origin else None
    if path is None or not path.exists():  # a pypinyin laid out differently: the public way
        from pypinyin.pinyin_dict import pinyin_dict
        return pinyin_dict
    module_spec = importlib.util.spec_from_file_location("_crawler_pinyin_dict", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.pinyin_dict


def to_simplified(text: str) -> str:
    """OpenCC t2s (phrase-aware)."""
    return _T2S.convert(text)


@lru_cache(maxsize=65536)
def is_traditional(ch: str) -> bool:
    """True when ``ch`` has a different Simplified form (統 yes, 统 no, 并 no)."""
    return _T2S.convert(ch) != ch


@lru_cache(maxsize=65536)
def readings(ch: str) -> frozenset[str]:
    """Tone-marked readings of ``ch`` and of its Simplified form, NFC, lower-case."""
    table = _pinyin_dict()
    found: set[str] = set()
    for form in {ch, _T2S.convert(ch)}:
        for reading in table.get(ord(form), "").split(","):
            if reading:
                found.add(unicodedata.normalize("NFC", reading).lower())
    return frozenset(found)


def _encodes(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
        return True
    except UnicodeEncodeError:
        return False


@lru_cache(maxsize=65536)
def commonness(ch: str) -> int:
    """2: GB2312 level-1 hanzi or CJK punctuation; 1: other GB2312; 0: ASCII; -1: the rest."""
    if ch.isascii():
        return 0
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        # GB2312 codecs disagree on a few marks (— is A1AA in GBK, ― in gb2312).
        return 2 if unicodedata.category(ch).startswith("P") and _encodes(ch, "gbk") else -1
    if 0xB0 <= b[0] <= 0xD7 or 0xA1 <= b[0] <= 0xA3:
        return 2
    return 1
