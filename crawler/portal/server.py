"""Serve a generated portal over HTTP on 127.0.0.1, for tests and local crawls.

`PortalServer` runs a `ThreadingHTTPServer` in a daemon thread (port 0 picks a
free port); `serve_portal` is the blocking command-line variant. Pages are
served from memory, so one server handles Scrapy's concurrency easily.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .generate import build_portal
from .model import Portal


def _handler_for(portal: Portal) -> type[BaseHTTPRequestHandler]:
    class PortalHandler(BaseHTTPRequestHandler):
        # HTTP/1.1 with Content-Length lets clients reuse connections.
        protocol_version = "HTTP/1.1"
        server_version = "HaizhouCMS/1.0"
        # Headers and body go out in separate writes; without TCP_NODELAY the
        # second one waits for a delayed ACK (~40 ms) on kept-alive connections.
        disable_nagle_algorithm = True

        def _send(self, with_body: bool) -> None:
            page = portal.lookup(self.path)
            # Article pages carry a validator, as CMS-fronting web servers do, so that
            # re-crawls can ask "changed since?" and get a 304 without the body.
            etag = f'"{hashlib.sha1(page.body).hexdigest()[:16]}"' if page.status == 200 else None
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(page.status)
            for name, value in page.headers.items():
                self.send_header(name, value)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            if with_body:
                self.wfile.write(page.body)

        def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
            self._send(True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._send(False)

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            # One stderr line per request would drown test and crawl output.
            pass

    return PortalHandler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # Scrapy opens many connections at once


class PortalServer:
    """The sample portal on a background thread.

    Use as a context manager (``with PortalServer() as srv: fetch(srv.url)``)
    or call `start()` and `stop()`.
    """

    def __init__(self, portal: Portal | None = None, host: str = "127.0.0.1", port: int = 0):
        self.portal = portal if portal is not None else build_portal()
        self.host = host
        self.port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> "PortalServer":
        self._httpd = _Server((self.host, self.port), _handler_for(self.portal))
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="portal-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "PortalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_portal(port: int = 0, host: str = "127.0.0.1", scale: int = 1) -> None:
    """Serve the sample portal until interrupted (Ctrl-C), printing its URL first.

    `scale` is `build_portal`'s: the portal is built (scale 30: ~10,000
    articles, some seconds) before the port is opened and the URL printed.
    """
    portal = build_portal(scale)
    httpd = _Server((host, port), _handler_for(portal))
    print(f"Serving sample portal at http://{host}:{httpd.server_address[1]}/"
          + (f" (scale {scale}: {portal.expected['articles_original']} articles)" if scale != 1 else ""),
          flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
