"""Item pipelines, one job each, in the order ``ITEM_PIPELINES`` runs them:

- ``pipelines.repair.RepairPipeline`` (100): mojibake and mirror damage repaired, Simplified forms;
- ``pipelines.sqlite.SQLiteWriterPipeline`` (900): batched upserts into SQLite.

Pipelines read their settings in ``from_crawler`` and touch items through
``itemadapter.ItemAdapter`` (or ``crawler.items.as_dict``, which reads an ``Article``
directly), so plain dicts work as well as ``Article`` items.
"""
