"""Full-text search (crawler/search.py, crawler/query.py) on databases written by the
article writer: every query length, Traditional/Simplified, the query language,
the index kept in step by its triggers, filters, ranking and hostile query text."""

import random
import re
import sqlite3

import pytest

from crawler import search
from crawler.portal.mirror import to_traditional
from crawler.query import Filters, QueryInputError, connect, export_rows, search_articles
from crawler.storage import ArticleWriter, forget_urls, open_database

from conftest import BASE, article_item, write_items

item, write = article_item, write_items


@pytest.fixture(scope="module")
def conn(articles_db):
    conn = connect(articles_db)
    yield conn
    conn.close()


def brute_force(originals, text, filters=lambda a: True):
    """URLs of the articles whose Simplified title or body contains ``text``."""
    needle = search.simplified(text)
    return {BASE + a.url_path for a in originals
            if filters(a) and (needle in search.simplified(a.title) or needle in search.simplified(a.body))}


def found(conn, text, filters=Filters()):
    return {row["canonical_url"] for row in export_rows(conn, filters, text=text)}


def drawn_queries(originals, length, count, seed):
    """``count`` CJK strings of ``length`` cut from random places of the articles."""
    rng = random.Random(seed)
    queries = []
    while len(queries) < count:
        runs = [r for r in re.findall(r"[\u4e00-\u9fff]+", rng.choice(originals).body) if len(r) >= length]
        if runs:
            run = rng.choice(runs)
            at = rng.randrange(len(run) - length + 1)
            queries.append(run[at:at + length])
    return queries


@pytest.mark.parametrize("length", [1, 2, 3, 4, 7])
def test_a_query_of_any_length_finds_exactly_the_articles_that_contain_it(conn, originals, length):
    for query in drawn_queries(originals, length, 25, seed=length):
        assert found(conn, query) == brute_force(originals, query), query


def test_traditional_and_simplified_queries_find_each_other(tmp_path, originals):
    simplified_article, traditional_article = originals[0], originals[1]
    traditional = item(traditional_article, title=to_traditional(traditional_article.title),
                       body=to_traditional(traditional_article.body))
    assert traditional["body"] != traditional_article.body
    path = tmp_path / "news.db"
    write(path, [item(simplified_article), traditional])
    conn = connect(path)
    for article in (simplified_article, traditional_article):
        word = re.findall(r"[\u4e00-\u9fff]{4,}", article.body)[0]
        for query in (word, to_traditional(word)):
            assert found(conn, query) == {BASE + article.url_path}, query
    # The snippet shows the article as stored (Traditional), with the hit marked.
    word = re.findall(r"[\u4e00-\u9fff]{4,}", traditional_article.body)[0]
    [hit] = search_articles(conn, word, marks=("[", "]"))
    assert f"[{to_traditional(word)}]" in hit["snippet"]


def test_query_language_phrases_or_and_exclusions(tmp_path, originals):
    base = originals[0]
    texts = {"a": "在中国，国人都知道统一战线的作用。", "b": "中国人民政治协商会议召开。", "c": "政协 委员提出3号线建议。"}
    path = tmp_path / "news.db"
    write(path, [item(base, canonical_url=f"{BASE}/{k}.html", url=f"{BASE}/{k}.html", title=f"标题{k}", body=v)
                 for k, v in texts.items()], dedup=False)
    conn = connect(path)
    urls = lambda *keys: {f"{BASE}/{k}.html" for k in keys}  # noqa: E731
    assert found(conn, "中国") == urls("a", "b")
    assert found(conn, "中国国人") == set()              # not across the comma
    assert found(conn, "中国人") == urls("b")
    assert found(conn, "统一战线") == urls("a")
    assert found(conn, "统 OR 政协") == urls("a", "c")  # 政治协商 is not 政协
    assert found(conn, "中国 -政治") == urls("a")
    assert found(conn, "中 -人民") == urls("a")
    assert found(conn, '"政协 委员"') == urls("c")     # as written, with the space
    assert found(conn, "政协委员") == set()
    assert found(conn, "3号线") == urls("c")
    assert found(conn, "３号线") == urls("c")           # full-width digits
    assert found(conn, "3号") == urls("c")              # ends in one character: 3, 号 and the words
    assert found(conn, "#号") == found(conn, "《号") == urls("c")  # punctuation is no token
    assert found(conn, "提出3号 OR 中国人") == urls("b", "c")
    assert found(conn, "中国 -3号") == urls("a", "b")
    assert found(conn, "號") == urls("c")               # one Traditional character
    with pytest.raises(QueryInputError, match="only excludes"):
        search_articles(conn, "-中国")
    with pytest.raises(QueryInputError, match="no letters"):
        search_articles(conn, "，。！")


