"""`discard-mock proxy` in front of a real `discard-mock serve`, both real processes on loopback.

One upstream and one proxy serve the whole module (conftest.py: with --report
and --record-data); the --errors, refused and timeout cases start proxies of
their own.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import requests

from ..support.helpers import (
    ACME,
    ACME_CAMPAIGN,
    EXECUTE_KEY,
    UNKNOWN_INSTANCE,
    assert_error_envelope,
    bearer,
    discard_path,
    path_of,
)
from ..support.proxied import ProxyProcess, provision, proxied
from ..support.served import MockProcess, served


def test_a_request_reaches_the_upstream_unchanged_and_its_answer_comes_back_unchanged(
    proxy: ProxyProcess, upstream: MockProcess
) -> None:
    ids = provision(proxy)
    sent = requests.post(
        proxy.url(path_of(ids) + "?trace=yes&x=%20y"),
        headers={**bearer(), "X-Client": "web 1.2", "Connection": "keep-alive, X-Hop", "X-Hop": "only-this-hop"},
        timeout=10,
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["data"]["workflowInstanceId"] == ids["workflowInstanceId"]
    assert "sl-violations" not in sent.headers
    seen = requests.get(upstream.url("/__mock/requests"), timeout=10).json()["requests"][-1]
    assert (seen["method"], seen["path"], seen["query"]) == ("POST", path_of(ids), "trace=yes&x=%20y")
    assert seen["headers"]["X-Client"] == "web 1.2"
    assert seen["headers"]["Host"] == upstream.base_url.removeprefix("http://")  # Host names the upstream
    assert "X-Hop" not in seen["headers"]  # named by Connection: hop-by-hop (RFC 9110 7.6.1)
    assert "User-Agent" in seen["headers"] and "python-requests" in seen["headers"]["User-Agent"]  # the client's own
    assert seen["responseBody"] == sent.text  # the upstream's body, byte for byte
    assert seen["traceId"] == sent.json()["traceId"]


def test_a_query_of_raw_utf8_bytes_reaches_the_upstream_as_its_text(proxy: ProxyProcess, upstream: MockProcess) -> None:
    """Sent unencoded (curl sends it so), the query is relayed as the same text, not its bytes read as latin-1."""
    target = discard_path(workflow_instance_id=UNKNOWN_INSTANCE) + "?note=é☃"
    with socket.create_connection(proxy.host_port, timeout=10) as sock:
        sock.sendall(
            f"POST {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {EXECUTE_KEY}\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 404 "), answer[:300]
    seen = requests.get(upstream.url("/__mock/requests"), timeout=10).json()["requests"][-1]
    assert seen["query"] == "note=%C3%A9%E2%98%83", seen  # the text's UTF-8, percent-encoded on the way


def test_the_proxy_answers_its_own_control_calls_and_relays_the_upstreams(proxy: ProxyProcess) -> None:
    for path in ("/__mock/violations", "/__mock/report", "/__mock/faults"):
        assert proxy.call("GET", path)[0] == 200, path
    status, _, body = proxy.call("GET", "/__mock/instances")  # the upstream's instances: the proxy holds none
    assert status == 200 and body["total"] > 0


def test_an_injected_fault_answers_in_front_of_the_upstream_which_never_sees_the_request(
    proxy: ProxyProcess, upstream: MockProcess
) -> None:
    ids = provision(proxy)
    status, _, fault = proxy.call("POST", "/__mock/faults", body={"status": 503 - 1, "count": 1})
    assert status == 201, fault
    before = len(requests.get(upstream.url("/__mock/requests"), timeout=10).json()["requests"])
    status, _, body = proxy.discard(ids)
    assert status == 502
    assert_error_envelope(body)
    assert fault["id"] in body["error"]["details"]
    assert len(requests.get(upstream.url("/__mock/requests"), timeout=10).json()["requests"]) == before
    assert proxy.discard(ids)[0] == 200  # the count is spent: relayed again


def test_a_correct_upstream_leaves_no_violation_and_the_report_says_so(proxy: ProxyProcess, files: Path) -> None:
    ids = provision(proxy)
    assert [proxy.discard(ids)[0] for _ in range(3)] == [200, 409, 409]
    assert proxy.discard({**ids, "workflowInstanceId": UNKNOWN_INSTANCE})[0] == 404
    assert proxy.call("GET", "/__mock/violations")[2]["total"] == 0
    report = proxy.call("GET", "/__mock/report")[2]
    assert report == json.loads((files / "report.json").read_text())
    verdicts = {rule["id"]: rule["verdict"] for rule in report["rules"]}
    assert verdicts["repeat-409"] == verdicts["envelope"] == verdicts["discard-200"] == "passed"
    assert set(report) >= {"target", "seed", "rules", "statuses"}
    assert report["statuses"]["409"] >= 2


def test_recorded_data_starts_a_mock_that_knows_the_instances(proxy: ProxyProcess, files: Path) -> None:
    given = provision(proxy)
    discarded = provision(proxy)
    assert proxy.discard(discarded)[0] == 200
    status, _, doc = proxy.call("POST", "/__mock/record")
    assert status == 200
    assert doc == json.loads((files / "data.json").read_text())
    assert EXECUTE_KEY not in json.dumps(doc["recorded"])
    filled = doc["recorded"]["filledIn"]
    assert "leadId" not in filled.get(given["workflowInstanceId"], [])
    with served("--quiet", "--data", str(files / "data.json")) as replay:
        known = replay.instances()
        assert known[given["workflowInstanceId"]]["hasPendingApproval"] is True
        assert known[given["workflowInstanceId"]]["leadId"] == given["leadId"]
        assert known[discarded["workflowInstanceId"]]["workflowStopReason"] == "CONTENT_DISCARDED"
        assert replay.discard(given)[0] == 200  # the default key reaches the recorded account group
        assert replay.discard(discarded)[0] == 409


def test_a_lead_no_answer_showed_is_filled_in_and_marked(proxy: ProxyProcess) -> None:
    path = discard_path(ACME, ACME_CAMPAIGN, "64b7f0c2a1e4d93f5c2b8b04")  # seeded, completed: a 409 shows no lead
    assert proxy.call("POST", path, headers=bearer())[0] == 409
    doc = proxy.call("POST", "/__mock/record")[2]
    assert doc["recorded"]["filledIn"]["64b7f0c2a1e4d93f5c2b8b04"][0] == "leadId"
    (recorded,) = [i for i in doc["instances"] if i["workflowInstanceId"] == "64b7f0c2a1e4d93f5c2b8b04"]
    assert recorded["workflowStatus"] == "completed" and recorded["hasPendingApproval"] is False


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_upstream_that_refuses_the_connection_is_a_502_that_says_so() -> None:
    upstream = f"http://127.0.0.1:{_closed_port()}"
    with proxied(upstream) as proxy:
        status, _, body = proxy.call("POST", discard_path(), headers=bearer())
    assert status == 502
    assert_error_envelope(body)
    assert "refused the connection" in body["error"]["message"] and upstream in body["error"]["message"]


def test_an_upstream_that_never_answers_is_a_502_that_says_it_timed_out() -> None:
    with socket.socket() as silent:  # listens (the kernel completes the handshake) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        upstream = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with proxied(upstream, "--upstream-timeout", "0.5") as proxy:
            status, _, body = proxy.call("POST", discard_path(), headers=bearer())
    assert status == 502
    assert_error_envelope(body)
    assert "timeout" in body["error"]["message"] and upstream in body["error"]["message"]


def test_with_errors_a_request_that_breaks_the_spec_is_answered_by_the_proxy_and_never_sent(
    upstream: MockProcess,
) -> None:
    with proxied(upstream.base_url, "--errors") as proxy:
        before = len(requests.get(upstream.url("/__mock/requests"), timeout=10).json()["requests"])
        status, headers, body = proxy.call("POST", discard_path(workflow_instance_id="not-an-id"), headers=bearer())
        assert status == 400
        assert_error_envelope(body, 400)
        assert "workflowInstanceId" in body["error"]["message"]
        assert json.loads(headers["sl-violations"])[0]["location"] == ["request", "path", "workflowInstanceId"]
        status, _, body = proxy.call("POST", discard_path())
        assert status == 401 and "Authorization" in body["error"]["message"]
        after = len(requests.get(upstream.url("/__mock/requests"), timeout=10).json()["requests"])
    assert after == before


def test_a_cors_preflight_is_answered_by_the_proxy_as_serve_answers_it(proxy: ProxyProcess) -> None:
    preflight = {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization"}  # fmt: skip
    answer = requests.options(proxy.url(discard_path()), headers=preflight, timeout=10)
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] in ("*", "http://localhost:5173")
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
