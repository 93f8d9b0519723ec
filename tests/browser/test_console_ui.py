"""The web console at /__mock/ui in headless Chromium: it shows the mock's state and changes it.

The mock runs with a control token, as a shared one should: the console asks
for it once, keeps it for the tab and sends it with every control call. The
page is never reloaded: what the API changes appears through its polling.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from ..support.helpers import EXECUTE_KEY, READONLY_KEY, bearer, path_of
from ..support.served import MockProcess, call

TOKEN = "console-test-token"
CONTROL = {"X-Mock-Control-Token": TOKEN}
WAIT_MS = 10_000


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    process = MockProcess("--quiet", "--control-token", TOKEN).start()
    try:
        yield process
    finally:
        process.kill()  # the browser keeps connections open, which a graceful stop would wait out


def control(mock: MockProcess, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, _, answer = call(mock.url(path), method, headers=CONTROL, body=body)
    return status, answer


@pytest.fixture
def console(chromium: Any, mock: MockProcess) -> Iterator[Any]:
    """The console, past its token prompt, with the mock's seeded data."""
    assert control(mock, "POST", "/__mock/reset")[0] == 200
    assert control(mock, "DELETE", "/__mock/faults")[0] == 200
    # bypass_csp: Playwright evaluates its wait conditions as strings, which the page's CSP forbids.
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(mock.url("/__mock/ui"))
        page.wait_for_selector("#token", state="visible", timeout=WAIT_MS)  # the API said 401: it asks
        page.fill("#token", TOKEN)
        page.press("#token", "Enter")
        page.wait_for_selector("#instances tbody tr", timeout=WAIT_MS)
        yield page
    finally:
        context.close()


def instance_ids_shown(page: Any) -> set[str]:
    return set(page.eval_on_selector_all("#instances tbody tr", "rows => rows.map(r => r.dataset.id)"))


def test_it_lists_every_seeded_instance_and_keeps_the_token_for_the_tab(console: Any, mock: MockProcess) -> None:
    status, listed = control(mock, "GET", "/__mock/instances")
    assert status == 200
    seeded = {doc["workflowInstanceId"] for doc in listed["instances"]}
    assert len(seeded) > 10
    console.wait_for_function(f"document.querySelectorAll('#instances tbody tr').length === {len(seeded)}")
    assert instance_ids_shown(console) == seeded
    assert console.evaluate("sessionStorage.getItem('discard-mock-control-token')") == TOKEN
    unlabelled = console.evaluate(
        """[...document.querySelectorAll('input, select, button')]
             .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
             .map(e => e.id || e.outerHTML)"""
    )
    assert unlabelled == [], "every control has a label a screen reader can read"

    console.select_option("#f-pending", "true")  # a filter narrows the list to what the API's filter returns
    _, pending = control(mock, "GET", "/__mock/instances?hasPendingApproval=true")
    wanted = {doc["workflowInstanceId"] for doc in pending["instances"]}
    console.wait_for_function(f"document.querySelectorAll('#instances tbody tr').length === {len(wanted)}")
    assert instance_ids_shown(console) == wanted


def test_a_discard_sent_by_another_client_appears_in_the_journal(console: Any, mock: MockProcess) -> None:
    _, listed = control(mock, "GET", "/__mock/instances?hasPendingApproval=true")
    instance = listed["instances"][0]
    status, _, answer = call(mock.url(path_of(instance)), "POST", headers=bearer(EXECUTE_KEY))
    assert status == 200

    row = console.locator("#journal tbody tr", has_text=instance["workflowInstanceId"]).first
    row.wait_for(timeout=WAIT_MS)
    text = row.inner_text()
    assert "200" in text and answer["traceId"] in text
    assert EXECUTE_KEY not in text and "sk_test_" in text, "the key is shown masked"
    discarded_row = console.locator("#instances tbody tr", has_text=instance["workflowInstanceId"])
    discarded_row.filter(has_text="stopped").wait_for(timeout=WAIT_MS)

    row.get_by_role("button").press("Enter")  # from the keyboard: the full exchange, and the curl line
    assert answer["traceId"] in console.inner_text("#ex-response")
    curl = console.inner_text("#curl")
    assert curl.startswith(f"curl -i -X 'POST' '{mock.url(path_of(instance))}'") and "Authorization: Bearer" in curl


