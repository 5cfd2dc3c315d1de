"""Chinese full-text search over the stored articles: the index, the query language, snippets.

SQLite's FTS5 tokenizers do not split Chinese (``unicode61`` makes a whole run of
hanzi one token) and its ``trigram`` tokenizer cannot match a query shorter than
three characters. This index does what Lucene's CJK analyzer does, in Python,
before FTS5 sees the text:

- every run of CJK characters becomes its overlapping bigrams (统一战线 → 统一 一战
  战线), followed by its last character alone (线), so that runs do not join
  across punctuation; letters and digits are left to ``unicode61`` (lower-cased);
- the text is read in its Simplified form (OpenCC t2s, after NFKC), and so is the
  query: a Traditional query finds Simplified text and the reverse.

A query of two CJK characters is then one token, a longer one a phrase of its
bigrams, and a single character a prefix query (统*) answered by FTS5's prefix
index of length 1. ``articles_fts`` is contentless (``content=''``): it stores
the index only, not the token text, and rows are looked up in ``articles`` by
rowid. Triggers on ``articles`` keep it in step; they call the SQL function
``news_search_tokens``, which :func:`register_functions` defines on a connection
(:func:`crawler.storage.open_database` does). A connection without it cannot
change an article's text, by design: the index would silently go stale.

The query language (:func:`match_expression`): words and "quoted phrases" must
all appear; ``OR`` between two of them means either; ``-word`` excludes. User text
only ever reaches FTS5 as quoted strings, and SQL only as bound parameters.
"""

from __future__ import annotations

import logging
import multiprocessing
import operator
import os
import re
import sqlite3
import threading
import time
from collections import deque
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

import opencc

logger = logging.getLogger(__name__)

_T2S = opencc.OpenCC("t2s")

# Bumped whenever index_tokens() changes: an index built by another version
# (or another OpenCC) is rebuilt, since its delete triggers must reproduce the
# tokens it was built with.
TOKENS_VERSION = 3
INDEX_VERSION = f"{TOKENS_VERSION}/opencc-{getattr(opencc, '__version__', '?')}"

# Hanzi (BMP, extension A, compatibility, supplementary planes), kana and hangul, as
# ranges of code points: the regular expressions below and the table of _analyse_long().
_CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF),
               (0x20000, 0x3134F))
_CJK_CLASS = "".join(f"{chr(first)}-{chr(last)}" for first, last in _CJK_RANGES)
_CJK = re.compile(f"[{_CJK_CLASS}]+")
_CJK_SPLIT = re.compile(f"([{_CJK_CLASS}]+)")  # split() gives text, run, text, run, …, text
_HAS_FULLWIDTH = re.compile("[\uff01-\uff5e]")
# Full-width ASCII (ＡＢＣ２０２４) to ASCII, one character for one: what NFKC does to
# them, without NFKC's changes of length (… → ...) that would shift snippet positions.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
# Title hits count five times as much as body hits in the ranking.
TITLE_WEIGHT = 5.0
# Ranking computes bm25 for at most this many matches, the most recently stored
# ones: bm25 costs about 2 µs a row, so ranking all 100,000 articles that contain
# 的 would take 200 ms. Queries with fewer matches are ranked exactly.
RANK_WINDOW = 1000

# Body first: FTS5 writes a column marker before the positions of every column but
# the first, which made the index 45% bigger with the title first.
SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    body, title, content='', tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS articles_chars USING fts5(
    chars, content='', detail=none, tokenize='unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS search_index (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version TEXT NOT NULL,     -- INDEX_VERSION of the tokens in articles_fts and articles_chars
    built_at TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, body, title)
    VALUES (new.rowid, news_search_tokens(new.body), news_search_tokens(new.title));
    INSERT INTO articles_chars (rowid, chars) VALUES (new.rowid, news_search_chars(new.title, new.body));
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, body, title)
    VALUES ('delete', old.rowid, news_search_tokens(old.body), news_search_tokens(old.title));
    INSERT INTO articles_chars (articles_chars, rowid, chars)
    VALUES ('delete', old.rowid, news_search_chars(old.title, old.body));
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_update AFTER UPDATE OF title, body ON articles
WHEN old.title IS NOT new.title OR old.body IS NOT new.body BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, body, title)
    VALUES ('delete', old.rowid, news_search_tokens(old.body), news_search_tokens(old.title));
    INSERT INTO articles_chars (articles_chars, rowid, chars)
    VALUES ('delete', old.rowid, news_search_chars(old.title, old.body));
    INSERT INTO articles_fts (rowid, body, title)
    VALUES (new.rowid, news_search_tokens(new.body), news_search_tokens(new.title));
    INSERT INTO articles_chars (rowid, chars) VALUES (new.rowid, news_search_chars(new.title, new.body));
