"""The fixers: one pure ``str -> str`` function per kind of damage.

Each function's name is its name everywhere: in ``REPAIR_FIXERS``-style lists,
in an item's ``repairs``, in the stats (``repair/<name>``). Each docstring says
what it changes and what it deliberately leaves alone. Order matters and is set
in :mod:`crawler.repair`: byte-level mojibake first (UTF-8 read as GBK, GBK read
as Latin-1, both decided before ftfy sees the text), then ftfy, then the mirror
damage, then spacing.
"""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from functools import lru_cache

from ftfy import TextFixerConfig, fix_text
from ftfy.badness import is_bad

from .tables import commonness, is_traditional, readings, to_simplified

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{CJK}]")
# Characters that stand on the Chinese side of a punctuation mark: hanzi, and the
# full-width marks that close or sit inside Chinese text.
_CJK_LEFT = f"{CJK}”’）》〉】」』…—、。，；：？！"
_CJK_RIGHT = f"{CJK}“‘（《〈【「『"
_TONE_LETTERS = "a-zA-Z\u00e0-\u00fc\u0101-\u01dc\u0300-\u036f"


# --- HTML entities ------------------------------------------------------------
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def html_entities(text: str) -> str:
    """Decode HTML entities left in text, also doubly escaped ones.

    Changes ``&ldquo;`` to “ and ``&amp;ldquo;`` to “ (at most three rounds).
    Leaves alone a bare ampersand (``S&P``) and entity-like text without the
    closing semicolon.

    >>> html_entities("&amp;ldquo;宁波帮&amp;rdquo;优势 S&P")
    '“宁波帮”优势 S&P'
    """
    for _ in range(3):
        if "&" not in text or not _ENTITY.search(text):
            break
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    return text


# --- UTF-8 bytes that were read as GBK -------------------------------------------
# A run of non-ASCII characters, with the marks of bytes the wrong decoding lost
# inside it (U+FFFD) or right after it ("?" where the site replaced them).
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}\??|[^\x00-\x7f]\?")
# GBK's reading of the first two UTF-8 bytes of a dash/quote (E2 80) or of a
# full-width mark (EF BC), followed by the mark of the lost third byte: the one
# case where the lost character is guessed (see _guess_lost).
_GUESSABLE = re.compile("[鈥锛][?\ufffd]")




def _utf8_lead_chars() -> str:
    """GBK characters whose two bytes could start a 3-byte UTF-8 sequence (E0-EF, 80-BF).

    Every run of UTF-8-read-as-GBK mojibake contains some; most real text has
    few, so the fixer skips runs without any at C speed.
    """
    chars = []
    for lead in range(0xE0, 0xF0):
        for trail in range(0x80, 0xC0):
            try:
                chars.append(bytes([lead, trail]).decode("gbk"))
            except UnicodeDecodeError:
                pass
    return "".join(chars)


_UTF8_LEAD_LIKE = re.compile(f"[{re.escape(_utf8_lead_chars())}]")


def _plausibility(text: str) -> float:
    chars = [c for c in text if not c.isascii() and c != "\ufffd"]
    if not chars:
        return 0.0
    return sum(commonness(c) for c in chars) / len(chars)


def _utf8_parts(raw: bytes) -> tuple[int, str, bytes] | None:
    """(leading continuation bytes, decoded middle, incomplete tail) or None if invalid."""
    start = 0
    while start < len(raw) and 0x80 <= raw[start] <= 0xBF:
        start += 1
    end = len(raw)
    for k in range(len(raw) - 1, max(start, len(raw) - 4) - 1, -1):
        if raw[k] >= 0xC0:
            need = 2 if raw[k] < 0xE0 else 3 if raw[k] < 0xF0 else 4
            if len(raw) - k < need:
                end = k
            break
        if raw[k] < 0x80:
            break
    try:
        return start, raw[start:end].decode("utf-8"), raw[end:]
    except UnicodeDecodeError:
        return None


