"""End to end: the real `discard-mock serve` process, spoken to over HTTP on loopback.

The session's `served_mock` runs with the default flags; the flag tests start
their own process, and every process is stopped in a `finally`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from mock_server.cli import DEFAULT_HOST, DEFAULT_PORT, build_parser
from mock_server.seed import DEFAULT_DATA

from ..support.helpers import (
    CUSTOM_INSTANCE,
    CUSTOM_KEY,
    DOCS_INSTANCE,
    NOT_PENDING_STATE,
    PENDING_STATE,
    READONLY_KEY,
    ROOT,
    assert_error_envelope,
    bearer,
    discard_path,
    is_json_content_type,
    path_of,
    run_cli,
)
from ..support.served import MockProcess, served

PREFLIGHT = {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization"}  # fmt: skip


def test_defaults_are_loopback_and_prisms_port() -> None:
    """CONTRACT: `discard-mock serve` listens on 127.0.0.1:4010 unless told otherwise."""
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == (DEFAULT_HOST, DEFAULT_PORT) == ("127.0.0.1", 4010)
    assert (args.no_control, args.no_cors, args.data) == (False, False, None)


def test_serve_starts_without_the_relays_http_client() -> None:
    """`serve` reads the proxy's options but never relays: the relay's modules and requests, a fifth of
    a start to the first answer, load only when `proxy` builds its app."""
    code = (
        "import sys\n"
        "from mock_server.cli import build_parser\n"
        "from mock_server.app import create_app\n"
        "build_parser(); create_app()\n"
        "print(sorted(name for name in ('requests', 'urllib3', 'mock_server.proxy.route') if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_it_announces_a_loopback_address_with_the_chosen_port(served_mock: MockProcess) -> None:
    host, port = served_mock.host_port
    assert host == "127.0.0.1"
    assert port not in (0, DEFAULT_PORT)


def test_a_discard_and_its_repeat(served_mock: MockProcess) -> None:
    """The docs' example request works as written against the shipped data."""
    assert requests.post(served_mock.url("/__mock/reset"), timeout=10).status_code == 200
    first = requests.post(served_mock.url(discard_path()), headers=bearer(), timeout=10)
    assert first.status_code == 200
    assert is_json_content_type(first.headers["Content-Type"])
    assert first.json()["data"]["leadStatus"]["workflowStopReason"] == "CONTENT_DISCARDED"
    repeat = requests.post(served_mock.url(discard_path()), headers=bearer(), timeout=10)
    assert repeat.status_code == 409
    assert_error_envelope(repeat.json())
    assert requests.post(served_mock.url("/__mock/reset"), timeout=10).status_code == 200


def test_a_key_without_permission_is_403(served_mock: MockProcess) -> None:
    response = requests.post(served_mock.url(discard_path()), headers=bearer(READONLY_KEY), timeout=10)
    assert response.status_code == 403
    assert_error_envelope(response.json())


def test_prefer_502(served_mock: MockProcess) -> None:
    response = requests.post(served_mock.url(discard_path()), headers={"Prefer": "code=502"}, timeout=10)
    assert response.status_code == 502
    body = response.json()
    assert_error_envelope(body)
    assert body["error"]["code"] == "UPSTREAM_ERROR"


def test_a_provider_state_then_its_discard(served_mock: MockProcess) -> None:
    response = requests.post(
        served_mock.url("/__mock/provider-states"),
        json={"consumer": "e2e", "state": PENDING_STATE, "params": {}, "action": "setup"},
        timeout=10,
    )
    assert response.status_code in (200, 201)
    ids = response.json()
    assert requests.post(served_mock.url(path_of(ids)), headers=bearer(), timeout=10).status_code == 200
    assert requests.post(served_mock.url(path_of(ids)), headers=bearer(), timeout=10).status_code == 409


def test_legacy_and_query_form_provider_states_over_http(served_mock: MockProcess) -> None:
    legacy = requests.post(
        served_mock.url("/__mock/provider-states"),
        json={"consumer": "web", "state": PENDING_STATE, "states": [PENDING_STATE], "params": {}},
        timeout=10,
    )
    assert legacy.status_code in (200, 201)
    assert requests.post(served_mock.url(path_of(legacy.json())), headers=bearer(), timeout=10).status_code == 200
    query = requests.post(
        served_mock.url("/__mock/provider-states"),
        params={"state": NOT_PENDING_STATE, "action": "setup", "workflowStatus": "completed"},
        timeout=10,
    )
    assert query.status_code in (200, 201)
    stored = requests.get(served_mock.url(f"/__mock/instances/{query.json()['workflowInstanceId']}"), timeout=10)
    assert stored.json()["workflowStatus"] == "completed"


def test_a_cors_preflight(served_mock: MockProcess) -> None:
    response = requests.options(served_mock.url(discard_path()), headers=PREFLIGHT, timeout=10)
    assert response.status_code == 204 and response.content == b"", "a preflight is a 204 with no body, as Prism's"
    assert response.headers["Access-Control-Allow-Origin"] in ("*", PREFLIGHT["Origin"])
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()


