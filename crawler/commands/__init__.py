"""Scrapy commands of the project (``COMMANDS_MODULE``), one per module, each named after its module."""