END;
"""
_DROP = """
DROP TRIGGER IF EXISTS articles_fts_insert;
DROP TRIGGER IF EXISTS articles_fts_delete;
DROP TRIGGER IF EXISTS articles_fts_update;
DROP TABLE IF EXISTS articles_fts;
DROP TABLE IF EXISTS articles_chars;
DROP TABLE IF EXISTS search_index;
"""


class QueryError(ValueError):
    """A search query that cannot be run (nothing searchable in it, only exclusions)."""


@lru_cache(maxsize=4)
def simplified(text: str) -> str:
    """The form text is indexed and searched in: full-width letters and digits as
    ASCII, then OpenCC t2s. (Cached: snippets and triggers ask again for the same text.)

    >>> simplified("統一戰線，ＡＢＣ２０２４")
    '统一战线,ABC2024'
    """
    if _HAS_FULLWIDTH.search(text):
        text = text.translate(_FULLWIDTH) if len(text) < _LONG_TEXT else _ascii_of_fullwidth(text)
    return _T2S.convert(text)


def _ascii_of_fullwidth(text: str) -> str:
    """``text.translate(_FULLWIDTH)``, on the code points at once (a body has full-width
    commas: translate() looks every character up in the dict, 47 µs a portal body, this 9)."""
    np = _numpy()
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), "<u4").copy()
    points[(points >= 0xFF01) & (points <= 0xFF5E)] -= 0xFEE0
    return points.tobytes().decode("utf-32-le", "surrogatepass")


def _numpy():
    """numpy, imported on first use (as crawler.dedup does): a crawl process that leaves the
    writing to its worker process never tokenizes, and does not load it."""
    import numpy

    return numpy


def _tokens(text: str, *, last_tail: bool = True) -> list[str]:
    """Tokens of already simplified text: CJK runs as bigrams followed by their last
    character (not for the text's last run unless ``last_tail``), everything else as
    it is, for ``unicode61`` to split."""
    out: list[str] = []
    position = 0
    runs = list(_CJK.finditer(text))
    for number, run in enumerate(runs):
        out.append(text[position:run.start()])
        chars = run.group()
        if len(chars) == 1:
            out.append(chars)
        else:
            out.extend(map(operator.add, chars, chars[1:]))
            if last_tail or number < len(runs) - 1 or text[run.end():].strip():
                out.append(chars[-1])
        position = run.end()
    out.append(text[position:])
    return [token for token in out if token.strip()]


@lru_cache(maxsize=4)
def _analyse(text: str | None) -> tuple[str, str]:
    """Index tokens of ``text`` and its distinct CJK characters in code point order
    (cached: the triggers ask for both, for the same text). A text of
    :data:`_LONG_TEXT` characters or more (a body) is done on its code points at once
    (:func:`_analyse_long`), a shorter one (a title) by the regular expression, which
    costs less there; both give the same result."""
    if not text:
        return "", ""
    text = simplified(text)
    return _analyse_long(text) if len(text) >= _LONG_TEXT else _analyse_short(text)


# From this length on, _analyse_long() costs less than _analyse_short(): numpy costs ~25 µs
# a call, the regular expression ~0.3 µs a character (a portal body, 590 characters: 174
# against 45 µs).
_LONG_TEXT = 80


def _analyse_short(text: str) -> tuple[str, str]:
    pieces = _CJK_SPLIT.split(text)  # text, run, text, run, …, text
    chars = "".join(sorted(set("".join(pieces[1::2]))))
    for i in range(1, len(pieces), 2):
        run = pieces[i]
        if len(run) > 1:
            pieces[i] = " ".join(map(operator.add, run, run[1:])) + " " + run[-1]
    return " ".join(pieces), chars


def _analyse_long(text: str) -> tuple[str, str]:
    """:func:`_analyse_short` on the code points. Each character becomes: itself if it is
    not CJK; itself, the next one and a space if the next one is CJK too (a bigram); itself
    and a space if it ends a run (its last character, and the space before the next
    text); with a space before it if it begins a run."""
    np, table = _cjk_table()
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), "<u4")
    cjk = table[np.minimum(points, len(table) - 1)]
    if not cjk.any():
        return text, ""
    starts = cjk.copy()
    starts[1:] &= ~cjk[:-1]
    inner = np.zeros_like(cjk)
    inner[:-1] = cjk[:-1] & cjk[1:]
    counts = cjk.astype(np.intp)
    counts += inner
    counts += starts
    counts += 1
    ends = np.cumsum(counts)
    at = ends - counts + starts  # where each character goes, after its run's space
    out = np.full(int(ends[-1]), 32, "<u4")
    out[at] = points
    bigrams = np.flatnonzero(inner)
    out[at[bigrams] + 1] = points[bigrams + 1]
    distinct = np.sort(points[cjk])
    distinct = distinct[np.concatenate(([True], distinct[1:] != distinct[:-1]))]
    return (out.tobytes().decode("utf-32-le", "surrogatepass"),
            distinct.tobytes().decode("utf-32-le", "surrogatepass"))


@lru_cache(maxsize=1)
def _cjk_table():
    """numpy, and a table of which code points are CJK (_CJK_RANGES), up to the last one
    and one past it: larger code points are looked up there (False)."""
    np = _numpy()
    table = np.zeros(_CJK_RANGES[-1][1] + 2, bool)
    for first, last in _CJK_RANGES:
        table[first:last + 1] = True
    return np, table


def index_tokens(text: str | None) -> str:
    """The text FTS5 indexes for ``text`` (``articles_fts``): its Simplified form with
    every CJK run spaced out into its bigrams and its last character.

    >>> index_tokens("統一戰線工作會議，2024年")
    ' 统一 一战 战线 线工 工作 作会 会议 议 ,2024 年 '
    >>> index_tokens(None)
    ''
    """
    return _analyse(text)[0]


def index_chars(title: str | None, body: str | None) -> str:
    """The distinct CJK characters of an article's Simplified text, for ``articles_chars``
    (which answers one-character queries: a list of articles per character, no positions).

    >>> index_chars("統戰", "统一战线")
    '一 战 线 统'
    """
    chars = _analyse(title)[1] + _analyse(body)[1]
    if len(chars) < _LONG_TEXT:
        return " ".join(sorted(set(chars)))
    np = _numpy()  # sorted() compared the characters as strings: 35 µs for a portal article, this 8
    points = np.sort(np.frombuffer(chars.encode("utf-32-le", "surrogatepass"), "<u4"))
    points = points[np.concatenate(([True], points[1:] != points[:-1]))]
    spaced = np.full(2 * len(points) - 1, 32, "<u4")
    spaced[::2] = points
    return spaced.tobytes().decode("utf-32-le", "surrogatepass")


@dataclass(frozen=True)
class IndexEntry:
    """What the index's triggers compute for one article's text, computed ahead of
    the write (:func:`index_entry`; pure, picklable: it may run in another process)
    and handed to them through :func:`primed`."""

    title: str | None
    body: str | None
    title_tokens: str
    body_tokens: str
    chars: str
    version: str = INDEX_VERSION
    """INDEX_VERSION of the process that computed it: entries of another are ignored."""


def index_entry(title: str | None, body: str | None) -> IndexEntry:
    """The tokens ``news_search_tokens`` and ``news_search_chars`` would compute for
    an article with this title and body."""
    return IndexEntry(title, body, index_tokens(title), index_tokens(body), index_chars(title, body))


class _Primed(threading.local):
    """Tokens handed to the triggers of this thread's writes, by text (see :func:`primed`)."""

    def __init__(self):
        self.tokens: dict = {}
        self.chars: dict = {}


_PRIMED = _Primed()


@contextmanager
def primed(entries):
    """Within the block, the index's SQL functions (on any connection, in this thread)
    answer from ``entries`` instead of tokenizing again, for exactly the texts the
    entries were computed from.

    They are looked up by the text SQLite hands the trigger, so the index can never
    receive the tokens of other text than the row's: a row whose text differs from
    what was prepared (edited since, or another row) is a miss, tokenized as always.
    Entries computed by another INDEX_VERSION are not used. The triggers stay what
    keeps the index in step; this only saves their Python work.
    """
    tokens, chars = _PRIMED.tokens, _PRIMED.chars
    for entry in entries:
        if entry is None or entry.version != INDEX_VERSION:
            continue
        if isinstance(entry.title, str):
            tokens[entry.title] = entry.title_tokens
        if isinstance(entry.body, str):
            tokens[entry.body] = entry.body_tokens
        chars[(entry.title, entry.body)] = entry.chars
    try:
        yield
    finally:
        tokens.clear()
        chars.clear()


def _sql_tokens(text):
    """``news_search_tokens``: :func:`index_tokens`, or what :func:`primed` holds for ``text``."""
    if isinstance(text, str):
        found = _PRIMED.tokens.get(text)
        if found is not None:
            return found
    return index_tokens(text)


def _sql_chars(title, body):
    """``news_search_chars``: :func:`index_chars`, or what :func:`primed` holds for the pair."""
    try:
        found = _PRIMED.chars.get((title, body))
    except TypeError:  # not hashable: cannot have been primed
        found = None
    return found if found is not None else index_chars(title, body)


def _tokenize_rows(rows: list[tuple]) -> list[tuple]:
    """(rowid, title, body) rows -> (rowid, body tokens, title tokens, chars) rows."""
    return [(rowid, index_tokens(body), index_tokens(title), index_chars(title, body))
            for rowid, title, body in rows]


@dataclass(frozen=True)
class Query:
    """A parsed query: ``groups`` must all match (each a tuple of alternatives joined
    by OR), ``excluded`` must not, ``highlight`` are the words to mark in snippets.

    A term is an FTS5 phrase over ``articles_fts`` (``'"统一 一战 战线"'``), a lone
    CJK character (``'统'``), looked up in ``articles_chars``, or a phrase whose last
    token is a lone CJK character, a prefix (``'"2024 年"*'``: the text may go on with
    年度). ``texts`` maps each term to the words it came from.
    """

    groups: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...]
    highlight: tuple[str, ...]
    texts: tuple[tuple[str, str], ...] = ()

    @property
    def match(self) -> str:
        """One MATCH expression over ``articles_fts`` alone, lone characters as prefix
        queries (统*: correct, slower than ``articles_chars``). For tools that can run
        one MATCH only (Datasette's search box, ``news_search_query``)."""
        as_phrase = lambda term: term if term.startswith('"') else f'"{term}"*'  # noqa: E731
        return _expression([[as_phrase(t) for t in group] for group in self.groups],
                           [as_phrase(t) for t in self.excluded])

    def plan(self) -> tuple[str, str, list]:
        """``(table, condition, params)``: the FTS table to read (and rank with) and
        the SQL condition on it that selects the matching rowids.

        ``articles_fts`` has no prefix index (it would double its size), so a prefix
        term on its own (2024年) is read as its phrase without the last character, that
        character from ``articles_chars``, and the words checked in the article's text
        (a lookup by rowid among the phrase's matches); in an OR group or excluded it
        stays a prefix query, which is slower but exact.
        """
        texts = dict(self.texts)
        phrases, char_groups, checks = [], [], []
        for group in self.groups:
            if all(not t.startswith('"') for t in group):
                char_groups.append([f'"{t}"' for t in group])
            elif len(group) == 1 and group[0].endswith('"*'):
                head, _, char = group[0][1:-2].rpartition(" ")
                if head:
                    phrases.append([f'"{head}"'])
                char_groups.append([f'"{char}"'])
                # That the character follows the word before it (2024年): the letters
                # and digits right before it in the query, and it, in the text.
                before = re.search(r"[^\W_]+$", texts[group[0]][:-1])
                if before:
                    checks.append((before.group() + char).lower())
            else:
                phrases.append([t if t.startswith('"') else f'"{t}"*' for t in group])
        excluded_phrases = [t for t in self.excluded if t.startswith('"')]
        excluded_chars = [f'"{t}"' for t in self.excluded if not t.startswith('"')]
        table, other = ("articles_fts", "articles_chars") if phrases else ("articles_chars", "articles_fts")
        mine, theirs = (phrases, char_groups) if phrases else (char_groups, [])
        mine_excluded, theirs_excluded = ((excluded_phrases, excluded_chars) if phrases
                                          else (excluded_chars, excluded_phrases))
        condition, params = f"{table} MATCH ?", [_expression(mine, mine_excluded)]
        # "rowid + 0": a plain rowid IN (...) would let SQLite look each rowid of the
        # set up in the FTS table, one MATCH per row (minutes on 100,000 articles).
        if theirs:
            condition += f" AND {table}.rowid + 0 IN (SELECT rowid FROM {other} WHERE {other} MATCH ?)"
            params.append(_expression(theirs, []))
        if theirs_excluded:
            condition += f" AND {table}.rowid + 0 NOT IN (SELECT rowid FROM {other} WHERE {other} MATCH ?)"
            params.append(" OR ".join(theirs_excluded))
        for words in checks:
            condition += (f" AND EXISTS (SELECT 1 FROM articles v WHERE v.rowid = {table}.rowid AND ("
                          " instr(lower(v.title), ?) OR instr(lower(v.body), ?)"
                          " OR instr(lower(v.title_simplified), ?) OR instr(lower(v.body_simplified), ?)))")
            params += [words] * 4
        return table, condition, params


