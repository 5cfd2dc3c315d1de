"""Text repair: the shared damaged/clean cases, our own cases, and damage we make ourselves.

The cases in ../shared/testdata/artifacts are used when present (skipped when
not); the rest stands alone: clean text that must not change, and damage made
from the sample portal's own prose by the same transformations real sites apply.
"""

import json
import random

import opencc
import pytest

from conftest import SHARED
from crawler.repair import FIXER_NAMES, repair_document, repair_text, to_simplified
from crawler.repair.tables import is_traditional

CASES = SHARED / "testdata" / "artifacts" / "cases.jsonl"
SEED = SHARED / "seed" / "000_29bd2c50f032fca0.txt"
S2T = opencc.OpenCC("s2t")


def shared_cases():
    if not CASES.exists():
        return []
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]


needs_shared = pytest.mark.skipif(not CASES.exists(), reason="../shared/testdata/artifacts not present")


# --- the shared cases -------------------------------------------------------------

@needs_shared
def test_shared_negative_cases_unchanged():
    for case in shared_cases():
        if case["polarity"] == "negative":
            result = repair_text(case["input"])
            assert result.texts == [case["input"]], case["id"]
            assert result.repairs == [], case["id"]


@needs_shared
def test_shared_damaged_cases_mostly_exact_rest_flagged():
    from crawler.decoding import decode_html

    positives = [c for c in shared_cases() if c["polarity"] == "positive" and not c.get("doc")]
    exact = 0
    for case in positives:
        if case.get("input_bytes_hex"):
            text = decode_html(bytes.fromhex(case["input_bytes_hex"]),
                               f"text/html; charset={case['declared_charset']}").text
        else:
            text = case["input"]
        result = repair_text(text)
        if result.texts[0] == case["expected"]:
            exact += 1
        else:
            assert result.flags, f"{case['id']} neither repaired nor flagged: {result.texts[0]!r}"
    assert exact / len(positives) >= 0.95


@needs_shared
def test_shared_unrecoverable_is_flagged_not_changed():
    for case in shared_cases():
        if case["polarity"] == "detect_only":
            result = repair_text(case["input"])
            assert result.texts == [case["expected"]] and "unrecoverable" in result.flags


@needs_shared
def test_seed_document_repaired_as_a_whole():
    """The seed page, repaired as one document, equals its expected lines."""
    doc = sorted((c for c in shared_cases() if c.get("doc") == "seed000"), key=lambda c: c["line_no"])
    seed_lines = SEED.read_text(encoding="utf-8").splitlines()
    assert [c["input"] for c in doc] == seed_lines
    result = repair_document(seed_lines)
    assert result.texts == [c["expected"] for c in doc]
    assert result.repairs == ["pinyin_annotations", "fullwidth_punctuation"]
    assert [to_simplified(t) for t in result.texts] == [c["expected_simplified"] for c in doc]


# --- clean text stays as it is ------------------------------------------------------

CLEAN = [
    "全年完成投资1,000亿元，同比增长12.5%。",
    "“你好”的拼音是 nǐ hǎo。妈(mā)妈(ma)",
    "Ningbo (宁波) and Zhoushan (舟山) signed the agreement.",
    "縣(市)區委統戰部召開會議，部署工作。",
    "寧波市召開統戰工作領導小組第一次全體(擴大)會議",
    "原文链接：http://www.example.cn/c/2016-08-04/1.shtml?from=a,b",
    "def f(x): return x**2, g(t)",
    "Le café de la gare, naïve façade, à côté du théâtre.",
    "目录　　第一章",
    "（一）加强组织领导。《海州市民生实事工作方案（2023—2024年）》印发。",
    "市委副书记方若溪出席会议并讲话，强调要“集众智、汇众力”。",
    "這是繁體中文的正常句子，沒有任何損壞：標點也都是全形的！",
    "他问：“是吗?”我说：“是的!”",
    "👨\u200d👩\u200d👧 family",
]


@pytest.mark.parametrize("text", CLEAN)
def test_clean_text_unchanged(text):
    result = repair_text(text)
    assert result.texts == [text] and result.repairs == [] and result.flags == []


def test_clean_portal_articles_unchanged(portal):
    for truth in portal.articles:
        if truth.kind == "original":
            result = repair_document([truth.title, truth.body])
            assert result.texts == [truth.title, truth.body], truth.id


# --- damage made from our own prose ---------------------------------------------------

def _own_paragraphs(portal, n=60):
    paras = [p for a in portal.articles if a.kind == "original" for p in a.body.split("\n")]
    return random.Random(7).sample(paras, n)


def test_mirror_damage_round_trips(portal):
    """The portal's mirror transformation, undone: Traditional text without pinyin or bad marks."""
    from crawler.portal.mirror import MirrorDamage

    for i, para in enumerate(_own_paragraphs(portal)):
        damaged = MirrorDamage(f"t{i}").apply(para)
        result = repair_document([damaged])
        assert result.texts == [S2T.convert(para)], (para, damaged)
        assert to_simplified(result.texts[0]) == para


def test_gbk_read_as_latin1(portal):
    for para in _own_paragraphs(portal, 20):
        damaged = para.encode("gbk").decode("latin-1")
        assert repair_text(damaged).texts == [para]


