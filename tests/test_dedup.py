"""Deduplication in the article writer: every outcome, every merge explained."""


import random
import sqlite3
from array import array

import opencc
import pytest

from crawler.dedup import (BUCKET_TABLES, NUM_PERM, SCHEMA, DedupIndex, Fingerprint, fingerprint, lsh_buckets, normalise,
                           shared_bands_of_a_match, similarity)
from crawler.storage import ArticleWriter, open_database

S2T = opencc.OpenCC("s2t")
BODY = ("海州市委统战部召开党外知识分子工作座谈会，听取各方意见建议，交流经验做法。"
        "会议指出，要坚持团结引领，搭建建言献策平台，推动党外知识分子在经济社会发展中发挥更大作用。"
        "与会人员表示，将认真贯彻落实会议精神，以更加饱满的热情投入到各项工作中去。")
OTHER = ("市政府召开常务会议，研究部署防汛防台工作，要求各地压实责任、强化值守，"
         "确保人民群众生命财产安全。会议还审议了城市更新三年行动方案，明确了重点任务和时间节点。")


def item(url, body=BODY, title="统战部召开座谈会", **extra):
    return {"url": url, "canonical_url": url, "title": title, "body": body, "keywords": [], "breadcrumb": [],
            "provenance": {}, "repairs": [], "repair_flags": [], "published_at": "2016-08-04", **extra}


@pytest.fixture
def writer(tmp_path):
    db = open_database(tmp_path / "news.db")
    yield ArticleWriter(db, near_threshold=0.8)
    db.conn.close()


BUCKETS = "SELECT bucket, fingerprint FROM lsh_buckets UNION ALL SELECT bucket, fingerprint FROM lsh_recent"


def urls(writer):
    return {r[0]: r[1:] for r in writer.db.conn.execute("select url, article, rule, score from article_urls")}


def test_new_unchanged_updated_with_revision(writer):
    assert writer.write([item("http://a.cn/1.html")]) == {"new": 1}
    assert writer.write([item("http://a.cn/1.html")]) == {"unchanged": 1}
    assert writer.write([item("http://a.cn/1.html", body=BODY + "（完）记者补充：会后进行了分组讨论。")]) == {"updated": 1}
    revisions = writer.db.conn.execute("select canonical_url, body from revisions").fetchall()
    assert revisions == [("http://a.cn/1.html", BODY)]


def test_exact_copy_under_another_url_is_a_duplicate(writer):
    counts = writer.write([item("http://a.cn/1.html"), item("http://a.cn/other/9.html", title="另一个标题")])
    assert counts == {"new": 1, "duplicate": 1}
    assert urls(writer)["http://a.cn/other/9.html"] == ("http://a.cn/1.html", "exact_fingerprint", 1.0)
    assert writer.db.conn.execute("select count(*) from articles").fetchone()[0] == 1


def test_traditional_mirror_copy_matches_simplified_original(writer):
    writer.write([item("http://a.cn/1.html")])
    mirror = item("http://m.cn/20160804/1.html", body=S2T.convert(BODY), repairs=["pinyin_annotations"],
                  published_at=None)
    assert writer.write([mirror]) == {"duplicate": 1}
    assert urls(writer)["http://m.cn/20160804/1.html"][1] == "exact_fingerprint"


def test_better_copy_arriving_second_takes_the_place(writer):
    """The mirror is crawled first; the original arrives later and replaces it."""
    mirror = item("http://m.cn/20160804/1.html", body=S2T.convert(BODY), repairs=["pinyin_annotations"],
                  published_at=None)
    writer.write([mirror])
    assert writer.write([item("http://a.cn/1.html")]) == {"duplicate": 1}
    rows = writer.db.conn.execute("select canonical_url from articles").fetchall()
    assert rows == [("http://a.cn/1.html",)]
    assert urls(writer)["http://m.cn/20160804/1.html"] == ("http://a.cn/1.html", "exact_fingerprint", 1.0)
    assert urls(writer)["http://a.cn/1.html"][1] == "self"


