"""A deterministic sample Chinese news portal, generated in memory and served on 127.0.0.1.

It stands in for real portals in tests and local crawls: ~320 articles in
three page templates (TRS government pages, GBK newspaper pages, mobile
pages), copies damaged like an SEO mirror site, duplicates, broken links and
a robots.txt, with ground truth for every article page. `build_portal(scale=N)`
makes it N times bigger (scale 30: ~10,000 articles) for load and incremental
benchmarks (bench/incremental_bench.py).

    from crawler.portal import build_portal, PortalServer
    portal = build_portal()
    with PortalServer(portal) as srv:
        ...  # crawl srv.url

Modules: `site` (sections), `corpus` (prose), `mirror` (mirror damage),
`templates` (HTML), `generate` (pages, truth, expected numbers), `server`.
Run `python -m crawler.portal [port]` to browse it.
"""

from .generate import build_portal
from .model import ArticleTruth, Page, Portal
from .server import PortalServer, serve_portal

__all__ = ["ArticleTruth", "Page", "Portal", "PortalServer", "build_portal", "serve_portal"]
