"""`discard-mock proxy` in front of a real `discard-mock serve`, both real processes on loopback.

One upstream and one proxy serve the whole module (with --report and
--record-data); the --errors, refused and timeout cases start proxies of
their own.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from ..support.helpers import (
    ACME,
    ACME_CAMPAIGN,
    EXECUTE_KEY,
    PENDING_STATE,
    UNKNOWN_INSTANCE,
    assert_error_envelope,
    bearer,
    discard_path,
    path_of,
)
from ..support.proxied import ProxyProcess, proxied
from ..support.served import MockProcess, served


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("proxy")


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockProcess]:
    with served("--quiet") as mock:
        yield mock


@pytest.fixture(scope="module")
def proxy(upstream: MockProcess, files: Path) -> Iterator[ProxyProcess]:
    with proxied(
        upstream.base_url, "--report", str(files / "report.json"), "--record-data", str(files / "data.json")
    ) as started:
        yield started


def provision(proxy: ProxyProcess) -> dict[str, str]:
    status, _, ids = proxy.call("POST", "/__mock/provider-states", body={"state": PENDING_STATE, "action": "setup"})
    assert status == 200, ids
    return ids  # type: ignore[no-any-return]


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


def journal_har(server: MockProcess) -> dict[str, Any]:
    answer = requests.get(server.url("/__mock/requests?format=har"), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


# What HAR 1.2 requires of each object (http://www.softwareishard.com/blog/har-12-spec/, "required" fields only).
HAR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["log"],
    "properties": {
        "log": {
            "type": "object",
            "required": ["version", "creator", "entries"],
            "properties": {
                "version": {"const": "1.2"},
                "creator": {"$ref": "#/$defs/creator"},
                "entries": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
            },
        }
    },
    "$defs": {
        "creator": {"type": "object", "required": ["name", "version"]},
        "pair": {
            "type": "object",
            "required": ["name", "value"],
            "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
        },
        "pairs": {"type": "array", "items": {"$ref": "#/$defs/pair"}},
        "entry": {
            "type": "object",
            "required": ["startedDateTime", "time", "request", "response", "cache", "timings"],
            "properties": {
                "startedDateTime": {"type": "string", "format": "date-time"},
                "time": {"type": "number", "minimum": 0},
                "request": {
                    "type": "object",
                    "required": [
                        "method",
                        "url",
                        "httpVersion",
                        "cookies",
                        "headers",
                        "queryString",
                        "headersSize",
                        "bodySize",
                    ],
                    "properties": {
                        "url": {"type": "string", "pattern": "^http://"},
                        "cookies": {"type": "array"},
                        "headers": {"$ref": "#/$defs/pairs"},
                        "queryString": {"$ref": "#/$defs/pairs"},
                        "headersSize": {"type": "integer"},
                        "bodySize": {"type": "integer"},
                    },
                },
                "response": {
                    "type": "object",
                    "required": [
                        "status",
                        "statusText",
                        "httpVersion",
                        "cookies",
                        "headers",
                        "content",
                        "redirectURL",
                        "headersSize",
                        "bodySize",
                    ],
                    "properties": {
                        "status": {"type": "integer"},
                        "headers": {"$ref": "#/$defs/pairs"},
                        "content": {
                            "type": "object",
                            "required": ["size", "mimeType"],
                            "properties": {"size": {"type": "integer"}, "mimeType": {"type": "string"}},
                        },
                        "headersSize": {"type": "integer"},
                        "bodySize": {"type": "integer"},
                    },
                },
                "cache": {"type": "object"},
                "timings": {
                    "type": "object",
                    "required": ["send", "wait", "receive"],
                    "properties": {name: {"type": "number", "minimum": -1} for name in ("send", "wait", "receive")},
                },
            },
        },
    },
}


@pytest.mark.parametrize("side", ["proxy", "upstream"])
def test_the_journal_as_har_has_every_field_har_requires_and_reads_back_whole(
    side: str, proxy: ProxyProcess, upstream: MockProcess
) -> None:
    from haralyzer import HarParser
    from jsonschema import Draft202012Validator

    server = proxy if side == "proxy" else upstream
    ids = provision(proxy)
    proxy.call("POST", path_of(ids) + "?source=har", headers=bearer())
    har = journal_har(server)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(HAR_SCHEMA).iter_errors(har)]
    assert problems == []
    entries = har["log"]["entries"]
    (mine,) = [e for e in entries if e["request"]["url"].endswith(path_of(ids) + "?source=har")]
    assert mine["request"]["url"].startswith(server.base_url)
    assert {"name": "source", "value": "har"} in mine["request"]["queryString"]
    authorization = next(h["value"] for h in mine["request"]["headers"] if h["name"] == "Authorization")
    assert EXECUTE_KEY not in json.dumps(har) and authorization.startswith("Bearer sk_test_…")
    assert json.loads(mine["response"]["content"]["text"])["success"] is True
    parsed = HarParser.from_string(json.dumps(har))  # the reader takes the file's text, as a HAR file holds it
    read = [entry for page in parsed.pages for entry in page.entries]
    assert [(e.request.method, e.url, e.status) for e in read] == [
        (e["request"]["method"], e["request"]["url"], e["response"]["status"]) for e in entries
    ]
    assert parsed.version == "1.2" and parsed.creator["name"] == "discard-mock"


def test_an_unknown_journal_format_is_refused_in_the_envelope(proxy: ProxyProcess) -> None:
    status, _, body = proxy.call("GET", "/__mock/requests?format=xml")
    assert status == 400
    assert_error_envelope(body, 400)
    assert "har" in body["error"]["message"]