def test_near_duplicate_with_appended_note(writer):
    writer.write([item("http://a.cn/1.html")])
    edited = BODY.replace("座谈会", "专题座谈会") + "（本文有删改）"
    assert similarity(fingerprint("", BODY).signature, fingerprint("", edited).signature) >= 0.8
    assert writer.write([item("http://b.cn/2.html", body=edited)]) == {"duplicate": 1}
    article, rule, score = urls(writer)["http://b.cn/2.html"]
    assert (article, rule) == ("http://a.cn/1.html", "near_duplicate") and 0.8 <= score < 1


def test_distinct_articles_are_not_merged(writer):
    assert writer.write([item("http://a.cn/1.html"), item("http://a.cn/2.html", body=OTHER)]) == {"new": 2}


def test_alias_does_not_replace_the_canonical_version(writer):
    writer.write([item("http://a.cn/1.html")])
    alias = item("http://a.cn/1_print.html", body=BODY, title="打印版")
    alias["canonical_url"] = "http://a.cn/1.html"
    assert writer.write([alias]) == {"unchanged": 1}
    assert writer.db.conn.execute("select title from articles").fetchone()[0] == "统战部召开座谈会"
    assert urls(writer)["http://a.cn/1_print.html"] == ("http://a.cn/1.html", "canonical_url", 1.0)


def test_dedup_off_stores_every_copy(tmp_path):
    db = open_database(tmp_path / "news.db")
    writer = ArticleWriter(db, dedup=False)
    assert writer.write([item("http://a.cn/1.html"), item("http://a.cn/2.html")]) == {"new": 2}


def test_normalise_ignores_script_width_and_punctuation():
    assert normalise("統一戰線，工作") == normalise("统一战线工作") == "统一战线工作"


def test_a_bad_item_does_not_take_its_batch_with_it(writer):
    bad = {"url": "http://a.cn/bad.html", "canonical_url": None, "title": "x", "body": "y"}
    counts = writer.write([item("http://a.cn/1.html"), bad, item("http://a.cn/2.html", body=OTHER)])
    assert counts == {"new": 2, "failed": 1}
    assert writer.db.conn.execute("select count(*) from articles").fetchone()[0] == 2


def test_not_modified_marks_the_article_seen(writer):
    writer.write([item("http://a.cn/1.html")])
    writer.db.conn.execute("update article_urls set last_seen_at = '2000-01-01T00:00:00+00:00'")
    writer.db.conn.commit()
    assert writer.write([{"seen_again": "http://a.cn/1.html"}]) == {"unchanged": 1}
    seen = writer.db.conn.execute("select last_seen_at from article_urls").fetchone()[0]
    assert seen > "2020"


def test_runs_stopped_by_the_lock_do_not_count_as_the_last_run(tmp_path):
    from crawler.storage import last_run_finished, record_run

    db = open_database(tmp_path / "news.db")
    record_run(db, {"spider": "news", "args": "{}", "finish_reason": "finished"})
    record_run(db, {"spider": "news", "args": "{}", "finish_reason": "lock_held"})
    assert last_run_finished(db, "news", "{}")
    record_run(db, {"spider": "news", "args": "{}", "finish_reason": None})  # killed
    assert not last_run_finished(db, "news", "{}")


def test_corrections_without_new_text_are_kept_without_a_revision(writer):
    writer.write([item("http://a.cn/1.html")])
    assert writer.write([item("http://a.cn/1.html", title="统战部召开座谈会（更正）", etag='"v2"')]) == {"unchanged": 1}
    assert writer.db.conn.execute("select title, etag from articles").fetchone() == ("统战部召开座谈会（更正）", '"v2"')
    assert writer.db.conn.execute("select count(*) from revisions").fetchone()[0] == 0


def test_own_page_after_its_print_view_is_no_revision(writer):
    alias = item("http://a.cn/1_print.html", body=BODY + "打印本页")
    alias["canonical_url"] = "http://a.cn/1.html"
    writer.write([alias])
    assert writer.write([item("http://a.cn/1.html")]) == {"unchanged": 1}
    assert writer.db.conn.execute("select url, body from articles").fetchone() == ("http://a.cn/1.html", BODY)
    assert writer.db.conn.execute("select count(*) from revisions").fetchone()[0] == 0