@pytest.mark.parametrize("text", ['"', '*', "AND", "NOT", "OR", "(", ")", "NEAR(统战 工作)", "统战\"", "-", "---",
                                  "a*b", "^统战", "title:统战", "{body}:统", "'; DROP TABLE articles; --",
                                  "统战 OR", "OR 统战", "统战 AND 工作", "\x00统", "🙂"])
def test_hostile_query_text_is_a_query_or_a_clear_error(conn, text):
    try:
        hits = search_articles(conn, text)
    except QueryInputError as exc:
        assert str(exc)
    else:
        assert isinstance(hits, list)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 0


def test_the_index_follows_updates_deletes_and_replacements(tmp_path, originals):
    first, second = originals[0], originals[1]
    path = tmp_path / "news.db"
    write(path, [item(first), item(second)])
    # The same URL with new text: an update (the old text goes to revisions).
    write(path, [item(first, body="全新正文：海州举办无人机灯光秀。")])
    conn = connect(path)
    assert found(conn, "无人机灯光秀") == {BASE + first.url_path}
    old_word = next(w for w in re.findall(r"[\u4e00-\u9fff]{5,}", first.body) if w not in second.body
                    and w not in second.title and w not in first.title)
    assert found(conn, old_word) == set()
    conn.close()
    db = open_database(path)
    assert forget_urls(db, BASE + second.url_path) == 1
    db.conn.close()
    conn = connect(path)
    assert found(conn, second.title[:4]) & {BASE + second.url_path} == set()
    conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
    conn.execute("INSERT INTO articles_chars (articles_chars, rank) VALUES ('integrity-check', 1)")


def test_a_connection_without_the_functions_cannot_change_article_text(articles_db):
    conn = sqlite3.connect(articles_db)
    with pytest.raises(sqlite3.OperationalError, match="news_search_tokens"):
        conn.execute("UPDATE articles SET body = 'x' WHERE rowid = 1")
    conn.rollback()
    conn.execute("UPDATE articles SET editor = editor WHERE rowid = 1")  # other columns are free
    conn.rollback()


def test_an_index_missing_or_built_by_another_version_is_built(tmp_path, originals):
    path = tmp_path / "news.db"
    db = open_database(path, search_index=False)  # as a database of an earlier version
    ArticleWriter(db).write([item(a) for a in originals[:30]])
    assert search.index_state(db.conn) == "missing"
    db.conn.close()
    announced = []
    conn = connect(path, announce=announced.append)
    assert announced and search.index_state(conn) == "current"
    word = originals[3].title[:3]
    assert found(conn, word) == brute_force(originals[:30], word)
    conn.execute("UPDATE search_index SET version = 'old'")
    conn.commit()
    conn.close()
    conn = connect(path)
    assert search.index_state(conn) == "current"
    assert found(conn, word) == brute_force(originals[:30], word)