def _expression(groups: list[list[str]], excluded: list[str]) -> str:
    """FTS5 syntax for: every group (its alternatives ORed), and none of ``excluded``."""
    parts = [" OR ".join(g) for g in groups]
    if len(parts) > 1:
        parts = [f"({p})" if len(g) > 1 else p for p, g in zip(parts, groups)]
    expression = " AND ".join(parts)
    if excluded:
        if len(parts) > 1 or len(groups[0]) > 1:
            expression = f"({expression})"
        expression += "".join(f" NOT {term}" for term in excluded)
    return expression


_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _term(text: str) -> str | None:
    """One user term (already simplified): a lone CJK character as itself, anything
    else as an FTS5 phrase of its tokens; None if it has nothing to search for.
    A CJK run that ends the term gets no tail token (the text may go on there);
    a term that ends in a lone CJK character is a prefix query on it.
    """
    raw = _tokens(text, last_tail=False)
    # A prefix only when the term ends with the character (followed by 。 or ） in the
    # query, its run ends there in the text too, and the index has it as a token).
    lone = bool(raw) and len(raw[-1]) == 1 and _CJK.fullmatch(raw[-1]) is not None
    # Tokens without a letter, digit or hanzi (#, 《) are dropped by unicode61 in the
    # index: they must not become a phrase of their own here.
    tokens = [t for t in raw if any(ch.isalnum() for ch in t)]
    if not tokens:
        return None
    if len(tokens) == 1 and len(tokens[0]) == 1 and _CJK.fullmatch(tokens[0]):
        return tokens[0]
    return '"' + " ".join(tokens).replace('"', '""') + '"' + ("*" if lone else "")


