"""The work the crawl hands to its worker processes (:mod:`crawler.offload`).

Each task is a function of picklable values; no Scrapy, no logging. The spider
and the pipelines call them through ``WorkerPool.run`` and apply the result (stats,
logs, the item) on Scrapy's side. This module imports neither Scrapy nor Twisted,
so a worker loads only what the tasks need.

- :func:`extract_page` — the spider's article extraction (bytes in, ``Article`` out), and
  with it the repair pipeline's work when that pipeline is on (:func:`repair_ahead`);
- :func:`repair_fields` — the repair pipeline's work on an article's text fields;
- :func:`open_writer`, :func:`write_batch`, :func:`close_writer` — the SQLite writer, in the
  first worker process (``SQLITE_WRITER_PROCESS``): the only tasks with state, the
  database connection kept open between batches. The first two are pure.
"""

from __future__ import annotations

from .extraction import ExtractionError, extract_article
from .repair import repair_document, to_simplified

# The fields the repair pipeline repairs, besides keywords and breadcrumb names.
TEXT_FIELDS = ("title", "body", "editor", "author", "source", "section")
# What repair_fields() reads of an item.
REPAIR_INPUT = (*TEXT_FIELDS, "keywords", "breadcrumb")
# The attribute repair_ahead() leaves on an Article (not a field: never stored or exported).
REPAIRED_AHEAD = "repaired_ahead"


def extract_page(url: str, body: bytes, content_type, status: int, fetched_at: str, profile=None,
                 repair: bool | None = None):
    """``(article, None)``, or ``(None, (reason, message))`` for a page that is no article
    (the refusal comes back as a value: :class:`ExtractionError` loses its ``reason`` when pickled).
    ``repair``: None, or the repair pipeline's ``simplified`` flag, to repair the article
    here too (:func:`repair_ahead`)."""
    try:
        article = extract_article(url, body, content_type=content_type, status=status, fetched_at=fetched_at,
                                  profile=profile)
    except ExtractionError as exc:
        return None, (exc.reason, str(exc))
    if repair is not None:
        repair_ahead(article, repair)
    return article, None


def repair_ahead(article, simplified: bool) -> None:
    """Compute the repair pipeline's work on ``article`` now, in the same trip to a worker
    process as its extraction (one trip per page, not two): :func:`repair_fields` of its
    fields, left on it as the attribute ``REPAIRED_AHEAD`` with the fields and flag it was
    computed from. The repair pipeline applies it (:func:`take_repaired_ahead`), or, if
    the item's fields changed since, repairs them itself: nothing is changed here."""
    fields = {name: getattr(article, name) for name in REPAIR_INPUT}
    setattr(article, REPAIRED_AHEAD, (fields, simplified, repair_fields(fields, simplified)))


def take_repaired_ahead(item, fields: dict, simplified: bool):
    """What :func:`repair_ahead` computed for ``item``, if it was computed from exactly these
    ``fields`` (equal values; the same objects when nothing touched them, so the test costs
    nothing) with the same ``simplified``; else None. Removes it from the item either way."""
    ahead = getattr(item, REPAIRED_AHEAD, None)
    if ahead is None:
        return None
    delattr(item, REPAIRED_AHEAD)
    computed_from, computed_simplified, result = ahead
    return result if computed_simplified == simplified and computed_from == fields else None


def repair_fields(fields: dict, simplified: bool = True) -> tuple[dict, list[str], list[str]]:
    """An article's text fields repaired together, as one document.

    ``fields``: ``TEXT_FIELDS`` (str or None), ``keywords`` (list of str) and
    ``breadcrumb`` (list of ``{"name", "url"}``). Returns ``(changes, repairs, flags)``:
    the fields to set on the item (every text field given, and with ``simplified``
    ``title_simplified``/``body_simplified``: the OpenCC t2s form where it differs, else
    None), the names of the fixers that changed something, and what could not be recovered.
    """
    present = [name for name in TEXT_FIELDS if fields.get(name)]
    keywords = list(fields.get("keywords") or [])
    crumbs = [dict(crumb) for crumb in fields.get("breadcrumb") or []]
    result = repair_document([fields[name] for name in present] + keywords + [crumb["name"] for crumb in crumbs])
    fixed = iter(result.texts)
    changes = {name: next(fixed) for name in present}
    if keywords:
        changes["keywords"] = [next(fixed) for _ in keywords]
    for crumb in crumbs:
        crumb["name"] = next(fixed)
    if crumbs:
        changes["breadcrumb"] = crumbs
    if simplified:
        for name in ("title", "body"):
            text = changes.get(name, fields.get(name)) or ""
            simple = to_simplified(text)
            changes[f"{name}_simplified"] = simple if simple != text else None
    return changes, list(result.repairs), list(result.flags)


# In the SQLite writer's process (SQLITE_WRITER_PROCESS): the open database and writer of
# each path. The one task with state: a connection kept open from batch to batch.
_WRITERS: dict = {}


def open_writer(path: str, dedup: tuple) -> str:
    """Open (creating as needed) the database at ``path`` for :func:`write_batch`;
    ``dedup`` is ``ArticleWriter``'s ``(dedup, near_threshold, bands, min_bands)``."""
    if path not in _WRITERS:
        from .storage import ArticleWriter, open_database

        db = open_database(path)
        _WRITERS[path] = (db, ArticleWriter(db, *dedup))
    return path


def write_batch(path: str, dedup: tuple, items: list) -> dict:
    """One batch of items (dicts) written in one transaction by the writer of ``path`` (opened
    here if this process has not yet: a worker started after another died) with
    :meth:`crawler.storage.ArticleWriter.write`, which prepares them first; outcome -> count."""
    open_writer(path, dedup)
    return dict(_WRITERS[path][1].write(items))


def close_writer(path: str) -> None:
    db, _ = _WRITERS.pop(path, (None, None))
    if db is not None:
        db.conn.close()
