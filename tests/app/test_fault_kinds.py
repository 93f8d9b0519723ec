"""Fault kinds and statuses beyond the documented ones: the rules (pure) and the app in process.

What a client sees of them over a socket is tested in tests/served/test_network_faults.py;
here, what the app decides: which faults it takes, which it refuses and why, and what it
hands the server (an answer, a slow body, or a BreakConnection).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server import create_app
from mock_server.faults import Fault, FaultError, inject, parse_fault
from mock_server.wire_faults import SLOW_BODY_PIECES, BreakConnection

from ..support.helpers import DOCS_INSTANCE, PENDING_ACME, assert_error_envelope, bearer, discard_path

DOCUMENTED = (400, 401, 403, 404, 409, 429, 500, 502)
DOCS_PATH = discard_path()
OTHER_PATH = discard_path(workflow_instance_id=PENDING_ACME)
BREAKING = ("connection-reset", "empty-response", "malformed-response")


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ({"kind": "reset"}, "kind must be one of connection-reset, empty-response, malformed-response, slow-body"),
        ({"kind": 3}, "kind must be one of"),
        ({"kind": "connection-reset", "status": 500}, "kind connection-reset answers with no status"),
        ({"kind": "empty-response", "retryAfterSeconds": 2}, "kind empty-response sends no header"),
        ({"kind": "slow-body"}, "give latencyMs from 1 to 60000"),
        ({"status": 504, "retryAfterSeconds": 2}, "retryAfterSeconds goes with status 429 or 503 only"),
        ({"count": 1}, "a kind (connection-reset, empty-response, malformed-response, slow-body)"),
    ],
)
def test_a_fault_whose_fields_do_not_go_together_is_refused_by_name(doc: dict[str, Any], problem: str) -> None:
    with pytest.raises(FaultError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_fault(doc, DOCUMENTED)


@pytest.mark.parametrize(("status", "documented"), [(502, True), (429, True), (503, False), (504, False), (599, False)])
def test_any_error_status_is_taken_and_marked_documented_or_not(status: int, documented: bool) -> None:
    fault = parse_fault({"status": status}, DOCUMENTED)
    assert fault.documented is documented
    assert fault.to_json()["documented"] is documented


def test_503_says_when_to_retry_as_429_does() -> None:
    assert parse_fault({"status": 503}, DOCUMENTED).retry_after_seconds == 1
    assert parse_fault({"status": 503, "retryAfterSeconds": 30}, DOCUMENTED).retry_after_seconds == 30
    assert parse_fault({"status": 504}, DOCUMENTED).retry_after_seconds is None


@pytest.mark.parametrize("kind", BREAKING)
def test_a_breaking_kind_keeps_count_probability_latency_and_instance(kind: str) -> None:
    doc = {"kind": kind, "count": 2, "latencyMs": 5, "workflowInstanceId": DOCS_INSTANCE}
    fault = parse_fault(doc, DOCUMENTED)
    assert (fault.kind, fault.count, fault.latency_ms, fault.workflow_instance_id) == (kind, 2, 5, DOCS_INSTANCE)
    assert Fault.from_json(fault.to_json()) == fault
    assert parse_fault({"kind": kind, "probability": 0.5}, DOCUMENTED).probability == 0.5


def test_a_slow_body_lets_the_request_go_on_and_spends_its_latency_on_the_body() -> None:
    slow = Fault("slow", kind="slow-body", latency_ms=800)
    wait = Fault("wait", latency_ms=100)
    injection = inject([slow, wait], "x", lambda _: True, lambda: 0.0)
    assert injection is not None
    assert (injection.latency_ms, injection.error, injection.body_ms) == (100, None, 800)
    slow_error = Fault("slow 503", status=503, kind="slow-body", latency_ms=300)
    injection = inject([slow_error, wait], "x", lambda _: True, lambda: 0.0)
    assert injection is not None
    assert (injection.latency_ms, injection.error, injection.body_ms) == (0, slow_error, 300)


def test_a_breaking_fault_answers_first_and_later_counts_are_not_spent() -> None:
    spent: list[str] = []
    faults = [Fault("reset", kind="connection-reset", count=1), Fault("later", status=500, count=1)]
    injection = inject(faults, "x", lambda fault: spent.append(fault.id) is None, lambda: 0.0)
    assert injection is not None and injection.error is faults[0]
    assert spent == ["reset"]


# In the app ------------------------------------------------------------------------


def _add(client: FlaskClient, **fault: Any) -> dict[str, Any]:
    response = client.post("/__mock/faults", json=fault)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _pending(client: FlaskClient, instance_id: str = DOCS_INSTANCE) -> bool:
    return bool(client.get(f"/__mock/instances/{instance_id}").get_json()["hasPendingApproval"])


@pytest.mark.parametrize("kind", BREAKING)
def test_the_default_server_refuses_a_breaking_fault_with_a_409_naming_the_option(
    client: FlaskClient, kind: str
) -> None:
    response = client.post("/__mock/faults", json={"kind": kind})
    assert response.status_code == 409
    body = response.get_json()
    assert_error_envelope(body, 409)
    assert "--server gunicorn" in body["error"]["message"] and kind in body["error"]["message"]
    assert client.get("/__mock/faults").get_json() == {"faults": []}


@pytest.mark.parametrize("kind", BREAKING)
def test_with_a_server_that_breaks_connections_the_fault_reaches_it_and_changes_nothing(kind: str) -> None:
    client = create_app({"BREAKS_CONNECTIONS": True}).test_client()
    fault = _add(client, kind=kind, count=1, workflowInstanceId=DOCS_INSTANCE)
    assert client.post(OTHER_PATH, headers=bearer()).status_code == 200, "the fault leaked to another instance"
    with pytest.raises(BreakConnection) as broken:
        client.post(DOCS_PATH, headers=bearer())
    assert (broken.value.kind, broken.value.fault_id) == (kind, fault["id"])
    assert _pending(client), "a broken connection changed the instance"
    assert client.post(DOCS_PATH, headers=bearer()).status_code == 200, "the count of 1 was not honoured"


def test_a_breaking_fault_in_a_shared_store_is_a_501_on_a_server_that_cannot(tmp_path: Path) -> None:
    """Another mock on the same store, started with --server gunicorn, added it: said, never ignored."""
    store = {"STORE": f"sqlite:{tmp_path / 'mock.db'}"}
    default_mode = create_app(store).test_client()
    _add(create_app({**store, "BREAKS_CONNECTIONS": True}).test_client(), kind="connection-reset")
    response = default_mode.post(DOCS_PATH, headers=bearer())
    assert response.status_code == 501
    assert_error_envelope(response.get_json(), 501)
    assert "--server gunicorn" in response.get_json()["error"]["message"]
    assert _pending(default_mode)


@pytest.mark.parametrize(
    ("status", "code", "retry_after"),
    [(503, "SERVICE_UNAVAILABLE", "4"), (504, "GATEWAY_TIMEOUT", None), (418, "ERROR", None), (599, "ERROR", None)],
)
def test_an_undocumented_status_is_answered_in_the_envelope(
    client: FlaskClient, status: int, code: str, retry_after: str | None
) -> None:
    fault = _add(client, status=status, count=1, **({"retryAfterSeconds": 4} if retry_after else {}))
    assert fault["documented"] is False
    response = client.post(DOCS_PATH, headers=bearer())
    assert response.status_code == status
    body = response.get_json()
    assert_error_envelope(body, status)
    assert body["error"]["code"] == code and body["error"]["details"] == f"fault {fault['id']}"
    assert response.headers.get("Retry-After") == retry_after
    assert _pending(client)


def test_a_slow_body_is_the_whole_answer_in_pieces_spread_over_the_latency() -> None:
    slept: list[float] = []
    client = create_app({"SLEEP": slept.append}).test_client()
    _add(client, kind="slow-body", latencyMs=500, count=1)
    response = client.post(DOCS_PATH, headers=bearer(), buffered=False)
    assert response.status_code == 200
    assert response.get_json()["data"]["action"] == "discarded"
    assert len(slept) == SLOW_BODY_PIECES and sum(slept) == pytest.approx(0.5)
    assert not _pending(client), "a slow body without a status is the real answer: the discard happened"
