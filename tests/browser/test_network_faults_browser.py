"""Fault kinds and statuses as a page on another origin sees them through Chromium's `fetch`.

A broken connection (reset, empty, malformed) is a network error to the page
("TypeError: Failed to fetch"), never a status; a slow body is a late but
whole answer; an injected status is readable with its Retry-After. The mock
runs with `--server gunicorn`, which serves every kind. Faults here have no
count: Chromium retries a request whose reused connection broke, and the
retry must meet the same fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..support.browser import opened_tab
from ..support.helpers import EXECUTE_KEY, PENDING_STATE, path_of
from ..support.served import MockProcess

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>discards</title><link rel="icon" href="data:,"></head>
<body><script>
async function discard(url, key) {
  try {
    const response = await fetch(url, { method: "POST", headers: { Authorization: "Bearer " + key } });
    const body = await response.json();
    return { status: response.status, retry: response.headers.get("Retry-After"),
             code: body.error ? body.error.code : body.data.action };
  } catch (error) {
    return { failed: String(error) };
  }
}
</script></body></html>
"""
FAILED_TO_FETCH = {"failed": "TypeError: Failed to fetch"}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    process = MockProcess("--quiet", "--server", "gunicorn").start()
    try:
        yield process
    finally:
        process.kill()  # the browser keeps connections open, which a graceful stop would wait out


@pytest.fixture(scope="module")
def tab(chromium: Any) -> Iterator[Any]:
    with opened_tab(chromium, PAGE) as opened:
        yield opened


def discard_with_fault(tab: Any, mock: MockProcess, **fault: Any) -> dict[str, Any]:
    """What the page's fetch gives for a fresh instance that has `fault` for it alone."""
    status, _, ids = mock.call("POST", "/__mock/provider-states", body={"state": PENDING_STATE})
    assert status == 200, ids
    status, _, added = mock.call(
        "POST", "/__mock/faults", body={**fault, "workflowInstanceId": ids["workflowInstanceId"]}
    )
    assert status == 201, added
    seen: dict[str, Any] = tab.evaluate("([url, key]) => discard(url, key)", [mock.url(path_of(ids)), EXECUTE_KEY])
    return seen


@pytest.mark.parametrize("kind", ["connection-reset", "empty-response", "malformed-response"])
def test_a_broken_connection_is_a_network_error_to_the_page(tab: Any, mock: MockProcess, kind: str) -> None:
    assert discard_with_fault(tab, mock, kind=kind) == FAILED_TO_FETCH


def test_a_slow_body_is_a_late_but_readable_answer(tab: Any, mock: MockProcess) -> None:
    seen = discard_with_fault(tab, mock, kind="slow-body", latencyMs=600)
    assert seen == {"status": 200, "retry": None, "code": "discarded"}


@pytest.mark.parametrize(
    ("status", "code", "retry"), [(503, "SERVICE_UNAVAILABLE", "1"), (504, "GATEWAY_TIMEOUT", None)]
)
def test_an_injected_status_is_readable_with_its_retry_after(
    tab: Any, mock: MockProcess, status: int, code: str, retry: str | None
) -> None:
    assert discard_with_fault(tab, mock, status=status) == {"status": status, "retry": retry, "code": code}