def _guess_lost(tail: bytes, before: str, after: str) -> str:
    """The character whose last UTF-8 byte was lost, where its block and context tell.

    Only for the two punctuation blocks whose marks Chinese text is full of, from
    the neighbours' classes; anything else stays U+FFFD.
    """
    spaced_before = not before or before.isspace() or before.isdigit()
    spaced_after = not after or after.isspace() or after.isdigit()
    if tail == b"\xe2\x80":  # U+2000-203F: dashes, quotes, ellipsis
        if spaced_before and spaced_after:
            return "—"
        if spaced_before:
            return "“"
        if spaced_after or after in ",.;:!?":
            return "”"
    elif tail == b"\xef\xbc" and _CJK_CHAR.match(before or " "):  # U+FF00-FF3F: full-width marks
        if after and (after.isdigit() or after.isascii() and after.isalpha()):
            return "："
        if _CJK_CHAR.match(after or " "):
            return "，"
    return "\ufffd"


def _mojibake_segments(run: str) -> str:
    """Re-decode the parts of ``run`` that are UTF-8 read as GBK, amid clean text.

    From each character that could start such mojibake, the longest stretch whose
    GBK bytes are valid UTF-8 ending on a character boundary; taken when it gives
    at least two common hanzi from rarer ones (关键词：涓滄箹鍙ら晣 -> 关键词：东湖古镇).
    """
    out, i = [], 0
    while i < len(run):
        if not _UTF8_LEAD_LIKE.match(run[i]):
            out.append(run[i])
            i += 1
            continue
        decoder = codecs.getincrementaldecoder("utf-8")()
        pieces, best = [], None
        for j in range(i, len(run)):
            try:
                pieces.append(decoder.decode(run[j].encode("gbk")))
            except (UnicodeEncodeError, UnicodeDecodeError):
                break
            if not decoder.getstate()[0]:
                best = (j + 1, "".join(pieces))
        if best and best[0] - i >= 3:
            original, fixed = run[i:best[0]], best[1]
            if (len(_CJK_CHAR.findall(fixed)) >= 2
                    and all(commonness(c) >= 1 and (_CJK_CHAR.match(c) or commonness(c) == 2) for c in fixed)
                    and _plausibility(fixed) > _plausibility(original) + 0.25):
                out.append(fixed)
                i = best[0]
                continue
        out.append(run[i])
        i += 1
    return "".join(out)


def has_guessable_loss(text: str) -> bool:
    """True when ``utf8_read_as_gbk`` would guess a lost character in ``text``."""
    return ("鈥" in text or "锛" in text) and _GUESSABLE.search(text) is not None