def test_index_tables_merge_at_automerge_and_an_earlier_setting_is_replaced(tmp_path, originals):
    def automerge(conn):
        return [conn.execute(f"SELECT v FROM {table}_config WHERE k = 'automerge'").fetchone()[0]
                for table in ("articles_fts", "articles_chars")]

    path = tmp_path / "news.db"
    db = open_database(path)
    assert search.AUTOMERGE != 4 and automerge(db.conn) == [search.AUTOMERGE] * 2
    for table in ("articles_fts", "articles_chars"):  # as the version before left it
        db.conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', 4)")
    db.conn.commit()
    # Queries leave it alone (they do not write); so does a connection in a transaction;
    # use_automerge gives up, without raising, on a database it cannot write now.
    conn = connect(path)
    assert automerge(conn) == [4, 4]
    conn.execute("BEGIN")
    search.use_automerge(conn)
    conn.rollback()
    assert automerge(conn) == [4, 4]
    conn.close()
    locked = sqlite3.connect(path, timeout=0.1)
    db.conn.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    search.use_automerge(locked)
    assert automerge(locked) == [4, 4]
    db.conn.rollback()
    locked.close()
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    search.use_automerge(read_only)
    assert automerge(read_only) == [4, 4]
    read_only.close()
    db.conn.close()
    db = open_database(path)
    assert automerge(db.conn) == [search.AUTOMERGE] * 2
    ArticleWriter(db).write([item(a) for a in originals[:30]])
    word = originals[3].title[:3]
    assert found(db.conn, word) == brute_force(originals[:30], word)
    db.conn.close()


def test_title_hits_rank_first_and_the_window_never_hides_the_limit(tmp_path, originals, monkeypatch):
    base = originals[0]
    rows = [item(base, canonical_url=f"{BASE}/{n}.html", url=f"{BASE}/{n}.html", title=f"第{n}条消息",
                 body=f"第{n}条正文，讲到海州港。" + "其他内容。" * 5) for n in range(30)]
    rows.append(item(base, canonical_url=f"{BASE}/title.html", url=f"{BASE}/title.html", title="海州港扩建",
                     body="第三十条正文，讲到海州港。" + "其他内容。" * 5))
    path = tmp_path / "news.db"
    write(path, rows, dedup=False)
    conn = connect(path)
    hits = search_articles(conn, "海州港")
    assert hits[0]["canonical_url"] == f"{BASE}/title.html"
    assert "<mark>海州港</mark>" in hits[0]["title_highlighted"]
    assert len(hits) == 20
    monkeypatch.setattr(search, "RANK_WINDOW", 5)
    assert len(search_articles(conn, "海州港", limit=25)) == 25
    assert len(search_articles(conn, "海州港", limit=3)) == 3
    newest = search_articles(conn, "海州港", sort="newest", limit=31)
    assert len(newest) == 31


def test_filters_select_the_same_articles_as_a_scan(conn, originals):
    cases = [
        (Filters(section="统一战线"), lambda a: a.section == "统一战线"),
        (Filters(section="党派·声音"), lambda a: any(c["name"] == "党派·声音" for c in a.breadcrumb)),
        (Filters(editor=originals[0].editor), lambda a: a.editor == originals[0].editor),
        (Filters(since="2024-01"), lambda a: (a.published_at or "") >= "2024-01"),
        (Filters(until="2016"), lambda a: a.published_at is not None and a.published_at < "2017"),
        (Filters(since="2020-03-01", until="2021-02-28"),
         lambda a: a.published_at is not None and "2020-03-01" <= a.published_at[:10] <= "2021-02-28"),
        (Filters(site="test"), lambda a: True),
        (Filters(site="other.test"), lambda a: False),
    ]
    for filters, keep in cases:
        assert found(conn, "海州", filters) == brute_force(originals, "海州", keep), filters
        assert {r["canonical_url"] for r in export_rows(conn, filters)} == \
            {BASE + a.url_path for a in originals if keep(a)}, filters


@pytest.mark.parametrize("filters, message", [
    (Filters(since="2024-13"), "--since '2024-13' is not a date"),
    (Filters(until="yesterday"), "--until 'yesterday' is not a date"),
    (Filters(since="2024-02", until="2024-01"), "is after"),
])
def test_bad_dates_are_refused_with_what_to_give(conn, filters, message):
    with pytest.raises(QueryInputError, match=re.escape(message)):
        search_articles(conn, "海州", filters)


