"""The writer split in two: ``prepare_item`` (pure, picklable, may run in another
process) and ``ArticleWriter.write`` on prepared items; and the primed index triggers."""

import pickle
import sqlite3

import opencc
import pytest

from crawler import search
from crawler.storage import ArticleWriter, PreparedItem, open_database, prepare_item

S2T = opencc.OpenCC("s2t")
# The two texts the dedup tests use (tests/test_dedup.py).
from test_dedup import BODY, OTHER  # noqa: E402

THIRD = ("青石区举办乡村振兴产业对接会，三十余家企业与村集体签约，涉及特色种植、农产品加工和乡村旅游，"
         "签约金额合计十二亿元。区领导表示，将持续优化营商环境，为项目落地提供全程服务。")
FOURTH = ("市图书馆新馆今日开放，馆藏图书两百万册，设有少儿阅读区、古籍修复室和数字体验空间，"
          "开馆首日接待读者一万余人次。新馆实行预约入馆，周一闭馆，其余时间九点至二十一点开放。")
FIFTH = ("气象台发布寒潮蓝色预警，受强冷空气影响，未来三天全市气温将下降八到十度，并伴有六级左右偏北大风，"
         "请市民注意防寒保暖，设施农业和水产养殖户做好防冻措施。")


def item(url, body=BODY, title="统战部召开座谈会", **extra):
    return {"url": url, "canonical_url": url, "title": title, "body": body, "keywords": ["统战"],
            "breadcrumb": [{"name": "首页", "url": "http://a.cn/"}], "provenance": {"title": "h1"}, "repairs": [],
            "repair_flags": [], "published_at": "2016-08-04", **extra}


def alias(url, canonical, **extra):
    made = item(url, **extra)
    made["canonical_url"] = canonical
    return made


# Every outcome and rule: new, duplicates exact and near, a better copy arriving second
# (in the same batch and in a later one), an alias, a redirect, an update with a
# revision, a correction, a 304, and items that fail.
BATCHES = [
    [item("http://m.cn/20160804/1.html", body=S2T.convert(BODY), repairs=["pinyin_annotations"], published_at=None),
     item("http://a.cn/2.html", body=OTHER),
     item("http://a.cn/1.html"),  # the better copy of the mirror's, in the same batch
     {"url": "http://a.cn/bad.html", "canonical_url": None, "title": "x", "body": "y"},
     item("http://a.cn/3.html", body=THIRD, redirected_from=["http://a.cn/old?id=3"]),
     item("http://b.cn/near.html", body=BODY.replace("座谈会", "专题座谈会") + "（本文有删改）"),
     item("http://a.cn/notitle.html", body=FIFTH, title=None)],
    [alias("http://a.cn/2_print.html", "http://a.cn/2.html", body=OTHER, title="打印版"),
     item("http://a.cn/2.html", body=OTHER + "（完）记者补充：会后进行了分组讨论。"),
     item("http://a.cn/3.html", body=THIRD, title="乡村振兴产业对接会（更正）", etag='"v2"'),
     {"seen_again": "http://a.cn/1.html"},
     item("http://c.cn/copy.html", body=S2T.convert(OTHER), repairs=["pinyin_annotations"]),
     item("http://m.cn/20160805/4.html", body=S2T.convert(FOURTH), repairs=["pinyin_annotations"],
          published_at=None),
     "not an item"],
    [item("http://a.cn/4.html", body=FOURTH, title="图书馆新馆开放", published_at="2016-08-05"),
     item("http://a.cn/5.html", body=FIFTH, title="寒潮蓝色预警")],
]
# Columns stamped with the time of writing, which two runs cannot share.
STAMPS = {"articles": ("first_stored_at", "updated_at", "last_seen_at"),
          "article_urls": ("first_seen_at", "last_seen_at"), "revisions": ("replaced_at",)}


