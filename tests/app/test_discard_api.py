"""The public endpoint through Flask's test client: every status and every CONTRACT.md rule.

Each rejected request is followed by a look at the store through the control
API: a refusal that changed something would be worse than a wrong status.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from discard_contract.spec import DISCARD_OPERATION, Spec

from ..support.helpers import (
    ACME,
    ACME_CAMPAIGN,
    ACME_OTHER_CAMPAIGN,
    DOCS_INSTANCE,
    DOCS_LEAD,
    GLOBEX,
    GLOBEX_CAMPAIGN,
    NOT_PENDING_SEEDED,
    OTHER_GROUP_KEY,
    PENDING_ACME,
    PENDING_ACME_OTHER_CAMPAIGN,
    PENDING_GLOBEX,
    READONLY_KEY,
    UNKNOWN_CAMPAIGN,
    UNKNOWN_INSTANCE,
    assert_discarded,
    assert_error_envelope,
    bearer,
    discard_path,
    is_json_content_type,
)

Snapshot = Callable[[], list[dict[str, Any]]]


def instance(client: FlaskClient, workflow_instance_id: str) -> dict[str, Any]:
    response = client.get(f"/__mock/instances/{workflow_instance_id}")
    assert response.status_code == 200
    return response.get_json()


def assert_refused(response: Any, status: int, spec: Spec | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    assert is_json_content_type(response.headers.get("Content-Type"))
    body = response.get_json()
    assert_error_envelope(body, status)
    if spec is not None:
        errors = [e.message for e in spec.response_validator(DISCARD_OPERATION, status).iter_errors(body)]
        assert errors == []
    return body


# --- 200 -----------------------------------------------------------------------------------------


def test_discarding_a_pending_instance_answers_the_exact_200_body(client: FlaskClient, spec: Spec) -> None:
    response = client.post(discard_path(ACME, ACME_CAMPAIGN, DOCS_INSTANCE), headers=bearer())
    assert response.status_code == 200
    assert is_json_content_type(response.headers["Content-Type"])
    body = response.get_json()
    assert body == {
        "success": True,
        "data": {
            "action": "discarded",
            "workflowInstanceId": DOCS_INSTANCE,
            "leadStatus": {
                "leadId": DOCS_LEAD,
                "workflowStatus": "stopped",
                "workflowInstanceId": DOCS_INSTANCE,
                "latestStep": "awaiting_approval",
                "workflowStopReason": "CONTENT_DISCARDED",
                "hasPendingApproval": False,
            },
        },
        "error": None,
        "traceId": body["traceId"],
    }
    assert isinstance(body["traceId"], str) and body["traceId"]
    assert spec.response_validator(DISCARD_OPERATION, 200).is_valid(body)


def test_the_discard_is_stored(client: FlaskClient) -> None:
    client.post(discard_path(), headers=bearer())
    stored = instance(client, DOCS_INSTANCE)
    assert_discarded(stored)


def test_a_discard_leaves_every_other_instance_untouched(client: FlaskClient, snapshot: Snapshot) -> None:
    before = {doc["workflowInstanceId"]: doc for doc in snapshot()}
    assert client.post(discard_path(), headers=bearer()).status_code == 200
    after = {doc["workflowInstanceId"]: doc for doc in snapshot()}
    assert after.keys() == before.keys()
    changed = [id_ for id_ in before if before[id_] != after[id_]]
    assert changed == [DOCS_INSTANCE]


@pytest.mark.parametrize(
    ("group", "campaign", "instance_id"),
    [(ACME, ACME_OTHER_CAMPAIGN, PENDING_ACME_OTHER_CAMPAIGN), (GLOBEX, GLOBEX_CAMPAIGN, PENDING_GLOBEX)],
)
def test_pending_instances_of_other_campaigns_and_groups_can_be_discarded(
    client: FlaskClient, group: str, campaign: str, instance_id: str
) -> None:
    response = client.post(discard_path(group, campaign, instance_id), headers=bearer())
    assert response.status_code == 200
    assert response.get_json()["data"]["workflowInstanceId"] == instance_id


def test_upper_case_hex_ids_are_valid_but_name_no_seeded_instance(client: FlaskClient, snapshot: Snapshot) -> None:
    """The inferred pattern accepts A-F; IDs are compared exactly, so this is a 404, not a 400."""
    before = snapshot()
    response = client.post(discard_path(ACME, ACME_CAMPAIGN, DOCS_INSTANCE.upper()), headers=bearer())
    assert_refused(response, 404)
    assert snapshot() == before


# --- 409 -----------------------------------------------------------------------------------------


def test_a_repeat_of_a_successful_discard_is_409_and_changes_nothing(
    client: FlaskClient, spec: Spec, snapshot: Snapshot
) -> None:
    assert client.post(discard_path(), headers=bearer()).status_code == 200
    after_first = snapshot()
    body = assert_refused(client.post(discard_path(), headers=bearer()), 409, spec)
    assert body["error"]["details"] == "stopped"
    assert snapshot() == after_first


@pytest.mark.parametrize(("group", "campaign", "instance_id", "status"), NOT_PENDING_SEEDED)
def test_seeded_instances_not_pending_approval_are_409(
    client: FlaskClient, spec: Spec, snapshot: Snapshot, group: str, campaign: str, instance_id: str, status: str
) -> None:
    before = snapshot()
    body = assert_refused(client.post(discard_path(group, campaign, instance_id), headers=bearer()), 409, spec)
    assert body["error"]["details"] == status
    assert snapshot() == before
    assert instance(client, instance_id)["workflowStatus"] == status


def test_a_completed_instance_never_becomes_stopped(client: FlaskClient) -> None:
    """A discard must not rewrite history: sent content stays sent."""
    _, campaign, completed, _ = NOT_PENDING_SEEDED[1]
    client.post(discard_path(ACME, campaign, completed), headers=bearer())
    assert instance(client, completed)["workflowStatus"] == "completed"


# --- 404 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "campaign", "instance_id"),
    [
        (ACME, ACME_CAMPAIGN, UNKNOWN_INSTANCE),  # unknown instance
        (ACME, UNKNOWN_CAMPAIGN, DOCS_INSTANCE),  # unknown campaign
        (ACME, ACME_OTHER_CAMPAIGN, DOCS_INSTANCE),  # instance of another campaign
        (ACME, ACME_CAMPAIGN, PENDING_ACME_OTHER_CAMPAIGN),  # same, the other way round
        (GLOBEX, ACME_CAMPAIGN, DOCS_INSTANCE),  # campaign of another account group
        (ACME, GLOBEX_CAMPAIGN, PENDING_GLOBEX),  # same, the other way round
        (GLOBEX, GLOBEX_CAMPAIGN, PENDING_ACME),  # instance of another group
    ],
    ids=[
        "unknown-instance",
        "unknown-campaign",
        "instance-of-other-campaign",
        "instance-of-other-campaign-2",
        "campaign-of-other-group",
        "campaign-of-other-group-2",
        "instance-of-other-group",
    ],
)
def test_out_of_scope_ids_are_404_and_change_nothing(
    client: FlaskClient, spec: Spec, snapshot: Snapshot, group: str, campaign: str, instance_id: str
) -> None:
    before = snapshot()
    assert_refused(client.post(discard_path(group, campaign, instance_id), headers=bearer()), 404, spec)
    assert snapshot() == before


# --- 401 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Basic x"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer a b"},
        {"Authorization": "sk_test_execute"},
        {"Authorization": "Bearer sk_live_0000000000"},
        {"X-Api-Key": "sk_test_execute"},
    ],
    ids=[
        "missing",
        "empty",
        "basic",
        "bearer-alone",
        "bearer-space",
        "two-tokens",
        "no-scheme",
        "unknown",
        "x-api-key",
    ],
)
def test_missing_malformed_or_unknown_keys_are_401_and_change_nothing(
    client: FlaskClient, spec: Spec, snapshot: Snapshot, headers: dict[str, str]
) -> None:
    before = snapshot()
    assert_refused(client.post(discard_path(), headers=headers), 401, spec)
    assert snapshot() == before


# --- 403 -----------------------------------------------------------------------------------------


def test_a_key_without_campaigns_execute_is_403_and_changes_nothing(
    client: FlaskClient, spec: Spec, snapshot: Snapshot
) -> None:
    before = snapshot()
    body = assert_refused(client.post(discard_path(), headers=bearer(READONLY_KEY)), 403, spec)
    assert "campaigns:execute" in body["error"]["details"]
    assert snapshot() == before


def test_a_key_without_access_to_the_account_group_is_403_and_changes_nothing(
    client: FlaskClient, spec: Spec, snapshot: Snapshot
) -> None:
    before = snapshot()
    body = assert_refused(client.post(discard_path(ACME), headers=bearer(OTHER_GROUP_KEY)), 403, spec)
    assert body["error"]["details"] == "accountGroupId"
    assert snapshot() == before


def test_the_other_group_key_works_in_its_own_group(client: FlaskClient) -> None:
    """The 403 above is about the group, not the key: the same key discards in globex-media."""
    response = client.post(discard_path(GLOBEX, GLOBEX_CAMPAIGN, PENDING_GLOBEX), headers=bearer(OTHER_GROUP_KEY))
    assert response.status_code == 200


# --- 400 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "campaign", "instance_id", "bad"),
    [
        (ACME, ACME_CAMPAIGN, "abc", "workflowInstanceId"),
        (ACME, ACME_CAMPAIGN, DOCS_INSTANCE + "0", "workflowInstanceId"),
        (ACME, ACME_CAMPAIGN, "g" * 24, "workflowInstanceId"),
        (ACME, "507f191e810c19729de860e", DOCS_INSTANCE, "campaignId"),
        (ACME, "507f191e810c19729de860eZ", DOCS_INSTANCE, "campaignId"),
        ("acme retail", ACME_CAMPAIGN, DOCS_INSTANCE, "accountGroupId"),
        ("acme.retail", ACME_CAMPAIGN, DOCS_INSTANCE, "accountGroupId"),
        ("a" * 129, ACME_CAMPAIGN, DOCS_INSTANCE, "accountGroupId"),
        ("é", ACME_CAMPAIGN, DOCS_INSTANCE, "accountGroupId"),
    ],
)
def test_malformed_ids_are_400_naming_the_parameter(
    client: FlaskClient, spec: Spec, snapshot: Snapshot, group: str, campaign: str, instance_id: str, bad: str
) -> None:
    before = snapshot()
    body = assert_refused(client.post(discard_path(group, campaign, instance_id), headers=bearer()), 400, spec)
    assert bad in body["error"]["details"]
    assert snapshot() == before


def test_every_malformed_id_is_named(client: FlaskClient) -> None:
    body = assert_refused(client.post(discard_path("a b", "x", "y"), headers=bearer()), 400)
    assert body["error"]["details"].split(", ") == ["accountGroupId", "campaignId", "workflowInstanceId"]


def test_the_longest_valid_account_group_is_not_a_400(client: FlaskClient) -> None:
    assert_refused(client.post(discard_path("a" * 128), headers=bearer()), 403)  # no access, but well-formed


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"json": {}},
        {"json": {"workflowInstanceId": PENDING_ACME}},
        {"json": []},
        {"data": b"null", "content_type": "application/json"},
        {"data": b"x", "content_type": "text/plain"},
        {"data": b"message=edited", "content_type": "application/x-www-form-urlencoded"},
        {"data": {"file": (b"x", "x.txt")}, "content_type": "multipart/form-data"},
        {"data": b"\x00\xff" * 100},
        {"data": b"x" * 1_000_000, "content_type": "application/octet-stream"},
    ],
    ids=["empty-object", "other-id", "array", "null", "text", "form", "multipart", "binary", "1MB"],
)
def test_any_body_is_400_and_changes_nothing(
    client: FlaskClient, spec: Spec, snapshot: Snapshot, request_kwargs: dict[str, Any]
) -> None:
    """CONTRACT: a body never widens the effect; the mock refuses any body with 400."""
    before = snapshot()
    data = request_kwargs.get("data")
    if isinstance(data, dict):  # a file object is read once: each run of the test sends a fresh one
        content, name = data["file"]
        request_kwargs = {**request_kwargs, "data": {"file": (io.BytesIO(content), name)}}
    body = assert_refused(client.post(discard_path(), headers=bearer(), **request_kwargs), 400, spec)
    assert body["error"]["details"] == "body"
    assert snapshot() == before


def test_a_chunked_body_is_400_and_changes_nothing(client: FlaskClient, snapshot: Snapshot) -> None:
    """As the server hands it over: already de-chunked, with wsgi.input_terminated set."""
    before = snapshot()
    response = client.post(
        discard_path(),
        headers={**bearer(), "Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        data=b'{"workflowInstanceId": "64b7f0c2a1e4d93f5c2b8b01"}',
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_refused(response, 400)
    assert snapshot() == before


def test_a_chunked_body_the_server_did_not_decode_is_still_refused(client: FlaskClient, snapshot: Snapshot) -> None:
    """A server that leaves chunked input undecoded must not make the body invisible (and the discard happen)."""
    before = snapshot()
    response = client.post(discard_path(), headers={**bearer(), "Transfer-Encoding": "chunked"}, data=b"x")
    assert_refused(response, 400)
    assert snapshot() == before


def test_an_empty_body_with_a_content_type_is_not_a_body(client: FlaskClient) -> None:
    """Clients that always send Content-Type: application/json with nothing after it still work."""
    response = client.post(discard_path(), headers={**bearer(), "Content-Type": "application/json"}, data=b"")
    assert response.status_code == 200


# --- 405 and unknown paths -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "OPTIONS"])
def test_other_methods_on_the_discard_path_are_405_with_allow_post(
    client: FlaskClient, snapshot: Snapshot, method: str
) -> None:
    before = snapshot()
    response = client.open(discard_path(), method=method, headers=bearer())
    body = assert_refused(response, 405)
    assert response.headers["Allow"] == "POST"
    assert method in body["error"]["message"]
    assert snapshot() == before


def test_head_on_the_discard_path_is_405_with_allow_post(client: FlaskClient) -> None:
    response = client.head(discard_path(), headers=bearer())
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert is_json_content_type(response.headers["Content-Type"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("POST", "/v1"),
        ("POST", "/v2" + discard_path()[3:]),
        ("POST", discard_path().removesuffix("/discard") + "/approve"),
        ("POST", discard_path() + "/"),
        ("POST", discard_path().upper()),
        ("POST", discard_path().replace("/workflow-instances/", "//workflow-instances/")),  # no redirect
        ("POST", "/" + discard_path()),
        ("GET", "/__mock"),
        ("DELETE", "/v1/accounts/acme-retail"),
    ],
)
def test_unknown_paths_are_404_envelopes(client: FlaskClient, snapshot: Snapshot, method: str, path: str) -> None:
    before = snapshot()
    body = assert_refused(client.open(path, method=method, headers=bearer()), 404)
    assert body["error"]["details"] == "path"
    assert snapshot() == before


# --- every answer --------------------------------------------------------------------------------


def every_kind_of_answer(client: FlaskClient) -> list[Any]:
    return [
        client.post(discard_path(), headers=bearer()),  # 200
        client.post(discard_path(), headers=bearer()),  # 409
        client.post(discard_path(ACME, ACME_CAMPAIGN, UNKNOWN_INSTANCE), headers=bearer()),  # 404
        client.post(discard_path(ACME, ACME_CAMPAIGN, "x"), headers=bearer()),  # 400
        client.post(discard_path()),  # 401
        client.post(discard_path(), headers=bearer(READONLY_KEY)),  # 403
        client.get(discard_path()),  # 405
        client.get("/nowhere"),  # 404
        client.post(discard_path(), headers={"Prefer": "code=500"}),  # 500
    ]


def test_every_answer_is_json(client: FlaskClient) -> None:
    responses = every_kind_of_answer(client)
    assert [r.status_code for r in responses] == [200, 409, 404, 400, 401, 403, 405, 404, 500]
    for response in responses:
        assert is_json_content_type(response.headers.get("Content-Type")), response.status_code
        assert response.get_json()["success"] is (response.status_code == 200)


def test_every_answer_has_its_own_trace_id(client: FlaskClient) -> None:
    trace_ids = [r.get_json()["traceId"] for r in every_kind_of_answer(client) for _ in range(1)]
    trace_ids += [client.post(discard_path()).get_json()["traceId"] for _ in range(50)]
    assert all(isinstance(t, str) and t for t in trace_ids)
    assert len(set(trace_ids)) == len(trace_ids)