def test_redirect_sources_are_recorded_as_the_articles_urls(writer):
    writer.write([item("https://a.cn/1.html", redirected_from=["http://a.cn/1.html", "http://a.cn/old?id=1"])])
    seen = urls(writer)
    assert seen["http://a.cn/1.html"] == ("https://a.cn/1.html", "canonical_url", 1.0)
    assert seen["http://a.cn/old?id=1"][0] == "https://a.cn/1.html"


def test_signatures_of_another_version_are_computed_again(tmp_path):
    path = tmp_path / "news.db"
    db = open_database(path)
    ArticleWriter(db).write([item("http://a.cn/1.html")])
    db.conn.execute("UPDATE fingerprints SET signature = zeroblob(256)")
    db.conn.execute("UPDATE dedup_index SET version = 1")  # as an older version left them
    db.conn.commit()
    db.conn.close()
    db = open_database(path)
    [(signature,)] = db.conn.execute("SELECT signature FROM fingerprints").fetchall()
    assert signature == fingerprint("统战部召开座谈会", BODY).signature
    # ...so a copy of it is recognised again.
    assert ArticleWriter(db).write([item("http://b.cn/copy.html", body=BODY + "（完）")])["duplicate"] == 1
    db.conn.close()


def test_a_fingerprint_left_by_an_article_deleted_by_hand_does_not_block_its_url(tmp_path):
    db = open_database(tmp_path / "news.db")
    ArticleWriter(db).write([item("http://a.cn/1.html")])
    with db.conn:
        db.conn.execute("DELETE FROM articles")
        db.conn.execute("DELETE FROM article_urls")
    assert ArticleWriter(db).write([item("http://a.cn/1.html", body=OTHER)]) == {"new": 1}
    db.conn.close()


def reopened_after(tmp_path, sql: str):
    """A database holding one article, changed by ``sql`` (as an earlier version left it),
    then opened again."""
    path = tmp_path / "news.db"
    db = open_database(path)
    ArticleWriter(db).write([item("http://a.cn/1.html")])
    db.conn.executescript(sql)
    db.conn.close()
    return open_database(path)


def test_tables_of_an_earlier_layout_are_made_again_from_the_articles(tmp_path):
    """Version 3 kept URLs in lsh_buckets ((band, bucket, canonical_url), two indexes) and
    fingerprints without ids: opening such a database remakes both from the articles."""
    db = reopened_after(tmp_path, """
        DROP TABLE fingerprints; DROP TABLE lsh_buckets;
        CREATE TABLE fingerprints (canonical_url TEXT PRIMARY KEY, content_hash TEXT NOT NULL, signature BLOB NOT NULL);
        CREATE INDEX fingerprints_hash ON fingerprints (content_hash);
        CREATE TABLE lsh_buckets (band INTEGER NOT NULL, bucket INTEGER NOT NULL, canonical_url TEXT NOT NULL);
        CREATE INDEX lsh_buckets_members ON lsh_buckets (band, bucket, canonical_url);
        INSERT INTO fingerprints VALUES ('http://a.cn/1.html', 'old', zeroblob(256));
        INSERT INTO lsh_buckets VALUES (0, 1, 'http://a.cn/1.html');
        DROP TABLE dedup_index;
        CREATE TABLE dedup_index (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
        INSERT INTO dedup_index VALUES (1, 3);
    """)
    assert [r[1] for r in db.conn.execute("PRAGMA table_info(lsh_buckets)")] == ["bucket", "fingerprint"]
    [(url, content_hash)] = db.conn.execute("SELECT canonical_url, content_hash FROM fingerprints").fetchall()
    assert (url, content_hash) == ("http://a.cn/1.html", fingerprint("统战部召开座谈会", BODY).content_hash)
    assert db.conn.execute("SELECT count(DISTINCT bucket), min(fingerprint) = max(fingerprint)"
                           f" FROM ({BUCKETS})").fetchone() == (16, 1)
    assert ArticleWriter(db).write([item("http://b.cn/copy.html", body=BODY + "（完）")])["duplicate"] == 1
    db.conn.close()