def snapshot(conn) -> dict:
    tables = {}
    for table in ("articles", "article_urls", "revisions", "fingerprints", "lsh_buckets", "lsh_recent"):
        columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})") if c[1] not in STAMPS.get(table, ())]
        rowid = "" if table.startswith("lsh_") else "rowid, "  # WITHOUT ROWID
        tables[table] = sorted(conn.execute(f"SELECT {rowid}{', '.join(columns)} FROM {table}").fetchall(),
                               key=repr)
    # The index: every article found by words of its own title and body, and by nothing else.
    tables["search"] = {word: sorted(r for (r,) in conn.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", (search.parse_query(word).match,)))
        for word in ("统战", "座谈会", "防汛", "乡村振兴", "更正", "打印版", "分组讨论", "图书馆", "寒潮")}
    return tables


def write_all(path, prepare: bool, dedup: bool = True) -> tuple[list, dict]:
    db = open_database(path)
    writer = ArticleWriter(db, dedup=dedup)
    counts = []
    for batch in BATCHES:
        if prepare:
            # Through pickle, as from a worker process.
            batch = pickle.loads(pickle.dumps([prepare_item(i) if isinstance(i, dict) else i for i in batch]))
        counts.append(dict(writer.write([i for i in batch if isinstance(i, (dict, PreparedItem))])))
    db.conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
    tables = snapshot(db.conn)
    db.conn.close()
    return counts, tables


@pytest.mark.parametrize("dedup", [True, False])
def test_prepared_and_raw_items_give_the_same_database(tmp_path, dedup):
    raw_counts, raw = write_all(tmp_path / "raw.db", prepare=False, dedup=dedup)
    prepared_counts, prepared = write_all(tmp_path / "prepared.db", prepare=True, dedup=dedup)
    assert prepared_counts == raw_counts
    assert prepared == raw
    if dedup:
        assert raw_counts == [{"new": 3, "duplicate": 2, "failed": 2},
                              {"new": 1, "unchanged": 3, "updated": 1, "duplicate": 1},
                              {"new": 1, "duplicate": 1}]
        kept = {row[1]: row[2:4] for row in raw["article_urls"]}  # url -> (article, rule)
        assert kept["http://m.cn/20160804/1.html"] == ("http://a.cn/1.html", "exact_fingerprint")
        assert kept["http://m.cn/20160805/4.html"] == ("http://a.cn/4.html", "exact_fingerprint")
        assert kept["http://a.cn/old?id=3"] == ("http://a.cn/3.html", "canonical_url")


def test_a_failing_item_is_rolled_back_alone_and_the_index_stays_whole(tmp_path):
    db = open_database(tmp_path / "news.db")
    writer = ArticleWriter(db)
    counts = writer.write([item("http://a.cn/1.html"), item("http://a.cn/x.html", body=OTHER, title=None),
                           item("http://a.cn/3.html", body=THIRD)])
    assert counts == {"new": 2, "failed": 1}
    assert [u for (u,) in db.conn.execute("SELECT canonical_url FROM articles ORDER BY rowid")] == \
        ["http://a.cn/1.html", "http://a.cn/3.html"]
    # Nothing of the failed item anywhere: no URL, no fingerprint, no index entry.
    assert db.conn.execute("SELECT count(*) FROM article_urls WHERE url = 'http://a.cn/x.html'").fetchone() == (0,)
    assert db.conn.execute("SELECT count(*) FROM fingerprints").fetchone() == (2,)
    assert db.conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH '防汛'").fetchone() == (0,)
    db.conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
    db.conn.close()


def test_prepare_item_is_pure_and_never_raises():
    prepared = prepare_item(item("http://a.cn/1.html", redirected_from=["HTTP://A.CN/old?utm_source=x&id=1"]))
    assert prepared.error is None and prepared.row["content_hash"] == prepared.fingerprint.content_hash
    assert prepared.redirects == ("http://a.cn/old?id=1",)
    assert prepared.search == search.index_entry("统战部召开座谈会", BODY)
    assert pickle.loads(pickle.dumps(prepared)) == prepared
    assert prepare_item({"title": "no url"}).error is not None
    assert prepare_item({"seen_again": "http://a.cn/1.html"}).seen_again == "http://a.cn/1.html"


def test_primed_tokens_are_only_used_for_the_text_they_were_made_from(tmp_path):
    """The triggers look primed tokens up by the row's own text: text changed after
    preparing, or another row, is tokenized as always and can never get stale tokens."""
    db = open_database(tmp_path / "news.db")
    prepared = prepare_item(item("http://a.cn/1.html"))
    # The row edited after it was prepared (its entry still holds BODY's tokens).
    edited = PreparedItem(prepared.url, dict(prepared.row, body=OTHER), prepared.fetched_url,
                          fingerprint=prepared.fingerprint, search=prepared.search)
    assert ArticleWriter(db, dedup=False).write([edited]) == {"new": 1}

    def hits(word):
        return db.conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
                               (search.parse_query(word).match,)).fetchone()[0]

    assert hits("防汛") == 1 and hits("知识分子") == 0
    # Lying entries: tokens that are not the text's are never used for another text,
    # and entries of another INDEX_VERSION are not used at all.
    liar = search.IndexEntry("标题", THIRD, "伪造", "伪造", "伪")
    old = search.IndexEntry("统战部召开座谈会", BODY, "伪造", "伪造", "伪", version="0/old")
    with search.primed([liar, old]):
        assert search._sql_tokens(BODY) == search.index_tokens(BODY)
        assert search._sql_chars("统战部召开座谈会", BODY) == search.index_chars("统战部召开座谈会", BODY)
        assert search._sql_tokens(THIRD) == "伪造"  # what primed() is for: the text's tokens, given
    assert search._sql_tokens(THIRD) == search.index_tokens(THIRD)  # and forgotten after the block
    db.conn.close()


def test_a_connection_without_the_primed_tokens_indexes_the_same(tmp_path):
    """A write through any connection with the functions registered indexes correctly."""
    path = tmp_path / "news.db"
    db = open_database(path)
    ArticleWriter(db).write([prepare_item(item("http://a.cn/1.html"))])
    db.conn.close()
    conn = sqlite3.connect(path)
    search.register_functions(conn)
    with conn:
        conn.execute("UPDATE articles SET body = ? WHERE canonical_url = 'http://a.cn/1.html'", (OTHER,))
    assert conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH '防汛'").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH '知识'").fetchone() == (0,)
    conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
    conn.close()


def test_buckets_prepared_for_other_bands_are_computed_again(tmp_path):
    db = open_database(tmp_path / "news.db")
    writer = ArticleWriter(db, bands=8)
    assert writer.write([prepare_item(item("http://a.cn/1.html"), bands=16)]) == {"new": 1}
    assert db.conn.execute("SELECT count(*), max(bucket >> 56) FROM lsh_recent").fetchone() == (8, 7)
    assert writer.write([prepare_item(item("http://b.cn/copy.html", body=BODY + "（完）"))]) == {"duplicate": 1}
    db.conn.close()