def test_each_request_is_logged_with_method_path_status_time_and_trace_id(served_mock: MockProcess) -> None:
    path = discard_path(workflow_instance_id="0" * 24)
    trace_id = requests.post(served_mock.url(path), headers=bearer(), timeout=10).json()["traceId"]
    line = served_mock.wait_for_line(lambda text: trace_id in text)
    assert line is not None, "no log line names the request's traceId"
    assert re.search(rf"POST {re.escape(path)} 404 \d+(\.\d+)?ms {trace_id}", line), line


def test_a_newline_in_a_path_cannot_forge_a_log_line(served_mock: MockProcess) -> None:
    path = "/v1/nowhere%0a2026-01-01 00:00:00,000 POST /forged 200"
    trace_id = requests.post(served_mock.url(path), headers=bearer(), timeout=10).json()["traceId"]
    line = served_mock.wait_for_line(lambda text: trace_id in text)
    assert line is not None, "no log line names the request's traceId"
    assert "/v1/nowhere\\n2026-01-01" in line, line
    assert not any(text.startswith("2026-01-01 00:00:00,000 POST /forged") for text in served_mock.lines)


def test_a_port_in_use_is_one_clear_line(served_mock: MockProcess) -> None:
    _, port = served_mock.host_port
    result = run_cli(["serve", "--host", "127.0.0.1", "--port", str(port)], timeout=30)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"discard-mock: cannot listen on 127.0.0.1:{port}: "), lines
    assert "in use" in lines[0].lower(), lines


def test_sigterm_stops_it_cleanly(tmp_path: Path) -> None:
    mock = MockProcess("--quiet").start()
    try:
        assert mock.call("GET", "/__mock/faults")[0] == 200
        assert mock.process is not None
        mock.process.terminate()  # SIGTERM to the main process only, as a service manager sends it
        assert mock.process.wait(timeout=20) == 0
        assert not any("Traceback" in line for line in mock.lines), "".join(mock.lines)
    finally:
        mock.kill()


def test_no_control_leaves_out_the_control_api() -> None:
    with served("--no-control") as mock:
        for method, path in (
            ("POST", "/__mock/provider-states"),
            ("POST", "/__mock/reset"),
            ("GET", "/__mock/instances"),
        ):
            response = requests.request(method, mock.url(path), json={"state": PENDING_STATE}, timeout=10)
            assert response.status_code == 404, path
            assert_error_envelope(response.json())
        assert requests.post(mock.url(discard_path()), headers=bearer(), timeout=10).status_code == 200


def test_no_cors_refuses_preflights() -> None:
    with served("--no-cors") as mock:
        response = requests.options(mock.url(discard_path()), headers=PREFLIGHT, timeout=10)
        assert response.status_code == 405
        assert_error_envelope(response.json())
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_data_serves_a_custom_data_file(tmp_path: Path) -> None:
    instance = CUSTOM_INSTANCE
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"apiKeys": [CUSTOM_KEY], "instances": [instance]}), encoding="utf-8")
    with served("--data", str(data)) as mock:
        custom = requests.post(mock.url(path_of(instance)), headers=bearer("sk_custom"), timeout=10)
        assert custom.status_code == 200
        assert custom.json()["data"]["leadStatus"]["leadId"] == instance["leadId"]
        shipped = requests.post(mock.url(discard_path()), headers=bearer(), timeout=10)
        assert shipped.status_code == 401, "the shipped keys are not in the custom file"
        state = requests.post(mock.url("/__mock/provider-states"), json={"state": PENDING_STATE}, timeout=10).json()
        assert state["accountGroupId"] == "team-a"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "cannot read JSON"),
        ('{"apiKeys": [], "instances": [{"workflowInstanceId": "x"}]}', "instances/0"),
        (None, "cannot read"),
    ],
    ids=["not-json", "invalid-instance", "missing-file"],
)
def test_a_bad_data_file_exits_2_with_a_clear_message(tmp_path: Path, content: str | None, expected: str) -> None:
    data = tmp_path / "data.json"
    if content is not None:
        data.write_text(content, encoding="utf-8")
    result = run_cli(["serve", "--port", "0", "--data", str(data)])
    assert result.returncode == 2
    assert result.stderr.startswith("discard-mock: "), result.stderr
    assert str(data) in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "listening" not in result.stderr


def test_the_console_script_is_installed_and_serves(tmp_path: Path) -> None:
    """`discard-mock` (the README's command) is the same CLI as `python -m mock_server`."""
    script = Path(sys.executable).with_name("discard-mock")
    assert script.exists(), f"{script} is missing: install the project (pip install -e .)"
    result = subprocess.run(
        [str(script), "serve", "--data", str(tmp_path / "absent.json")], cwd=ROOT, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "discard-mock: " in result.stderr


def test_the_shipped_data_file_is_what_serves_by_default(served_mock: MockProcess) -> None:
    shipped = json.loads(DEFAULT_DATA.read_text(encoding="utf-8"))["instances"]
    requests.post(served_mock.url("/__mock/reset"), timeout=10)
    listed = requests.get(served_mock.url("/__mock/instances"), timeout=10).json()["instances"]
    assert sorted(listed, key=lambda d: d["workflowInstanceId"]) == sorted(
        shipped, key=lambda d: d["workflowInstanceId"]
    )
    assert any(d["workflowInstanceId"] == DOCS_INSTANCE for d in listed)