def test_forgetting_an_article_takes_its_buckets_with_it(tmp_path):
    from crawler.storage import forget_urls

    db = open_database(tmp_path / "news.db")
    writer = ArticleWriter(db)
    writer.write([item("http://a.cn/1.html")])
    with db.conn:
        writer.index.merge()  # a.cn/1's buckets in lsh_buckets, the next two articles' in lsh_recent
    writer.write([item("http://b.cn/2.html", body=OTHER), item("http://a.cn/3.html", body=BODY + OTHER)])
    assert forget_urls(db, "http://a.cn/") == 2
    assert db.conn.execute(f"SELECT count(*) FROM ({BUCKETS})").fetchone() == (16,)
    assert db.conn.execute(f"SELECT count(*) FROM ({BUCKETS}) WHERE fingerprint NOT IN"
                           " (SELECT id FROM fingerprints)").fetchone() == (0,)
    db.conn.close()


def test_buckets_follow_the_configured_bands_after_a_rebuild(tmp_path):
    """A database rebuilt when opened (16 bands, the default) and written with DEDUP_BANDS=8:
    its buckets are made again in 8 bands, from the stored signatures, so copies still match."""
    path = tmp_path / "news.db"
    db = open_database(path)
    ArticleWriter(db, bands=8).write([item("http://a.cn/1.html")])
    db.conn.execute("UPDATE dedup_index SET version = 3")  # as an earlier version left it
    db.conn.commit()
    db.conn.close()
    db = open_database(path)  # rebuilt, in 16 bands
    assert db.conn.execute(f"SELECT count(*), bands FROM ({BUCKETS}), dedup_index").fetchone() == (16, 16)
    writer = ArticleWriter(db, bands=8)
    assert db.conn.execute(f"SELECT count(*), max(bucket >> 56), bands FROM ({BUCKETS}), dedup_index").fetchone() \
        == (8, 7, 8)
    assert writer.write([item("http://b.cn/copy.html", body=BODY + "（完）")])["duplicate"] == 1
    db.conn.close()


def test_an_old_bucket_table_left_alone_is_made_again(tmp_path):
    """Earlier code dropped the two old tables one after the other: a crash in between left
    the old lsh_buckets without fingerprints. Such a database opens, and is rebuilt."""
    db = reopened_after(tmp_path, """
        DROP TABLE fingerprints; DROP TABLE lsh_buckets;
        CREATE TABLE lsh_buckets (band INTEGER NOT NULL, bucket INTEGER NOT NULL, canonical_url TEXT NOT NULL);
        UPDATE dedup_index SET version = 3;
    """)
    assert db.conn.execute(f"SELECT count(*) FROM ({BUCKETS})").fetchone() == (16,)
    assert ArticleWriter(db).write([item("http://b.cn/copy.html", body=BODY + "（完）")])["duplicate"] == 1
    db.conn.close()