def utf8_read_as_gbk(text: str) -> str:
    """Re-decode runs of UTF-8 bytes that were decoded as GBK (鍏虫敞 -> 关注).

    A run of non-ASCII characters is encoded back to GBK and decoded as UTF-8;
    the result replaces the run only when it is made of common characters and
    the run was not (mojibake of this kind is full of rare hanzi); failing that,
    the stretches of the run that decode so are replaced. Where the
    wrong decoding lost bytes (U+FFFD, or "?" after the run), the character stays
    U+FFFD and the text is flagged; only a lost last byte of a dash, quote or
    full-width mark is guessed from its neighbours (flagged ``guessed``). Leaves
    alone real Chinese text, whose GBK bytes are rarely valid UTF-8 and, when they
    are, decode to rare or non-CJK characters.

    >>> utf8_read_as_gbk("ChatGPT 璁㈤槄"), utf8_read_as_gbk("中文"), utf8_read_as_gbk("好吗?")
    ('ChatGPT 订阅', '中文', '好吗?')
    """
    if not _UTF8_LEAD_LIKE.search(text):
        return text

    def whole_run(m: re.Match) -> str | None:
        run = m.group(0)
        lost_after = run.endswith("?")
        pieces = (run[:-1] if lost_after else run).split("\ufffd")
        if lost_after:
            pieces.append("")
        try:
            parts = [_utf8_parts(p.encode("gbk")) for p in pieces]
        except UnicodeEncodeError:
            return None
        if any(p is None for p in parts) or parts[0][0]:
            return None
        if len(parts) == 1:
            if parts[0][2]:
                return None  # incomplete and nothing lost: not this damage as a whole
            fixed = parts[0][1]
        else:
            out = []
            for i, (orphans, middle, tail) in enumerate(parts):
                if i and orphans and not parts[i - 1][2]:
                    return None  # continuation bytes with no lead before them
                out.append(middle)
                if i + 1 < len(parts):
                    after = parts[i + 1][1][:1] if not parts[i + 1][0] else ""
                    after = after or (text[m.end()] if m.end() < len(text) and i + 2 == len(parts) else "")
                    guess = _guess_lost(tail, middle[-1:] or (text[m.start() - 1] if m.start() else ""), after)
                    out.append(guess)
                elif tail:
                    out.append("\ufffd")
            fixed = "".join(out)
        if not fixed or len(fixed) >= len(run):
            return None
        if any(commonness(c) < 1 for c in fixed if not c.isascii() and c != "\ufffd"):
            return None
        return fixed if _plausibility(fixed) > _plausibility(run) + 0.25 else None

    def fix(m: re.Match) -> str:
        run = m.group(0)
        if not _UTF8_LEAD_LIKE.search(run):
            return run
        fixed = whole_run(m)
        return fixed if fixed is not None else _mojibake_segments(run)

    return _NON_ASCII_RUN.sub(fix, text)


# --- GBK bytes that were read as Latin-1 / cp1252 / cp1250 -----------------------------
_LATIN_CHARS = (
    "\u00a0-\u017f\u0192\u02c6\u02c7\u02d8-\u02dd\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
    "\u2039\u203a\u20ac\u2122"
)
_LATIN_RUN = re.compile(f"[{_LATIN_CHARS}]{{4,}}")
_SHORT_LATIN_RUN = re.compile(f"[{_LATIN_CHARS}]{{2,}}")
_SINGLE_BYTE_CODECS = ("latin-1", "cp1252", "cp1250")


def _latin_run_as_gbk(run: str, min_hanzi: int) -> str | None:
    for codec in _SINGLE_BYTE_CODECS:
        try:
            raw = run.encode(codec)
        except UnicodeEncodeError:
            continue
        try:
            raw.decode("utf-8")
            return None  # valid UTF-8: ftfy's case, not ours
        except UnicodeDecodeError:
            pass
        try:
            fixed = raw.decode("gbk")
        except UnicodeDecodeError:
            continue
        if len(_CJK_CHAR.findall(fixed)) >= min_hanzi and all(commonness(c) >= 1 for c in fixed if not c.isascii()):
            return fixed
    return None


def gbk_read_as_latin1(text: str) -> str:
    """Re-decode runs of GBK bytes shown as Latin-1/cp1252/cp1250 letters (¹ØÓÚ -> 关于).

    Runs of four or more such characters whose bytes decode as GBK into at least
    two common hanzi; once a text has one, also its short runs (¡£ -> 。, Äê -> 年
    between digits). Never bytes that are valid UTF-8 (that is ftfy's case:
    "HÃ´tel" is also valid GBK). Leaves alone Latin text with accents, which has
    no such runs.

    >>> gbk_read_as_latin1("Äþ²¨ÊÐÎ¯Í³Õ½ 2016Äê¡£")
    '宁波市委统战 2016年。'
    >>> gbk_read_as_latin1("¿Dónde está? Ôôô")
    '¿Dónde está? Ôôô'
    """
    fixed_any = False

    def fix(m: re.Match) -> str:
        nonlocal fixed_any
        fixed = _latin_run_as_gbk(m.group(0), min_hanzi=2)
        fixed_any = fixed_any or fixed is not None
        return fixed if fixed is not None else m.group(0)

    text = _LATIN_RUN.sub(fix, text)
    if fixed_any:
        text = _SHORT_LATIN_RUN.sub(lambda m: _latin_run_as_gbk(m.group(0), min_hanzi=0) or m.group(0), text)
    return text


