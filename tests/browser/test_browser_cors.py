"""A frontend on another origin, in headless Chromium: what its users see of discards and faults.

The page is served from its own loopback port, so every discard it sends
(with an Authorization header) is preceded by a CORS preflight. Chromium
only lets the page read an answer whose preflight got a 2xx, so a rendered
status proves the preflight passed; the journal shows it was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ..support.browser import opened_tab
from ..support.helpers import EXECUTE_KEY, NOT_PENDING_STATE, PENDING_STATE, path_of
from ..support.served import MockProcess

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>campaign approvals</title><link rel="icon" href="data:,"></head>
<body>
<form id="discard">
  <label>Path <input id="path" name="path"></label>
  <label>Key <input id="key" name="key"></label>
  <button type="submit">Discard</button>
</form>
<p>Status: <output id="status"></output> Code: <output id="code"></output> Retry-After: <output id="retry"></output></p>
<script>
const MOCK = "__MOCK__";
document.getElementById("discard").addEventListener("submit", async (event) => {
  event.preventDefault();
  const out = (id, text) => { document.getElementById(id).textContent = text; };
  try {
    const response = await fetch(MOCK + document.getElementById("path").value, {
      method: "POST", headers: { Authorization: "Bearer " + document.getElementById("key").value } });
    const body = await response.json();
    out("code", body.error ? body.error.code : body.data.action);
    out("retry", response.headers.get("Retry-After") || "none");
    out("status", String(response.status));
  } catch (error) {
    out("status", "failed: " + error);
  }
});
</script>
</body></html>
"""


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    process = MockProcess("--quiet").start()
    try:
        yield process
    finally:
        process.kill()  # the browser keeps connections open, which a graceful stop would wait out


@pytest.fixture
def page(chromium: Any, mock: MockProcess) -> Iterator[Any]:
    with opened_tab(chromium, PAGE.replace("__MOCK__", mock.base_url)) as tab:
        yield tab


def new_instance(mock: MockProcess, state: str = PENDING_STATE, **params: str) -> dict[str, str]:
    status, _, ids = mock.call("POST", "/__mock/provider-states", body={"state": state, "params": params})
    assert status == 200, ids
    return ids


def discard_from_page(page: Any, instance: dict[str, str]) -> dict[str, str]:
    """Submits the page's form and waits for what it renders."""
    page.evaluate("for (const id of ['status', 'code', 'retry']) document.getElementById(id).textContent = ''")
    page.fill("#path", path_of(instance))
    page.fill("#key", EXECUTE_KEY)
    page.click("button[type=submit]")
    page.wait_for_function("document.getElementById('status').textContent !== ''", timeout=15_000)
    return {name: page.text_content(f"#{name}") or "" for name in ("status", "code", "retry")}


def test_a_cross_origin_page_discards_and_then_renders_the_409(page: Any, mock: MockProcess) -> None:
    instance = new_instance(mock)
    assert discard_from_page(page, instance)["status"] == "200"
    assert discard_from_page(page, instance) == {"status": "409", "code": "CONFLICT", "retry": "none"}
    assert discard_from_page(page, new_instance(mock, NOT_PENDING_STATE, workflowStatus="completed"))["code"] == (
        "CONFLICT"
    )

    _, _, journal = mock.call("GET", "/__mock/requests")
    preflights = [e for e in journal["requests"] if e["method"] == "OPTIONS" and e["path"] == path_of(instance)]
    assert preflights and all(e["status"] == 204 for e in preflights), "the browser sent a preflight, answered 204"


def test_a_counted_429_fault_reaches_the_page_with_its_retry_after(page: Any, mock: MockProcess) -> None:
    instance = new_instance(mock)
    status, _, fault = mock.call("POST", "/__mock/faults", body={"status": 429, "count": 1, "retryAfterSeconds": 7})
    assert status == 201, fault
    try:
        seen = discard_from_page(page, instance)
        _, _, faults = mock.call("GET", "/__mock/faults")
        left = {f["id"]: f["count"] for f in faults["faults"]}
    finally:
        mock.call("DELETE", "/__mock/faults")
    assert seen == {"status": "429", "code": "RATE_LIMITED", "retry": "7"}
    assert left[fault["id"]] == 0, "the real request used the fault up, once"
    assert discard_from_page(page, instance)["status"] == "200", "the 429 changed nothing"