def test_recent_buckets_are_merged_into_the_large_table_and_still_found(tmp_path, monkeypatch):
    """New buckets go to lsh_recent; once it holds MERGE_AT entries the writer moves them
    into lsh_buckets at the end of its batch. Copies are found in either table, and an
    article removed from either leaves no bucket behind."""
    from crawler import dedup

    monkeypatch.setattr(dedup, "MERGE_AT", 40)  # 16 bands: the third article brings the merge
    db = open_database(tmp_path / "news.db")
    writer = ArticleWriter(db)

    def tables():
        return tuple(db.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("lsh_buckets", "lsh_recent"))

    assert writer.write([item("http://a.cn/1.html"), item("http://a.cn/2.html", body=OTHER)]) == {"new": 2}
    assert tables() == (0, 32)
    assert writer.write([item("http://a.cn/3.html", body=OTHER + BODY)]) == {"new": 1}
    assert tables() == (48, 0)
    assert writer.write([item("http://b.cn/4.html", body="一段全新的文字，讲述了图书馆新馆开放的情况。" * 4)]) == {"new": 1}
    assert tables() == (48, 16)
    # A near copy of an article in each table.
    assert writer.write([item("http://m.cn/1.html", body=BODY + "（完）"),
                         item("http://m.cn/4.html", body="一段全新的文字，讲述了图书馆新馆开放的情况。" * 4 + "（完）")]) \
        == {"duplicate": 2}
    assert {url: rule[0] for url, rule in urls(writer).items() if url.startswith("http://m.cn/")} == {
        "http://m.cn/1.html": "http://a.cn/1.html", "http://m.cn/4.html": "http://b.cn/4.html"}
    # An update takes the article's old buckets from lsh_buckets and puts its new ones in lsh_recent.
    assert writer.write([item("http://a.cn/2.html", body=OTHER + "会议强调，要把各项措施落到实处。")]) == {"updated": 1}
    assert tables() == (32, 32)
    assert db.conn.execute(f"SELECT count(*) FROM ({BUCKETS}) WHERE fingerprint NOT IN"
                           " (SELECT id FROM fingerprints)").fetchone() == (0,)
    db.conn.close()


def test_a_rebuild_leaves_every_bucket_in_the_large_table(tmp_path):
    path = tmp_path / "news.db"
    db = open_database(path)
    ArticleWriter(db).write([item("http://a.cn/1.html"), item("http://a.cn/2.html", body=OTHER)])
    db.conn.execute("UPDATE dedup_index SET version = 3")  # signatures of an earlier version: rebuilt
    db.conn.commit()
    db.conn.close()
    db = open_database(path)
    assert [db.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("lsh_buckets", "lsh_recent")] \
        == [32, 0]
    assert ArticleWriter(db).write([item("http://b.cn/copy.html", body=BODY + "（完）")])["duplicate"] == 1
    db.conn.close()


def test_a_version_4_index_is_kept_and_one_an_earlier_version_wrote_after_us_is_rebuilt(tmp_path):
    """Version 4 kept every bucket in lsh_buckets: such an index is this layout with an
    empty lsh_recent, taken as it is. Entries in lsh_recent under version 4 mean an earlier
    version rebuilt the index after this one wrote it (it reads lsh_buckets alone, and its
    removals leave lsh_recent entries behind): the index is computed again."""
    from crawler.dedup import SIGNATURE_VERSION

    path = tmp_path / "news.db"
    db = open_database(path)
    writer = ArticleWriter(db)
    writer.write([item("http://a.cn/1.html")])
    with db.conn:
        writer.index.merge()
    db.conn.execute("UPDATE fingerprints SET content_hash = 'kept'")  # a rebuild would recompute it
    db.conn.execute("UPDATE dedup_index SET version = 4")
    db.conn.commit()
    db.conn.close()
    db = open_database(path)
    assert db.conn.execute("SELECT version FROM dedup_index").fetchone() == (SIGNATURE_VERSION,)
    assert db.conn.execute("SELECT content_hash FROM fingerprints").fetchall() == [("kept",)]

    ArticleWriter(db).write([item("http://a.cn/2.html", body=OTHER)])  # its buckets in lsh_recent
    db.conn.execute("DELETE FROM fingerprints WHERE canonical_url = 'http://a.cn/2.html'")  # as 896d736 removed
    db.conn.execute("UPDATE dedup_index SET version = 4")
    db.conn.commit()
    db.conn.close()
    db = open_database(path)
    assert db.conn.execute("SELECT content_hash FROM fingerprints ORDER BY canonical_url").fetchall() == [
        (fingerprint("统战部召开座谈会", BODY).content_hash,), (fingerprint("统战部召开座谈会", OTHER).content_hash,)]
    assert db.conn.execute(f"SELECT count(*) FROM ({BUCKETS}) WHERE fingerprint NOT IN"
                           " (SELECT id FROM fingerprints)").fetchone() == (0,)
    assert db.conn.execute("SELECT count(*) FROM lsh_recent").fetchone() == (0,)
    db.conn.close()