# --- Latin-1/cp1252 mojibake of UTF-8: ftfy, configured for CJK ----------------------
_FTFY = TextFixerConfig(
    unescape_html=False,          # html_entities does this, in its own step
    fix_character_width=False,    # would fold ，（）： to ASCII
    uncurl_quotes=False,          # would flatten “”
    fix_latin_ligatures=False,
    fix_line_breaks=False,
    remove_control_chars=False,
    remove_terminal_escapes=False,
    normalization=None,           # NFC would rewrite CJK compatibility ideographs
    explain=False,
)
# A line and its line break ("\n" only, as ftfy cuts), or the text's last line; no empty match.
_LINES = re.compile(r"[^\n]*\n|[^\n]+")
# What ftfy changes in a line that does not look like mojibake: C1 controls, surrogates.
_FTFY_LINE = re.compile("[\x80-\x9f\ud800-\udfff]")
_MOJIBAKE_HINT = re.compile("[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u0400-\u045f\u20ac\u2122]")


def latin_mojibake(text: str) -> str:
    """UTF-8 decoded as Latin-1/cp1252/cp1251 (æ—¥æœ¬èªž -> 日本語), by ftfy.

    ftfy is configured not to fold full-width punctuation, uncurl quotes, or
    normalise Unicode; text without any Latin-1/cp125x-looking character is not
    handed to it at all. It fixes a text line by line, and with this configuration
    changes a line only if the line looks like mojibake (``ftfy.badness.is_bad``) or
    holds C1 controls or surrogates: only those lines go through it (a long article
    with one "·" in it cost a millisecond when every line did), with the same output.

    >>> latin_mojibake("Ningboï¼ŒChina"), latin_mojibake("“你好”，（１）")
    ('Ningbo，China', '“你好”，（１）')
    >>> latin_mojibake("新闻·宁波\\n中国ďĽŚ宁波\\nNingboï¼ŒChina")  # cp1250 and Latin-1 mojibake
    '新闻·宁波\\n中国，宁波\\nNingbo，China'
    """
    if not _MOJIBAKE_HINT.search(text):
        return text
    if len(text) > _FTFY.max_decode_length:  # ftfy also cuts lines this long: a cut piece may look bad alone
        return fix_text(text, _FTFY)
    # The segments fix_text() cuts (each line with its line break), joined as it joins them.
    return "".join(fix_text(line, _FTFY) if _FTFY_LINE.search(line) or is_bad(line) else line
                   for line in _LINES.findall(text))


# --- Invisible characters ---------------------------------------------------------
_ALWAYS_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u200e\u200f]")
_INVISIBLE_CHARS = "\u200b\u2060\ufeff\u200e\u200f"
_JOINERS_NEAR_TEXT = re.compile(f"(?<=[{CJK}\\w])[\u200c\u200d]|[\u200c\u200d](?=[{CJK}\\w])")


def invisible_characters(text: str) -> str:
    """Remove zero-width spaces, word joiners, BOMs and direction marks.

    Zero-width (non-)joiners are removed next to letters and hanzi, where they
    are junk; between emoji they build a sequence and stay.

    >>> invisible_characters("余\\u200d红\\u2060艺"), invisible_characters("👨\\u200d👩")
    ('余红艺', '👨\\u200d👩')
    """
    if any(ch in text for ch in _INVISIBLE_CHARS):  # plain `in` tests: most texts have none
        text = _ALWAYS_INVISIBLE.sub("", text)
    if "\u200c" in text or "\u200d" in text:
        text = _JOINERS_NEAR_TEXT.sub("", text)
    return text


