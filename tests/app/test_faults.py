"""Injected faults: the rules (pure), the control API, the serve flags, and sharing across workers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server import create_app
from mock_server.config import ConfigError
from mock_server.context import EXTENSION_KEY
from mock_server.faults import Fault, FaultError, inject, parse_fault

from ..support.helpers import ACME, DOCS_INSTANCE, PENDING_ACME, assert_error_envelope, bearer, discard_path
from ..support.served import served

ERRORS = (400, 401, 403, 404, 409, 429, 500, 502)
DOCS_PATH = discard_path()
OTHER_PATH = discard_path(workflow_instance_id=PENDING_ACME)


# The rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ({}, "status to answer with"),
        ({"status": 399}, "error status from 400 to 599"),
        ({"status": 600}, "error status from 400 to 599"),
        ({"status": "500"}, "error status from 400 to 599"),
        ({"status": 500, "count": 0}, "count"),
        ({"status": 500, "count": True}, "count"),
        ({"status": 500, "probability": 0}, "probability"),
        ({"status": 500, "probability": 1.5}, "probability"),
        ({"status": 500, "count": 1, "probability": 0.5}, "not both"),
        ({"status": 500, "latencyMs": -1}, "latencyMs"),
        ({"status": 500, "latencyMs": 60_001}, "latencyMs"),
        ({"status": 500, "workflowInstanceId": ""}, "workflowInstanceId"),
        ({"status": 500, "retryAfterSeconds": 3}, "429 or 503 only"),
        ({"status": 429, "retryAfterSeconds": -1}, "retryAfterSeconds"),
        ({"status": 500, "colour": "red"}, "colour"),
        ([500], "JSON object"),
    ],
)
def test_a_fault_that_cannot_be_used_is_refused_with_the_reason(doc: Any, problem: str) -> None:
    with pytest.raises(FaultError, match=problem):
        parse_fault(doc, ERRORS)


def test_a_429_fault_says_when_to_retry_by_default() -> None:
    assert parse_fault({"status": 429}, ERRORS).retry_after_seconds == 1
    assert parse_fault({"status": 429, "retryAfterSeconds": 7}, ERRORS).retry_after_seconds == 7


def test_inject_adds_every_latency_and_answers_with_the_first_error_that_fires() -> None:
    faults = [
        Fault("slow", latency_ms=300),
        Fault("elsewhere", status=502, workflow_instance_id="x"),
        Fault("maybe", status=500, probability=0.5),
        Fault("counted", status=429, count=1, latency_ms=100),
        Fault("never reached", status=500, count=5),
    ]
    spent: list[str] = []

    def consume(fault: Fault) -> bool:
        spent.append(fault.id)
        return True

    assert _fired(faults, "y", consume, chance=0.9) == (300, "counted")
    assert spent == ["counted"]  # later counted faults are not consulted
    assert _fired(faults, "y", consume, chance=0.1) == (300, "maybe")
    assert _fired(faults, "x", consume, chance=0.9) == (300, "elsewhere")
    assert _fired(faults[:1], "x", consume, chance=0.9) == (300, None)
    assert _fired(faults[1:2], "y", consume, chance=0.0) is None


def test_a_counted_fault_with_no_hits_left_does_not_fire() -> None:
    assert _fired([Fault("spent", status=500, count=1)], "x", lambda _: False, chance=0.0) is None


def _fired(
    faults: list[Fault], instance_id: str, consume: Callable[[Fault], bool], chance: float
) -> tuple[int, str | None] | None:
    """(latency, id of the answering fault) of `inject`, or None when nothing fired."""
    injection = inject(faults, instance_id, consume, lambda: chance)
    if injection is None:
        return None
    return injection.latency_ms, injection.error.id if injection.error else None


# The control API ---------------------------------------------------------------


def _add(client: FlaskClient, **fault: Any) -> dict[str, Any]:
    response = client.post("/__mock/faults", json=fault)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _pending(client: FlaskClient, instance_id: str = DOCS_INSTANCE) -> bool:
    return client.get(f"/__mock/instances/{instance_id}").get_json()["hasPendingApproval"]


@pytest.mark.parametrize("status", ERRORS)
def test_an_injected_error_wears_the_envelope_and_changes_nothing(client: FlaskClient, status: int) -> None:
    fault = _add(client, status=status, count=1)
    response = client.post(DOCS_PATH, headers=bearer())
    assert response.status_code == status
    assert_error_envelope(response.get_json(), status)
    assert fault["id"] in response.get_json()["error"]["message"]
    assert response.get_json()["error"]["details"] == f"fault {fault['id']}"
    assert ("Retry-After" in response.headers) is (status == 429)
    assert _pending(client)
    assert client.post(DOCS_PATH, headers=bearer()).status_code == 200  # the fault is spent


def test_a_counted_fault_hits_exactly_that_many_requests(client: FlaskClient) -> None:
    _add(client, status=502, count=3)
    unknown = discard_path(workflow_instance_id="0" * 24)
    statuses = [client.post(unknown, headers=bearer()).status_code for _ in range(6)]
    assert statuses == [502, 502, 502, 404, 404, 404]


def test_a_fault_for_one_instance_leaves_the_others_alone(client: FlaskClient) -> None:
    _add(client, status=500, workflowInstanceId=PENDING_ACME)
    assert client.post(OTHER_PATH, headers=bearer()).status_code == 500
    assert client.post(DOCS_PATH, headers=bearer()).status_code == 200
    assert client.post(OTHER_PATH, headers=bearer()).status_code == 500  # no count: until removed
    assert _pending(client, PENDING_ACME)


def test_an_injected_429_carries_its_retry_after(client: FlaskClient) -> None:
    _add(client, status=429, retryAfterSeconds=5)
    response = client.post(DOCS_PATH, headers=bearer())
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "RATE_LIMITED"
    fault_id = client.get("/__mock/faults").get_json()["faults"][0]["id"]
    assert response.get_json()["error"]["message"] == (
        f"Too Many Requests, injected by the mock (fault {fault_id}); the request changed nothing. "
        "Retry after 5 second(s)."
    )


def test_latency_delays_the_request_which_then_goes_on() -> None:
    slept: list[float] = []
    client = create_app({"SLEEP": slept.append}).test_client()
    _add(client, latencyMs=250)
    _add(client, status=502, latencyMs=100, workflowInstanceId=PENDING_ACME)
    assert client.post(DOCS_PATH, headers=bearer()).status_code == 200
    assert client.post(OTHER_PATH, headers=bearer()).status_code == 502
    assert slept == [0.25, 0.25]


def test_faults_are_listed_removed_and_cleared(client: FlaskClient) -> None:
    first = _add(client, status=500, probability=0.25)
    second = _add(client, status=429, count=2, workflowInstanceId=DOCS_INSTANCE, latencyMs=10)
    assert client.get("/__mock/faults").get_json() == {"faults": [first, second]}
    assert second == {
        "id": second["id"],
        "status": 429,
        "documented": True,
        "kind": None,
        "count": 2,
        "probability": None,
        "latencyMs": 10,
        "workflowInstanceId": DOCS_INSTANCE,
        "retryAfterSeconds": 1,
    }
    assert client.delete(f"/__mock/faults/{first['id']}").get_json() == {"removed": first["id"]}
    missing = client.delete(f"/__mock/faults/{first['id']}")
    assert missing.status_code == 404
    assert_error_envelope(missing.get_json(), 404)
    assert client.delete("/__mock/faults").get_json() == {"cleared": 1}
    assert client.get("/__mock/faults").get_json() == {"faults": []}
    assert client.post(DOCS_PATH, headers=bearer()).status_code == 200


@pytest.mark.parametrize("body", [{"status": 600}, {"status": 500, "count": -2}, {"kind": "reset"}])
def test_a_bad_fault_gets_a_400_envelope_and_adds_nothing(client: FlaskClient, body: dict[str, Any]) -> None:
    response = client.post("/__mock/faults", json=body)
    assert response.status_code == 400
    assert_error_envelope(response.get_json(), 400)
    assert client.get("/__mock/faults").get_json() == {"faults": []}


def test_the_rules_answer_when_the_injection_passes(client: FlaskClient) -> None:
    _add(client, status=500, probability=1e-12)
    assert client.post(DOCS_PATH, headers=bearer("sk_nobody")).status_code == 401
    assert client.post(DOCS_PATH, headers=bearer()).status_code == 200


def test_faults_never_touch_the_control_api(client: FlaskClient) -> None:
    _add(client, status=500)
    assert client.get("/__mock/instances").status_code == 200
    assert client.post("/__mock/reset").status_code == 200


# Configured faults (the serve flags) ----------------------------------------------


def test_configured_faults_apply_from_the_start_and_can_be_cleared() -> None:
    client = create_app({"FAULTS": [{"status": 502, "probability": 1.0}]}).test_client()
    assert client.post(DOCS_PATH, headers=bearer()).status_code == 502
    assert client.delete("/__mock/faults").get_json() == {"cleared": 1}
    assert client.post(DOCS_PATH, headers=bearer()).status_code == 200


def test_an_unusable_configured_fault_stops_the_start() -> None:
    with pytest.raises(ConfigError, match="error status from 400 to 599"):
        create_app({"FAULTS": [{"status": 600, "probability": 0.5}]})


def test_without_control_api_and_faults_the_endpoint_has_no_gate() -> None:
    """Nothing could ever inject a fault, so no request pays for checking."""
    assert create_app({"CONTROL_API": False}).extensions[EXTENSION_KEY].endpoint.faults is None
    assert create_app().extensions[EXTENSION_KEY].endpoint.faults is not None


def test_faults_start_over_when_the_mock_restarts_on_its_store(tmp_path: Path) -> None:
    config = {"STORE": f"sqlite:{tmp_path / 'mock.db'}"}
    _add(create_app(config).test_client(), status=500)
    restarted = create_app(config).test_client()
    assert restarted.get("/__mock/faults").get_json() == {"faults": []}
    assert restarted.post(DOCS_PATH, headers=bearer()).status_code == 200


# Across worker processes ------------------------------------------------------------


def test_a_counted_fault_is_shared_by_every_worker(tmp_path: Path) -> None:
    with served("--quiet", "--workers", "3", "--store", f"sqlite:{tmp_path / 'mock.db'}", "--error-rate", "1") as mock:
        status, _, body = mock.call("GET", "/__mock/faults")
        assert status == 200 and [f["probability"] for f in body["faults"]] == [1.0]
        assert mock.call("DELETE", "/__mock/faults")[0] == 200  # one worker clears it for all
        status, _, fault = mock.call("POST", "/__mock/faults", body={"status": 502, "count": 7})
        assert status == 201, fault
        unknown = {"accountGroupId": ACME, "campaignId": "0" * 24, "workflowInstanceId": "0" * 24}
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = Counter(pool.map(lambda _: mock.discard(unknown)[0], range(30)))
        assert statuses == {502: 7, 404: 23}
        _, _, listed = mock.call("GET", "/__mock/faults")
        assert listed["faults"][0]["count"] == 0
