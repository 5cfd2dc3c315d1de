"""Shared fixtures: the sample portal, built once and served on a free loopback port;
a database of its original articles written by the article writer (no crawl)."""

import signal
import sys
from pathlib import Path

import pytest

from crawler.portal import PortalServer, build_portal
from crawler.storage import ArticleWriter, open_database

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
BASE = "http://portal.test"


def article_item(truth, base=BASE, **changes):
    """A writer item made from the sample portal's truth for one article."""
    url = base + truth.url_path
    fields = dict(url=url, canonical_url=url, title=truth.title, body=truth.body, editor=truth.editor,
                  keywords=truth.keywords, published_at=truth.published_at, source=truth.source,
                  author=truth.author, section=truth.section, site=base.split("//")[1],
                  breadcrumb=[{"name": c["name"], "url": base + c["url_path"]} for c in truth.breadcrumb],
                  fetched_at="2026-11-30T00:00:00+00:00", status=200)
    fields.update(changes)
    return fields


def write_items(path, items, dedup=True):
    db = open_database(path)
    ArticleWriter(db, dedup=dedup).write(items)
    db.conn.close()


@pytest.fixture(scope="session")
def portal():
    return build_portal()


@pytest.fixture(scope="session")
def portal_server(portal):
    with PortalServer(portal=portal) as server:
        yield server


@pytest.fixture(scope="session")
def python():
    return sys.executable


@pytest.fixture(scope="session")
def originals(portal):
    """The portal's original articles (no mirror or republished copies)."""
    return [a for a in portal.articles if a.kind == "original"]


@pytest.fixture(scope="session")
def articles_db(originals, tmp_path_factory):
    """A database of the original articles, as the writer stores them (read-only use)."""
    path = tmp_path_factory.mktemp("articles") / "news.db"
    write_items(path, [article_item(a) for a in originals])
    return path


def ctrl_c_reaches_it() -> None:
    """``preexec_fn`` for a child that the test stops with SIGINT: a test run started as a
    background job (``cmd &``) ignores SIGINT, and its children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