# --- Pinyin annotations injected by mirror sites ------------------------------------
_ANNOTATION = re.compile(f"([{CJK}])\\(([{_TONE_LETTERS}]{{1,7}})\\)")
# Misaligned GBK damage: the tool read a byte pair across two characters and
# inserted "(pinyin)" (or replaced a misread full-width mark by ASCII) between
# them; the lone lead byte then decodes as "?" (swallowing the "(" with some
# decoders) or as U+FFFD.
_MISALIGNED = re.compile(f"[?\ufffd](?:\\(?([{_TONE_LETTERS}]{{1,7}})\\)|([!,:;?]))")
_FULLWIDTH_OF = {"!": "！", ",": "，", ":": "：", ";": "；", "?": "？"}


def _syllable(s: str) -> str:
    return unicodedata.normalize("NFC", s).lower()


def _lead_bytes_for(prev: int, syllable: str) -> list[int]:
    """Bytes L such that GBK (prev, L) is a Traditional character read ``syllable``.

    L was the lead byte of the next character (that is why the pair straddled
    two characters), so only lead bytes 0x81-0xFE qualify.
    """
    found = []
    for lead in range(0x81, 0xFF):
        try:
            ch = bytes([prev, lead]).decode("gbk")
        except UnicodeDecodeError:
            continue
        if is_traditional(ch) and syllable in readings(ch):
            found.append(lead)
    return found


def _window_score(text: str) -> int:
    return sum(commonness(c) for c in text[:6])


def _repair_misaligned_group(prefix: str, marks: list[tuple[str, str]], rest: str) -> str | None:
    """Rebuild the bytes of one run of adjacent misaligned marks; None if no fit."""
    try:
        prefix_bytes, rest_bytes = prefix.encode("gb18030"), rest.encode("gb18030")
    except UnicodeEncodeError:
        return None
    if not prefix_bytes:
        return None
    streams: list[bytes] = [b""]
    for kind, value in marks:
        grown = []
        for stream in streams:
            prev = (prefix_bytes + stream)[-1]
            if kind == "pinyin":
                grown += [stream + bytes([lead]) for lead in _lead_bytes_for(prev, value)]
            else:  # a full-width mark read across two characters, then made ASCII
                fw = _FULLWIDTH_OF[value].encode("gbk")
                grown += [stream + bytes([lead]) + fw for lead in range(0x81, 0xFF)]
        streams = grown[:512]
    best, best_key = None, None
    for stream in streams:
        try:
            decoded = (stream + rest_bytes).decode("gb18030")
        except UnicodeDecodeError:
            continue
        # Most common characters wins; ties go to punctuation (a misread mark sits
        # in a run of marks: 。” is the classic pair).
        key = (_window_score(decoded), decoded[:1] in "。，、；：？！”’）》")
        if best_key is None or key > best_key:
            best, best_key = decoded, key
    return None if best is None else prefix + best


def _misaligned_annotations(text: str) -> str:
    if "?" not in text and "\ufffd" not in text:
        return text
    for _ in range(8):  # each pass repairs the first group of adjacent marks
        groups: list[list[re.Match]] = []
        for m in _MISALIGNED.finditer(text):
            if groups and groups[-1][-1].end() == m.start() and m.group(1):
                groups[-1].append(m)  # stacked marks: 日?qǐng)?bào)社
                continue
            before = text[m.start() - 1] if m.start() else ""
            after = text[m.end()] if m.end() < len(text) else ""
            if not _CJK_CHAR.match(before or " "):
                continue
            if m.group(2) and not (after and not after.isascii() and commonness(after) < 2):
                continue  # "?!" between ordinary hanzi is punctuation, not damage
            if groups and groups[-1][-1].end() == m.start():
                groups[-1].append(m)
            else:
                groups.append([m])
        if not groups:
            return text
        group = groups[0]
        marks = [("pinyin", _syllable(m.group(1))) if m.group(1) else ("punct", m.group(2)) for m in group]
        fixed = _repair_misaligned_group(text[: group[0].start()], marks, text[group[-1].end():])
        if fixed is None:
            return text
        text = fixed
    return text


@lru_cache(maxsize=65536)
def _is_annotation(ch: str, in_context: str, syllable: str) -> bool:
    """``ch(syllable)`` is a mirror's annotation: ``ch`` is Traditional and reads so."""
    if in_context == ch and not is_traditional(ch):
        return False
    syllable = _syllable(syllable)
    return syllable in readings(ch) or syllable in readings(in_context)


