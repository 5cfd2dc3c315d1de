"""Scrapy crawler for Chinese news portals: articles as clean rows in SQLite.

The data flow (see README): spider -> decoding -> extraction -> pipelines -> SQLite.
"""