def test_utf8_read_as_gbk(portal):
    """Short texts (keywords, names) often survive this damage whole: they must come back."""
    words = sorted({kw for a in portal.articles if a.kind == "original" for kw in a.keywords})
    done = 0
    for word in words:
        try:
            damaged = word.encode("utf-8").decode("gbk")
        except UnicodeDecodeError:
            continue  # bytes lost: covered by the lossy test
        result = repair_text(f"关键词：{damaged}")
        assert result.texts == [f"关键词：{word}"] and result.repairs == ["utf8_read_as_gbk"], word
        done += 1
    assert done >= 3


def test_utf8_read_as_gbk_lossy_is_flagged():
    damaged = "宁波市委召开统战工作领导小组第一次全体会议".encode("utf-8").decode("gbk", errors="replace")
    result = repair_text(damaged)
    assert "unrecoverable" in result.flags
    assert "统战工作" in result.texts[0]  # what survived is repaired, the rest stays U+FFFD


def test_utf8_read_as_cp1252(portal):
    for para in _own_paragraphs(portal, 10):
        damaged = para.encode("utf-8").decode("cp1252", errors="ignore")
        if damaged.encode("cp1252").decode("utf-8", errors="replace") != para:
            continue  # cp1252 has holes (0x81, 0x8d …): those bytes are gone
        assert repair_text(damaged).texts == [para]


def _swallowing_decode(raw: bytes) -> str:
    """Decode GBK as the mirror tool did: a lead byte before an invalid byte becomes "?"
    and takes a following "(" with it (當?shù)嘏_商)."""
    out, i = [], 0
    while i < len(raw):
        if raw[i] < 0x80:
            out.append(chr(raw[i]))
            i += 1
            continue
        try:
            out.append(raw[i:i + 2].decode("gbk"))
            i += 2
        except UnicodeDecodeError:
            out.append("?")
            i += 2 if raw[i + 1:i + 2] == b"(" else 1
    return "".join(out)


def _replacing_decode(raw: bytes) -> str:
    return raw.decode("gbk", errors="replace").replace("\ufffd", "?")


def _misaligned_damage(portal, decode):
    """(clean, damaged) pairs: "(pinyin)" inserted after a byte pair read across two characters."""
    from crawler.repair.tables import readings

    for para in _own_paragraphs(portal, 120):
        trad = S2T.convert(para)
        raw = trad.encode("gbk")
        offsets, pos = [], 0
        for ch in trad:
            offsets.append(pos)
            pos += len(ch.encode("gbk"))
        for k in range(len(trad) - 2):
            o = offsets[k]
            if offsets[k + 1] - o != 2:
                continue
            try:
                across = raw[o + 1:o + 3].decode("gbk")
            except UnicodeDecodeError:
                continue
            if is_traditional(across) and readings(across):
                reading = sorted(readings(across))[0]
                yield trad, decode(raw[:o + 3] + f"({reading})".encode("gbk") + raw[o + 3:])
                break


@pytest.mark.parametrize("decode", [_swallowing_decode, _replacing_decode])
def test_misaligned_gbk_annotation_repaired_or_flagged(portal, decode):
    """Undone exactly where the bytes realign without loss; flagged where bytes were lost."""
    exact = flagged = 0
    for clean, damaged in _misaligned_damage(portal, decode):
        result = repair_text(damaged)
        if result.texts == [clean]:
            exact += 1
        else:
            assert "unrecoverable" in result.flags, (clean, damaged, result.texts)
            flagged += 1
    assert exact >= 3 and exact + flagged >= 20


def test_document_level_decision():
    """A mirror's line without pinyin gets its marks back; the same line alone does not change."""
    line = "全體(擴大)會議"
    assert repair_document(["統(tǒng)戰(zhàn)工作", line]).texts[1] == "全體（擴大）會議"
    assert repair_document([line]).texts == [line]


def test_each_fixer_named_once_in_order():
    result = repair_text("&ldquo;統(tǒng)戰&rdquo;\u200b工作,,會議：ＧＤＰ")
    assert result.repairs == ["html_entities", "pinyin_annotations", "invisible_characters",
                              "fullwidth_punctuation", "fullwidth_alnum"]
    assert set(result.repairs) <= set(FIXER_NAMES)
    assert result.texts == ["“統戰”工作，會議：GDP"]


def test_latin_mojibake_hands_ftfy_what_it_would_fix_itself():
    """latin_mojibake gives ftfy only the lines it would change; the output is fix_text's on
    the whole text, for lines of any length (ftfy cuts a line over max_decode_length too)."""
    from ftfy import fix_text

    from crawler.repair.fixers import _FTFY, latin_mojibake

    texts = ["新闻·宁波\n中国ďĽŚ宁波\n", "记者\xa0张三\nNingboï¼ŒChina\r\n第三行", "©2024\nab√†cd",
             "1" * _FTFY.max_decode_length + "Ã le travail"]
    for text in texts:
        assert latin_mojibake(text) == fix_text(text, _FTFY)
    assert latin_mojibake(texts[0]) == "新闻·宁波\n中国，宁波\n"