# The tokenization as it was before the code point version (_analyse_long), written out
# again: the index's tokens must not change (its delete triggers reproduce them).
def reference_simplified(text):
    if re.search("[\uff01-\uff5e]", text):
        text = text.translate({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
    return search._T2S.convert(text)


# The CJK class as the index was built with (written out, not taken from crawler.search:
# a change of the class must fail here, as it changes the tokens).
REFERENCE_CJK_SPLIT = re.compile("([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
                                 "\U00020000-\U0003134f]+)")


def reference_analyse(text):
    if not text:
        return "", frozenset()
    pieces = REFERENCE_CJK_SPLIT.split(reference_simplified(text))
    chars = frozenset("".join(pieces[1::2]))
    for i in range(1, len(pieces), 2):
        run = pieces[i]
        if len(run) > 1:
            pieces[i] = " ".join(a + b for a, b in zip(run, run[1:])) + " " + run[-1]
    return " ".join(pieces), chars


# Each range of the CJK class at both ends and just outside, full-width ASCII at both ends
# and just outside, a supplementary character past the class, letters, spaces, punctuation.
EDGE_ALPHABET = ("统一戰線 a1Z,。，！～ＡＢｚ\uff00\uff5f\u303f\u3040\u30ff\u3100\u33ff\u3400\u4dbf\u4dc0\u4e00\u9fff"
                 "\ua000\uabff\uac00\ud7af\ud7b0\uf8ff\uf900\ufaff\ufb00\U0001ffff\U00020000\U0003134f\U00031350"
                 "\U0010ffff-\t\né")


def edge_texts(seed=5):
    rnd = random.Random(seed)
    texts = ["", "统", " 统", "统 ", "a", "统一", "统a一", "统" * 300, "a" * 300, " " * 300, "，" * 300]
    for longest in (12, search._LONG_TEXT, 600):
        texts += ["".join(rnd.choice(EDGE_ALPHABET) for _ in range(rnd.randint(0, longest))) for _ in range(500)]
    # Many distinct characters of every range, so that index_chars merges long lists too.
    pool = [chr(c) for first, last in ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF),
                                       (0xF900, 0xFAFF), (0x20000, 0x3134F)) for c in (first, last, (first + last) // 2)]
    pool += [chr(c) for c in rnd.sample(range(0x4E00, 0xA000), 300)] + list(" ,。a1")
    texts += ["".join(rnd.choice(pool) for _ in range(rnd.randint(1, 400))) for _ in range(300)]
    return texts


def test_index_tokens_and_characters_are_those_of_the_reference_on_both_paths(originals):
    """The index's tokens and characters, computed on the code points for long texts and by
    the regular expression for short ones, are the reference's, for the portal's text (in
    Simplified and Traditional) and for texts made of the class's boundaries; and both
    paths agree on every text, long or short."""
    texts = [t for a in originals for t in (a.title, a.body, to_traditional(a.body))] + edge_texts()
    assert sum(len(t) >= search._LONG_TEXT for t in texts) > 1000
    assert sum(0 < len(t) < search._LONG_TEXT for t in texts) > 1000
    for text in texts + [None]:
        tokens, chars = reference_analyse(text)
        assert search.index_tokens(text) == tokens, text
        assert search._analyse(text)[1] == "".join(sorted(chars)), text
        if text:
            assert search.simplified(text) == reference_simplified(text), text
            simple = search.simplified(text)
            assert search._analyse_long(simple) == search._analyse_short(simple), text
    rnd = random.Random(6)
    pairs = [(rnd.choice(texts), rnd.choice(texts)) for _ in range(2000)] + [(a.title, a.body) for a in originals]
    for title, body in pairs + [(None, None), ("统", None), (None, "统")]:
        expected = " ".join(sorted(reference_analyse(title)[1] | reference_analyse(body)[1]))
        assert search.index_chars(title, body) == expected, (title, body)