def test_creating_an_instance_and_adding_a_fault_in_the_console_change_the_api(console: Any, mock: MockProcess) -> None:
    _, before = control(mock, "GET", "/__mock/instances")
    console.check("input[name=pending][value=false]")
    console.select_option("#c-status", "completed")
    console.click("#create button[type=submit]")
    console.wait_for_function("document.getElementById('create-result').textContent.startsWith('Created')")
    _, after = control(mock, "GET", "/__mock/instances")
    [created] = [d for d in after["instances"] if d not in before["instances"]]
    assert created["workflowStatus"] == "completed" and created["hasPendingApproval"] is False
    assert created["workflowInstanceId"] in console.inner_text("#create-result")

    console.fill("#fa-status", "502")
    console.fill("#fa-count", "2")
    console.fill("#fa-instance", created["workflowInstanceId"])
    console.click("#fault button[type=submit]")
    console.locator("#faults tbody tr", has_text="502").wait_for(timeout=WAIT_MS)
    _, faults = control(mock, "GET", "/__mock/faults")
    assert [(f["status"], f["count"], f["workflowInstanceId"]) for f in faults["faults"]] == [
        (502, 2, created["workflowInstanceId"])
    ]
    status, _, _ = call(mock.url(path_of(created)), "POST", headers=bearer(EXECUTE_KEY))
    assert status == 502, "the console's fault is in force on the API"

    console.locator("#faults tbody tr", has_text="502").get_by_role("button", name="Remove").click()
    console.locator("#faults tbody tr", has_text="No faults").wait_for(timeout=WAIT_MS)
    assert control(mock, "GET", "/__mock/faults")[1]["faults"] == []

    console.fill("#fa-status", "")
    console.select_option("#fa-kind", "slow-body")
    console.fill("#fa-latency", "200")
    console.click("#fault button[type=submit]")
    console.locator("#faults tbody tr", has_text="slow-body").wait_for(timeout=WAIT_MS)
    [fault] = control(mock, "GET", "/__mock/faults")[1]["faults"]
    assert (fault["kind"], fault["latencyMs"], fault["status"]) == ("slow-body", 200, None)
    console.select_option("#fa-kind", "empty-response")  # the default server cannot break a connection: it says so
    console.click("#fault button[type=submit]")
    console.wait_for_function("document.getElementById('fault-result').textContent.includes('--server gunicorn')")
    assert control(mock, "DELETE", "/__mock/faults")[0] == 200


def test_a_discard_sent_from_the_console_uses_the_chosen_key(console: Any, mock: MockProcess) -> None:
    _, listed = control(mock, "GET", "/__mock/instances?hasPendingApproval=true")
    instance = listed["instances"][0]
    console.locator("#instances tbody tr", has_text=instance["workflowInstanceId"]).get_by_role("button").click()
    assert console.evaluate("document.activeElement.id") == "d-key", "focus moves to the key, ready to type"
    console.fill("#d-key", "sk_test_readonly")
    console.click("#discard button[type=submit]")
    console.locator("#discard-result", has_text="403").wait_for(timeout=WAIT_MS)
    assert "FORBIDDEN" in console.inner_text("#discard-result")
    _, doc = control(mock, "GET", f"/__mock/instances/{instance['workflowInstanceId']}")
    assert doc["hasPendingApproval"] is True, "a refused discard changed nothing"


def run_curl(line: str, api_key: str | None = None) -> str:
    """The curl line as a person pastes it into a shell (with API_KEY exported, or not)."""
    env = {"PATH": os.environ["PATH"], **({"API_KEY": api_key} if api_key else {})}
    result = subprocess.run(["bash", "-c", line], capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def open_exchange(page: Any, trace_id: str) -> str:
    """Opens the journal's exchange with this traceId; its curl line."""
    row = page.locator("#journal tbody tr", has_text=trace_id).first
    row.wait_for(timeout=WAIT_MS)
    row.get_by_role("button").click()
    page.wait_for_function(f"document.getElementById('ex-response').textContent.includes('{trace_id}')")
    return str(page.inner_text("#curl"))


def test_the_curl_line_of_a_console_discard_runs_with_the_key_typed(console: Any, mock: MockProcess) -> None:
    _, listed = control(mock, "GET", "/__mock/instances?hasPendingApproval=true")
    instance = listed["instances"][0]
    console.locator("#instances tbody tr", has_text=instance["workflowInstanceId"]).get_by_role("button").click()
    console.fill("#d-key", READONLY_KEY)
    console.click("#discard button[type=submit]")
    console.locator("#discard-result", has_text="403").wait_for(timeout=WAIT_MS)
    trace_id = json.loads(console.inner_text("#discard-result pre"))["traceId"]

    curl = open_exchange(console, trace_id)
    assert curl.startswith(f"curl -i -X 'POST' '{mock.url(path_of(instance))}'"), curl
    assert f"-H 'Authorization: Bearer {READONLY_KEY}'" in curl, curl
    answer = run_curl(curl)  # no API_KEY needed: the line carries the key typed
    assert answer.startswith("HTTP/1.1 403 "), answer
    assert '"code":"FORBIDDEN"' in answer, "the same answer as the console's: the key was sent as typed"


def test_another_clients_request_shows_no_key_and_its_curl_line_takes_api_key(console: Any, mock: MockProcess) -> None:
    _, listed = control(mock, "GET", "/__mock/instances?hasPendingApproval=true")
    instance = listed["instances"][0]
    sent = {
        "Authorization": f"Bearer {EXECUTE_KEY}",
        "Proxy-Authorization": f"Bearer {EXECUTE_KEY}",
        "X-Auth-Token": EXECUTE_KEY,
    }
    status, _, answer = call(mock.url(path_of(instance)), "POST", headers=sent)
    assert status == 200, answer

    curl = open_exchange(console, answer["traceId"])
    shown = console.evaluate("document.body.innerText")
    assert EXECUTE_KEY not in shown and "sk_test_…cute" in shown, "the journal's view shows keys masked"
    assert EXECUTE_KEY not in curl and '-H "Authorization: Bearer $API_KEY"' in curl, curl
    assert "…" not in curl, "no masked value is sent"
    again = run_curl(curl, api_key=EXECUTE_KEY)
    assert again.startswith("HTTP/1.1 409 "), again  # the key from $API_KEY was accepted: the discard is done
