"""Text repair: clean Chinese text out of mojibake, mirror-site damage and bad decoding.

    >>> result = repair_document(["統(tǒng)一戰(zhàn)線", "會議,,審議文件,。", "編輯:秦云"])
    >>> result.texts, result.repairs
    (['統一戰線', '會議，審議文件。', '編輯：秦云'], ['pinyin_annotations', 'fullwidth_punctuation'])

A *document* is the texts of one article (title, body, editor, keywords …)
repaired together: whether the mirror's punctuation damage is restored is
decided for the whole document, so a mirror's line without pinyin still gets
its punctuation back, and the same line in a clean page is left alone.

Fixers run in the order of ``TEXT_FIXERS``, then ``fullwidth_punctuation`` on
damaged documents, then ``FINAL_FIXERS``. Text that lost bytes is flagged
(``unrecoverable``), not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .fixers import (
    fullwidth_alnum, fullwidth_punctuation, gbk_read_as_latin1, html_entities, invisible_characters,
    has_guessable_loss, latin_mojibake, looks_mirror_damaged, pinyin_annotations, unrecoverable, utf8_read_as_gbk, whitespace,
)
from .tables import to_simplified

# pinyin_annotations runs before ftfy: tone-marked letters (zhàn) look Latin-1 to
# ftfy's pre-check, and once they are gone clean mirror text skips ftfy entirely.
TEXT_FIXERS = (html_entities, utf8_read_as_gbk, gbk_read_as_latin1, pinyin_annotations,
               latin_mojibake, invisible_characters)
FINAL_FIXERS = (fullwidth_alnum, whitespace)
FIXER_NAMES = tuple(f.__name__ for f in (*TEXT_FIXERS, fullwidth_punctuation, *FINAL_FIXERS))


@dataclass
class Repaired:
    texts: list[str]
    repairs: list[str] = field(default_factory=list)
    """Names of the fixers that changed something, in the order they ran."""
    flags: list[str] = field(default_factory=list)
    """``unrecoverable`` when text had lost bytes that no fixer can restore;
    ``guessed`` when a lost dash, quote or full-width mark was guessed from context."""


def _apply(fixer, texts: list[str], repairs: list[str]) -> list[str]:
    fixed = [fixer(t) for t in texts]
    if fixed != texts:
        repairs.append(fixer.__name__)
    return fixed


def repair_document(texts: list[str]) -> Repaired:
    """Repair the texts of one document together (see the module docstring)."""
    repairs: list[str] = []
    guessable = any(has_guessable_loss(t) for t in texts)
    for fixer in TEXT_FIXERS:
        texts = _apply(fixer, texts, repairs)
    if "pinyin_annotations" in repairs or any(looks_mirror_damaged(t) for t in texts):
        texts = _apply(fullwidth_punctuation, texts, repairs)
    for fixer in FINAL_FIXERS:
        texts = _apply(fixer, texts, repairs)
    flags = ["unrecoverable"] if any(unrecoverable(t) for t in texts) else []
    if guessable and "utf8_read_as_gbk" in repairs:
        flags.append("guessed")
    return Repaired(texts, repairs, flags)


def repair_text(text: str) -> Repaired:
    """One text as one document; ``Repaired.texts`` holds the single result."""
    return repair_document([text])


__all__ = ["FIXER_NAMES", "Repaired", "repair_document", "repair_text", "to_simplified"]
