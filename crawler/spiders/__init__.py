"""Spiders decide what to follow; extraction (crawler.extraction) reads the pages."""
