"""`python -m crawler.portal [port]`: serve the sample portal until Ctrl-C."""

import sys

from .server import serve_portal

serve_portal(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