def test_signature_is_the_minhash_of_the_set_of_shingles_whatever_the_chunking(monkeypatch):
    """The signature is the MinHash of the set of shingles (as np.unique made them before:
    the reference below), whether its text is hashed in one piece or in chunks."""
    import numpy as np

    import crawler.dedup as dedup

    def reference(text: str):
        _, multipliers, offsets, mix = dedup._minhash()
        points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
        if len(points) == 0:
            points = np.zeros(1, dtype=np.uint64)
        width = min(dedup.SHINGLE, len(points))
        shingles = np.zeros(len(points) - width + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for offset in range(width):
                shingles = shingles * np.uint64(0x110000) + points[offset:len(points) - width + 1 + offset]
            shingles = np.unique(shingles * mix)
            hashed = (multipliers[:, None] * shingles[None, :] + offsets[:, None]) >> np.uint64(32)
        return hashed.min(axis=1).astype("<u4")

    sentence = "统一战线工作会议在海州市召开。会议强调，要坚持大团结大联合。"
    texts = ["", "统", "统一战", normalise(sentence * 40),
             normalise("".join(f"第{i}条意见" for i in range(3000)))]  # over 8,192 shingles
    for text in texts:
        assert (dedup._signature(text) == reference(text)).all(), len(text)
    monkeypatch.setattr(dedup, "_SHINGLES_AT_ONCE", 7)
    for text in texts:
        assert (dedup._signature(text) == reference(text)).all(), len(text)


def add_fillers(index: DedupIndex, rng: random.Random, bucket: int, count: int, prefix: str) -> None:
    """Index ``count`` articles with random signatures in the one bucket ``bucket`` (URLs
    http://f.cn/PREFIX-N.html), to make it as large as a test needs."""
    for i in range(count):
        other = array("I", [rng.getrandbits(32) for _ in range(NUM_PERM)]).tobytes()
        index.add(f"http://f.cn/{prefix}-{i}.html", Fingerprint(f"filler-{prefix}-{i}", other), new=True,
                  buckets=[bucket])


def signature_with(values, unequal: list[int]) -> bytes:
    """A copy of the 64 values ``values`` with the values at the positions ``unequal`` changed."""
    copy = list(values)
    for position in unequal:
        copy[position] = (copy[position] + 1) % (1 << 32)
    return array("I", copy).tobytes()


@pytest.mark.parametrize("threshold, bands", [(0.8, 16), (0.9, 16), (0.8, 8), (0.75, 32), (0.95, 64)])
def test_candidates_are_cut_at_the_fewest_bands_a_match_shares_and_no_match_is_lost(threshold, bands):
    """The worst case for a stored article at each score: its unequal values each in another
    band, so it shares as few buckets as a score allows. It is found exactly when its score
    reaches the threshold, with candidates cut at shared_bands_of_a_match(); one band more
    loses the match at the threshold, so the bound is the tightest that loses nothing."""
    rows = NUM_PERM // bands
    rng = random.Random(bands)
    query = [rng.getrandbits(32) for _ in range(NUM_PERM)]
    looked_up = Fingerprint("query", array("I", query).tobytes())
    # Unequal values at the first row of band 0, 1, ..., then the second row of each, ...
    spread = [band * rows + row for row in range(rows) for band in range(bands)]
    needed = shared_bands_of_a_match(threshold, bands)
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    for agree in range(max(0, NUM_PERM - 2 * bands), NUM_PERM + 1):
        stored = signature_with(query, spread[:NUM_PERM - agree])
        print_ = Fingerprint(f"hash-{agree}", stored)
        for table in ("fingerprints", *BUCKET_TABLES):
            conn.execute(f"DELETE FROM {table}")
        DedupIndex(conn, threshold, bands).add(f"http://a.cn/{agree}.html", print_, new=True)
        shared = len(set(lsh_buckets(stored, bands)) & set(lsh_buckets(looked_up.signature, bands)))
        is_match = agree / NUM_PERM >= threshold
        assert shared >= needed or not is_match
        # min_bands=0: candidates cut at the bound alone, not at the default 2
        found = DedupIndex(conn, threshold, bands, min_bands=0).find(looked_up, exclude="http://b.cn/1.html")
        assert (found is not None) == (is_match and shared > 0), (agree, shared)  # none shared: LSH's miss
        if found is not None:
            assert (found.article, found.rule, found.score) == (f"http://a.cn/{agree}.html", "near_duplicate",
                                                                round(agree / NUM_PERM, 3))
        if is_match and shared == needed and 0 < needed < bands:
            assert DedupIndex(conn, threshold, bands, min_bands=needed + 1).find(
                looked_up, exclude="http://b.cn/1.html") is None
    assert DedupIndex(conn, threshold, bands, min_bands=0).min_bands == max(needed, 1)
    assert DedupIndex(conn, threshold, bands).min_bands == min(max(needed, 2), bands)  # the default, 2


def test_the_fewest_bands_a_match_shares():
    assert shared_bands_of_a_match(0.8, 16) == 4      # 52 of 64 equal: 12 unequal break 12 bands
    assert shared_bands_of_a_match(0.82, 16) == 5     # 53
    assert shared_bands_of_a_match(0.5, 16) == 0      # 32 unequal can break every band
    assert shared_bands_of_a_match(0.8, 8) == 0       # 12 unequal break all 8
    assert shared_bands_of_a_match(1.0, 16) == 16
    assert shared_bands_of_a_match(1.5, 16) == 16     # no score reaches it: identical signatures only


def test_lookups_skip_the_largest_buckets_and_find_what_a_full_read_finds():
    """The worst case for skipping: the stored match shares exactly the fewest buckets a
    match shares (4 at 0.8 in 16 bands), and those are the lookup's large buckets. The
    lookup leaves the largest two unread, still compares the match (it needs two rows
    fewer) and finds it with the score a full read gives; it never skips every shared
    bucket, however many it is allowed. lsh_sizes counts the large buckets at each merge,
    and is counted for a database made before it."""
    from crawler import dedup

    threshold, bands = 0.8, 16
    rng = random.Random(7)
    query = [rng.getrandbits(32) for _ in range(NUM_PERM)]
    looked_up = Fingerprint("query", array("I", query).tobytes())
    # 12 unequal values, one in each of bands 4..15: the match shares bands 0..3 only.
    stored = signature_with(query, [band * 4 for band in range(4, bands)])
    keys = lsh_buckets(looked_up.signature, bands)
    assert set(lsh_buckets(stored, bands)) & set(keys) == set(keys[:4])
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    index = DedupIndex(conn, threshold, bands, min_bands=0)
    assert index.min_bands == 4
    index.add("http://a.cn/match.html", Fingerprint("match", stored), new=True)
    # Fillers: other articles in one of the shared buckets each, 70, 69, 68, 67 of them.
    for n, bucket in enumerate(keys[:4]):
        add_fillers(index, rng, bucket, dedup.LARGE_BUCKET + 6 - n, str(n))
    assert conn.execute("SELECT count(*) FROM lsh_sizes").fetchone() == (0,)  # counted at the merge
    index.merge()
    sizes = {bucket: members for bucket, members in conn.execute("SELECT bucket, members FROM lsh_sizes")}
    assert sizes == {keys[n]: dedup.LARGE_BUCKET + 7 - n for n in range(4)}  # fillers and the match

    def lookup(skip: int):
        index.skip_largest = skip
        query_, parameters, needed = index.members(keys)
        read = len(parameters) - len(keys)  # lsh_buckets' keys, then lsh_recent's (all 16)
        return index.find(looked_up, exclude="http://b.cn/1.html"), bands - read, needed

    full, skipped, needed = lookup(0)
    assert (full.article, full.rule, full.score, skipped, needed) == (
        "http://a.cn/match.html", "near_duplicate", round(52 / NUM_PERM, 3), 0, 4)  # the lowest score that matches
    assert lookup(dedup.SKIP_LARGEST) == (full, 2, 2)
    assert not set(keys[:2]) & set(index.members(keys)[1][:bands - 2])  # the two largest were skipped
    assert lookup(bands) == (full, 3, 1)  # never more than min_bands - 1
    # A lookup without counted sizes reads every bucket, and an old database gets them counted.
    conn.commit()
    conn.execute("DROP TABLE lsh_sizes")
    dedup.upgrade_tables(conn)
    assert dict(conn.execute("SELECT bucket, members FROM lsh_sizes").fetchall()) == sizes
    conn.execute("DELETE FROM lsh_sizes")
    assert lookup(dedup.SKIP_LARGEST) == (full, 0, 4)


def test_skipping_decides_as_a_full_read_when_min_bands_is_above_what_a_match_shares():
    """DEDUP_MIN_BANDS=6 (above the 4 a match shares at 0.8): A matches at 0.812 sharing 6
    buckets, B at 0.828 sharing 5, so a full read compares A alone. Skipping two large
    buckets fetches B too (it needs 4 rows among those read); it must not win."""
    from crawler import dedup

    rng = random.Random(11)
    query = [rng.getrandbits(32) for _ in range(NUM_PERM)]
    looked_up = Fingerprint("query", array("I", query).tobytes())
    keys = lsh_buckets(looked_up.signature, 16)
    a = signature_with(query, [band * 4 for band in range(6, 16)] + [6 * 4 + 1, 7 * 4 + 1])  # 52 equal, bands 0-5
    b = signature_with(query, [band * 4 for band in range(5, 16)])                          # 53 equal, bands 0-4
    assert [len(set(lsh_buckets(s, 16)) & set(keys)) for s in (a, b)] == [6, 5]
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    index = DedupIndex(conn, 0.8, 16, min_bands=6)
    index.add("http://a.cn/a.html", Fingerprint("a", a), new=True)
    index.add("http://a.cn/b.html", Fingerprint("b", b), new=True)
    for n, bucket in ((0, keys[0]), (5, keys[5])):  # one bucket both share, one only A shares
        add_fillers(index, rng, bucket, dedup.LARGE_BUCKET, str(n))
    index.merge()
    found = []
    for skip in (0, dedup.SKIP_LARGEST):
        index.skip_largest = skip
        _, parameters, needed = index.members(keys)
        match = index.find(looked_up, exclude="http://b.cn/1.html")
        found.append((match.article, match.score, needed, len(parameters) - 16))
    assert found == [("http://a.cn/a.html", 0.812, 6, 16), ("http://a.cn/a.html", 0.812, 4, 14)]


def test_a_merge_counts_again_the_buckets_it_touches_and_drops_those_no_longer_large():
    """lsh_sizes after a merge: a touched bucket that grew is counted anew, one that removals
    left under LARGE_BUCKET loses its count, an untouched one keeps its count as it was."""
    from crawler import dedup

    rng = random.Random(3)
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    index = DedupIndex(conn)
    large = dedup.LARGE_BUCKET
    add_fillers(index, rng, 1, large, "shrinks")
    add_fillers(index, rng, 2, large, "grows")
    add_fillers(index, rng, 3, large, "untouched")
    index.merge()
    assert dict(conn.execute("SELECT bucket, members FROM lsh_sizes")) == {1: large, 2: large, 3: large}
    for i in range(2):
        index.remove(f"http://f.cn/shrinks-{i}.html")
        index.remove(f"http://f.cn/untouched-{i}.html")
    add_fillers(index, rng, 1, 1, "shrinks-again")   # touches bucket 1: 63 members after the merge
    add_fillers(index, rng, 2, 5, "grows-again")
    index.merge()
    # Bucket 3 lost two members too, but no merge touched it: its count is left (speed only).
    assert dict(conn.execute("SELECT bucket, members FROM lsh_sizes")) == {2: large + 5, 3: large}