def pinyin_annotations(text: str) -> str:
    """Remove the pinyin mirror sites inject after characters (統(tǒng) -> 統).

    Only where the signature holds: a Traditional character (one that OpenCC's
    t2s changes, in its context: 瞭 in 瞭解 is the Traditional form of 了)
    followed by a tone-marked syllable that is one of its readings. Also repairs
    the byte-misaligned form this damage takes in GBK text, where a lost lead
    byte shows as "?" (當?shù)嘏_商 -> 當地臺商). Leaves alone a language
    lesson's 妈(mā) (Simplified), 縣(市) and f(x) (not pinyin), and 統(tàng)
    (not a reading of 統).

    >>> pinyin_annotations("統(tǒng)一戰(zhàn)線 妈(mā) 縣(市) 瞭(liǎo)解")
    '統一戰線 妈(mā) 縣(市) 瞭解'
    >>> pinyin_annotations("與寧波當?shù)嘏_商座談")
    '與寧波當地臺商座談'
    """
    text = _misaligned_annotations(text)
    if "(" not in text:
        return text
    matches = list(_ANNOTATION.finditer(text))
    if not matches:
        return text
    # The text without any annotation, converted to Simplified as a whole, says
    # which annotated characters are Traditional in their context.
    bare_parts, positions, pos, length = [], [], 0, 0
    for m in matches:
        bare_parts.append(text[pos:m.end(1)])
        length += m.end(1) - pos
        positions.append(length - 1)
        pos = m.end()
    bare_parts.append(text[pos:])
    bare = "".join(bare_parts)
    simple = to_simplified(bare)
    aligned = len(simple) == len(bare)

    out, pos = [], 0
    for m, i in zip(matches, positions):
        ch = m.group(1)
        out.append(text[pos:m.end(1)])
        if not _is_annotation(ch, simple[i] if aligned else ch, m.group(2)):
            out.append(text[m.end(1):m.end()])
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


# --- Punctuation of mirror copies ------------------------------------------------
_DOUBLED = re.compile(f"(?<=[{_CJK_LEFT}0-9A-Za-z%％]),([,、。;:；：])")
_DOUBLED_TO = {",": "，", "、": "、", "。": "。", ";": "；", ":": "：", "；": "；", "：": "："}
_HALF = re.compile(f"(?<=[{_CJK_LEFT}])([,;:!?])(?=[{_CJK_RIGHT}0-9])|(?<=[0-9A-Za-z%％])([,;])(?=[{_CJK_RIGHT}])")
_HALF_TO = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
_PARENS = re.compile(f"(?:(?<=[{_CJK_LEFT}])|^)\\(([^()\\n]{{1,40}})\\)", re.MULTILINE)
_DAMAGE_SIGNS = re.compile(f"[{_CJK_LEFT}],[,、。;:]|[{CJK}][,;][{CJK}]")


def looks_mirror_damaged(text: str) -> bool:
    """Doubled marks (,, ,、 ,。) or ASCII commas between hanzi: the mirror's signature."""
    return ("," in text or ";" in text) and _DAMAGE_SIGNS.search(text) is not None


def fullwidth_punctuation(text: str) -> str:
    """Restore a damaged document's punctuation: ,, -> ，  ,、 -> 、  ,。 -> 。  , : ; ( ) -> ，：；（）.

    Applied only to documents found damaged (see :mod:`crawler.repair`), and only
    next to Chinese text: never inside numbers (1,000), URLs, code or Latin text
    (Ningbo (宁波) keeps its ASCII parentheses; its "(" follows a space).
    ASCII angle brackets stay: the original mark is unknown.

    >>> fullwidth_punctuation("會議,,審議《規則》,。全體(擴大)會議,、1,000人,編輯:秦云")
    '會議，審議《規則》。全體（擴大）會議、1,000人，編輯：秦云'
    >>> fullwidth_punctuation("增長12.5%,,主要是 Ningbo (宁波), f(x) = 1,2")
    '增長12.5%，主要是 Ningbo (宁波), f(x) = 1,2'
    """
    text = _DOUBLED.sub(lambda m: _DOUBLED_TO[m.group(1)], text)
    text = _HALF.sub(lambda m: _HALF_TO[m.group(1) or m.group(2)], text)
    return _PARENS.sub(lambda m: f"（{m.group(1)}）" if _CJK_CHAR.search(m.group(1)) or m.start() > 0
                       and _CJK_CHAR.match(text[m.start() - 1]) else m.group(0), text)


