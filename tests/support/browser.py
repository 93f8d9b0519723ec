"""Headless Chromium for the browser tests: Debian's `chromium`, driven by Playwright's Python API.

Playwright cannot download its own browser builds here (no network beyond the
package registries), so it drives the distribution's browser through
`executable_path`. `./run test` installs `chromium` with apt-get when it is
missing and it runs as root; elsewhere the browser tests are skipped with the
reason. A fresh profile per launch (Playwright's own temporary user-data-dir)
and no background traffic: nothing leaves loopback.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # root in a container: Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def unavailable_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return "Debian's chromium is not installed (./run test installs it with apt-get when run as root)"
    return None


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """One headless Chromium (a playwright Browser) for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_FLAGS))
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def page_server(html: str) -> Iterator[str]:
    """Serves one HTML page from its own loopback port: another origin than the mock's."""
    body = html.encode("utf-8")

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # no request log on stderr
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def opened_tab(chromium: Any, html: str) -> Iterator[Any]:
    """A tab of its own browser context showing `html`, served on a loopback origin of its own."""
    with page_server(html) as url:
        context = chromium.new_context()
        try:
            tab = context.new_page()
            tab.goto(url)
            yield tab
        finally:
            context.close()
