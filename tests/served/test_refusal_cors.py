"""What the server refuses before the app (413, 414, 431, 408, a lower-case method) carries the CORS headers too.

Without them a page on another origin gets "Failed to fetch" and never sees
the status that would tell its developer what to fix. On the wire first,
then in headless Chromium from a page on another origin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..support.browser import opened_tab
from ..support.helpers import EXECUTE_KEY, assert_error_envelope, discard_path
from ..support.served import MockProcess
from .test_raw_http import send_raw

ORIGIN = "http://localhost:5173"
PAD = "p" * 9000  # past --max-header-field and --max-request-line's 8 KiB
BODY = "b" * (70 * 1024)  # past --max-body-bytes' 64 KiB
AUTHORIZED = {"Authorization": f"Bearer {EXECUTE_KEY}"}


def raw(method: str, target: str, headers: str = "", body: str = "") -> bytes:
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nOrigin: {ORIGIN}\r\n{headers}"
    return (head + (f"Content-Length: {len(body)}\r\n" if body else "") + "\r\n" + body).encode()


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (raw("POST", discard_path() + "?x=" + PAD), 414),
        (raw("POST", discard_path(), f"X-Pad: {PAD}\r\n"), 431),
        (raw("POST", discard_path(), body=BODY), 413),
        (raw("post", discard_path()), 400),
    ],
    ids=["414", "431", "413", "400-method"],
)
def test_a_refusal_by_the_server_carries_the_cors_headers(served_mock: MockProcess, data: bytes, status: int) -> None:
    response = send_raw(served_mock, data)
    assert response.status == status, response
    assert_error_envelope(response.body)
    assert response.headers.get("access-control-allow-origin") in ("*", ORIGIN), response.headers
    assert "retry-after" in response.headers.get("access-control-expose-headers", "").lower()


@pytest.fixture
def page(chromium: Any, served_mock: MockProcess) -> Iterator[Any]:
    """A blank page on another loopback origin than the mock's."""
    with opened_tab(chromium, "<!doctype html><title>frontend</title>") as tab:
        yield tab


FETCH = """async ([url, init]) => {
  try { return String((await fetch(url, init)).status); } catch (error) { return "failed: " + error; }
}"""


@pytest.mark.parametrize(
    ("target", "init", "status"),
    [
        # A request without custom headers has no preflight, so its long URL reaches the server only once.
        (discard_path() + "?x=" + PAD, {"method": "POST"}, "414"),
        # The preflight names X-Pad without its value: a 204; the request itself carries the 9 KB value.
        (discard_path(), {"method": "POST", "headers": {**AUTHORIZED, "X-Pad": PAD}}, "431"),
        (discard_path(), {"method": "POST", "headers": {"Content-Type": "text/plain"}, "body": BODY}, "413"),
    ],
    ids=["414", "431", "413"],
)
def test_a_page_on_another_origin_reads_the_servers_refusal(
    page: Any, served_mock: MockProcess, target: str, init: dict[str, Any], status: str
) -> None:
    assert page.evaluate(FETCH, [served_mock.url(target), init]) == status
