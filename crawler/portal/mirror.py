"""The damage an SEO mirror site does to an article's text.

Such sites re-serve news articles converted to Traditional characters, with
tone-marked pinyin pasted after some converted characters (统 -> 統(tǒng)) and
with full-width punctuation mangled: ，becomes "," or ",,", 、 sometimes
",、", 。 sometimes ",。", ： always ":" and （） always "()".

`MirrorDamage(seed).apply(text)` is deterministic for a given seed and
sequence of calls, so a generated mirror page is the same on every build.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

# Share of converted characters that get a pinyin annotation; the real mirror
# annotates most but not all (首頁(yè) is annotated where 黨 is not).
PINYIN_RATE = 0.7
# Rates of the doubled forms, close to those counted on the copied mirror page
# (about 60% of ，, 、 and 。 come out with an extra comma there).
DOUBLE_COMMA_RATE = 0.55
COMMA_DUN_RATE = 0.6
COMMA_PERIOD_RATE = 0.65

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


@lru_cache(maxsize=1)
def _converter():
    # Imported lazily: OpenCC and pypinyin cost a few hundred milliseconds to
    # load and only mirror pages need them.
    import opencc

    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    """Simplified -> Traditional with OpenCC s2t (phrase-aware)."""
    return _converter().convert(text)


def _readings(text: str) -> list[str | None]:
    """Tone-marked pinyin per character of `text` (None for non-Han characters).

    Each run of Han characters is read as a whole so pypinyin can pick the
    reading from context (银行 -> háng, 行动 -> xíng).
    """
    from pypinyin import Style, pinyin

    out: list[str | None] = [None] * len(text)
    for match in _HAN_RUN.finditer(text):
        run = match.group()
        readings = pinyin(run, style=Style.TONE, heteronym=False)
        if len(readings) != len(run):  # defensive: fall back to one call per character
            readings = [pinyin(ch, style=Style.TONE)[0] for ch in run]
        for offset, reading in enumerate(readings):
            out[match.start() + offset] = reading[0]
    return out


class MirrorDamage:
    """Apply the mirror site's damage to text, one article at a time."""

    def __init__(self, seed: str):
        self.rng = random.Random(seed)

    def apply(self, text: str) -> str:
        """Return `text` as the mirror shows it (Traditional, pinyin, broken punctuation)."""
        trad = to_traditional(text)
        if len(trad) != len(text):  # keep the character alignment the annotation needs
            trad = "".join(to_traditional(ch) for ch in text)
        readings = _readings(text)
        rng = self.rng
        out: list[str] = []
        for simp, tc, reading in zip(text, trad, readings):
            if simp == "，":
                out.append(",," if rng.random() < DOUBLE_COMMA_RATE else ",")
            elif simp == "、":
                out.append(",、" if rng.random() < COMMA_DUN_RATE else "、")
            elif simp == "。":
                out.append(",。" if rng.random() < COMMA_PERIOD_RATE else "。")
            elif simp == "：":
                out.append(":")
            elif simp == "（":
                out.append("(")
            elif simp == "）":
                out.append(")")
            elif tc != simp and reading and rng.random() < PINYIN_RATE:
                out.append(f"{tc}({reading})")
            else:
                out.append(tc)
        return "".join(out)
