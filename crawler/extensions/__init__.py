"""Scrapy extensions of the project, one per module."""