# --- Full-width letters and digits --------------------------------------------------
_FULLWIDTH_ALNUM = re.compile("[Ａ-Ｚａ-ｚ０-９]")
_FULLWIDTH_NUMERIC_SIGN = re.compile("(?<=[0-9])[．％]|[．](?=[0-9])")


def fullwidth_alnum(text: str) -> str:
    """Fold full-width Latin letters and digits to ASCII (ＧＤＰ６．５％ -> GDP6.5%).

    Also the decimal point and percent sign next to digits. Leaves alone the
    full-width punctuation of Chinese text (，。：；（）！？), which is correct.

    >>> fullwidth_alnum("一季度ＧＤＰ增长６．５％，完成投资２０１６亿元。")
    '一季度GDP增长6.5%，完成投资2016亿元。'
    """
    if not _FULLWIDTH_ALNUM.search(text) and "．" not in text and "％" not in text:
        return text
    text = _FULLWIDTH_ALNUM.sub(lambda m: chr(ord(m.group(0)) - 0xFEE0), text)
    return _FULLWIDTH_NUMERIC_SIGN.sub(lambda m: chr(ord(m.group(0)) - 0xFEE0), text)


# --- Spaces ----------------------------------------------------------------------
_EDGE_CHARS = " \t\u00a0\u3000"
_EDGE_SPACE = re.compile("^[ \t\u00a0\u3000]+|[ \t\u00a0\u3000]+$", re.MULTILINE)


def whitespace(text: str) -> str:
    """NBSP to a space; spaces and ideographic spaces stripped at line ends.

    Paragraph indentation (　　) goes: paragraphs are lines. Ideographic spaces
    inside a line (目录　　第一章) are layout and stay.

    >>> whitespace("\\u3000\\u3000本报讯\\u00a0昨日。\\u3000"), whitespace("目录\\u3000\\u3000第一章")
    ('本报讯 昨日。', '目录\\u3000\\u3000第一章')
    """
    if "\u00a0" in text:
        text = text.replace("\u00a0", " ")
    # The regex only where a line can start or end with such a space (plain `in` tests).
    if text and (text[0] in _EDGE_CHARS or text[-1] in _EDGE_CHARS
                 or any(f"\n{c}" in text or f"{c}\n" in text for c in _EDGE_CHARS)):
        return _EDGE_SPACE.sub("", text)
    return text


# --- Unrecoverable text: flagged, never changed ---------------------------------------
_UNRECOVERABLE = re.compile("锟斤拷|锟[^\\s]{0,2}拷|烫烫烫|屯屯屯|\ufffd")


def unrecoverable(text: str) -> bool:
    """True when bytes were already lost: 锟斤拷 (U+FFFD sent through GBK), 烫烫/屯屯,
    U+FFFD, or misaligned-GBK marks that ``pinyin_annotations`` could not undo.

    >>> unrecoverable("锟侥革拷锟斤拷锟斤拷"), unrecoverable("正常文本"), unrecoverable("轉化爲?jù)卫硇")
    (True, False, True)
    """
    if ("锟" in text or "烫" in text or "屯" in text or "\ufffd" in text) and _UNRECOVERABLE.search(text):
        return True
    return "?" in text and any(_CJK_CHAR.match(text[m.start() - 1]) and m.group(1)
                               for m in _MISALIGNED.finditer(text) if m.start())