def parse_query(text: str) -> Query:
    """Parse a user query. Terms are separated by spaces and must all appear; a
    "quoted phrase" is one term, matched as written (with a space, its words must be
    apart in the text, as in 政协 委员); ``OR`` between two terms means either;
    ``-term`` excludes.

    >>> parse_query("統戰").match
    '"统战"'
    >>> parse_query("统一战线 -海州").match
    '"统一 一战 战线" NOT "海州"'
    >>> parse_query('统 OR "政协 委员"').match
    '"统"* OR "政协 协 委员"'
    >>> parse_query("3号线 统").plan()
    ('articles_fts', 'articles_fts MATCH ? AND articles_fts.rowid + 0 IN (SELECT rowid FROM articles_chars WHERE articles_chars MATCH ?)', ['"3 号线"', '"统"'])
    """
    groups: list[list[str]] = []
    texts: dict[str, str] = {}
    excluded: list[str] = []
    highlight: list[str] = []
    pending_or = False
    # Control characters separate words (a NUL would end FTS5's reading of the string).
    for found in _TERM.finditer(_CONTROL.sub(" ", simplified(text))):
        minus, quoted, bare = found.groups()
        if bare == "OR":
            pending_or = bool(groups)
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            minus, bare = "-", bare[1:]
        words = quoted if quoted is not None else bare
        term = _term(words)
        if term is None:
            continue
        texts.setdefault(term, words.strip())
        if minus:
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        if not minus and words.strip():
            highlight.append(words.strip())
        pending_or = False
    if not groups:
        if excluded:
            raise QueryError(f"the query {text!r} only excludes words; add at least one word to look for")
        raise QueryError(f"the query {text!r} has no letters, digits or Chinese characters to look for")
    return Query(groups=tuple(tuple(g) for g in groups), excluded=tuple(excluded),
                 highlight=tuple(dict.fromkeys(highlight)), texts=tuple(texts.items()))


def match_expression(text: str) -> str:
    """The MATCH expression over ``articles_fts`` for a user query (:attr:`Query.match`;
    the SQL function ``news_search_query``)."""
    return parse_query(text).match


# --- snippets -----------------------------------------------------------------

def _spans(haystack: str, needles: tuple[str, ...]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of every needle in haystack, case-insensitively."""
    lowered = haystack.lower()
    if len(lowered) != len(haystack):
        lowered = haystack
    spans = []
    for needle in sorted({n.lower() for n in needles}, key=len, reverse=True):
        for found in re.finditer(re.escape(needle), lowered):
            if not any(s < found.end() and found.start() < e for s, e in spans):
                spans.append(found.span())
    return sorted(spans)


def highlight(text: str | None, terms: tuple[str, ...], width: int | None = None,
              marks: tuple[str, str] = ("<mark>", "</mark>")) -> str:
    """``text`` (or a window of about ``width`` characters around its first hit) with
    every occurrence of ``terms`` marked. Terms are found in the text's Simplified form;
    the original text is shown when that form keeps its length (t2s is almost always
    one character for one), the Simplified form otherwise.

    >>> highlight("統一戰線工作會議在京召開…", ("统战", "战线"), marks=("[", "]"))
    '統一[戰線]工作會議在京召開…'
    >>> highlight("甲" * 50 + "统战" + "乙" * 50, ("统战",), width=10, marks=("[", "]"))
    '…甲甲甲甲[统战]乙乙乙乙…'
    """
    if not text:
        return ""
    search_in = simplified(text)
    shown = text if len(search_in) == len(text) else search_in
    spans = _spans(search_in, terms)
    start, end = 0, len(shown)
    if width is not None and len(shown) > width:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - width // 2 + 1, len(shown) - width))
        end = start + width
    pieces, position = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        pieces += [shown[position:s], marks[0], shown[s:e], marks[1]]
        position = e
    pieces.append(shown[position:end])
    snippet = "".join(pieces).replace("\n", " ")
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(shown) else "")


# --- the index -----------------------------------------------------------------

def register_functions(conn: sqlite3.Connection) -> None:
    """Define the SQL functions the index's triggers and queries use on ``conn``:
    ``news_search_tokens(text)``, ``news_search_chars(title, body)``, ``news_search_query(query)`` and
    ``news_search_snippet(text, query, width)``."""
    conn.create_function("news_search_tokens", 1, _sql_tokens, deterministic=True)
    conn.create_function("news_search_chars", 2, _sql_chars, deterministic=True)
    conn.create_function("news_search_query", 1, _sql_query, deterministic=True)
    conn.create_function("news_search_snippet", 3, _sql_snippet, deterministic=True)


def _sql_query(text):
    try:
        return match_expression(text or "")
    except QueryError:
        return '""'  # matches nothing, rather than an SQL error in a browser


def _sql_snippet(text, query, width):
    try:
        terms = parse_query(query or "").highlight
    except QueryError:
        terms = ()
    return highlight(text, terms, int(width) if width else None, marks=("【", "】"))


def index_state(conn: sqlite3.Connection) -> str:
    """``"missing"``, ``"current"`` or ``"stale"`` (built by another tokens version)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'").fetchone() is None:
        return "missing"
    row = conn.execute("SELECT version FROM search_index WHERE id = 1").fetchone() \
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_index'").fetchone() else None
    return "current" if row is not None and row[0] == INDEX_VERSION else "stale"


# FTS5's automerge: how many segments of one size an index table holds before they are
# merged into one of the next size (FTS5's default is 4). Every batch the writer commits
# adds a segment; with 8, each article's tokens are written again at fewer levels.
# bench/fts_merge_bench.py (100,000 rows of portal tokens, batches of 200): 0.186 -> 0.140 ms
# a row, the same size, the same query times (a query reads up to 8 segments of a size, not
# 4). 16 was no faster on average (0.132), and one of its commits took 2.4 s.
AUTOMERGE = 8

# Building: rows are tokenized in batches, by worker processes when there are many.
BUILD_BATCH = 500
BUILD_PARALLEL_FROM = 20_000


def build_index(conn: sqlite3.Connection, workers: int | None = None) -> dict:
    """(Re)build the full-text index of every article, in one transaction; returns
    ``{"articles": n, "seconds": s, ...}`` (with the workers used and the seconds spent
    inserting and merging). Readers see the old index until it commits.

    Tokenizing is Python work: from :data:`BUILD_PARALLEL_FROM` articles on it runs
    in ``workers`` processes (default: one per CPU; spawned, not forked, as the caller
    may be a threaded crawler) while this one inserts. FTS5 is told to keep up to
    256 MB of terms in memory and not to merge while loading, then merges once
    (``optimize``), which is both faster and smaller than merging as it goes.
    """
    register_functions(conn)
    started = time.monotonic()
    count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    if workers is None:
        workers = (os.cpu_count() or 1) if count >= BUILD_PARALLEL_FROM else 0
    with conn, ExitStack() as stack:
        conn.execute("BEGIN IMMEDIATE")
        for statement in _statements(_DROP + SCHEMA):
            conn.execute(statement)
        for table in ("articles_fts", "articles_chars"):
            conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', 0)")
            conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('hashsize', {256 << 20})")
        pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(workers)) if workers else None
        pending: deque = deque()
        spent = {"insert": 0.0, "optimize": 0.0}

        def insert(rows: list[tuple]) -> None:
            began = time.monotonic()
            conn.executemany("INSERT INTO articles_fts (rowid, body, title) VALUES (?, ?, ?)",
                             [row[:3] for row in rows])
            conn.executemany("INSERT INTO articles_chars (rowid, chars) VALUES (?, ?)",
                             [(row[0], row[3]) for row in rows])
            spent["insert"] += time.monotonic() - began

        cursor = conn.cursor()
        cursor.row_factory = None  # plain tuples, which the workers can be sent
        cursor.execute("SELECT rowid, title, body FROM articles")
        while batch := cursor.fetchmany(BUILD_BATCH):
            if pool is None:
                insert(_tokenize_rows(batch))
                continue
            pending.append(pool.apply_async(_tokenize_rows, (batch,)))
            if len(pending) > 2 * workers:
                insert(pending.popleft().get())
        while pending:
            insert(pending.popleft().get())
        began = time.monotonic()
        for table in ("articles_fts", "articles_chars"):
            conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
            # For the triggers' small writes: FTS5's default hash size, and AUTOMERGE.
            conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', {AUTOMERGE})")
            conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('hashsize', {1 << 20})")
        spent["optimize"] = time.monotonic() - began
        conn.execute("INSERT INTO search_index (id, version, built_at) VALUES (1, ?, ?)",
                     (INDEX_VERSION, datetime.now(timezone.utc).isoformat(timespec="seconds")))
    seconds = time.monotonic() - started  # including the commit
    return {"articles": count, "seconds": seconds, "workers": workers, "insert_seconds": spent["insert"],
            "optimize_seconds": spent["optimize"]}


def ensure_index(conn: sqlite3.Connection) -> dict | None:
    """Register the functions; build the index if it is missing or stale.
    Returns what :func:`build_index` returned, or None when the index was current."""
    register_functions(conn)
    if index_state(conn) == "current":
        return None
    return build_index(conn)


def use_automerge(conn: sqlite3.Connection) -> None:
    """Set the index tables' ``automerge`` to :data:`AUTOMERGE` where an earlier version left
    another (the value is kept in the database, so this writes only then). For the
    connections that write articles (:func:`crawler.storage.connect`); a tuning, so it never
    stops one from opening: in a transaction, or when the database cannot be written now
    (read-only, locked), it is left for the next open."""
    if conn.in_transaction:
        return
    try:
        for table in ("articles_fts", "articles_chars"):
            row = conn.execute(f"SELECT v FROM {table}_config WHERE k = 'automerge'").fetchone()
            if row is None or row[0] != AUTOMERGE:
                with conn:
                    conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', {AUTOMERGE})")
    except sqlite3.OperationalError as exc:  # locked, read-only: the next open tries again
        logger.debug("automerge of the full-text index left as it is: %s", exc)
    except sqlite3.DatabaseError as exc:  # a damaged index: its triggers will say so on the first write
        logger.warning("automerge of the full-text index left as it is: %s", exc)


def _statements(script: str) -> list[str]:
    """Split a script of CREATE/DROP statements (triggers included) into statements."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        text = "\n".join(current)
        if sqlite3.complete_statement(text):
            statements.append(text)
            current = []
    return statements
