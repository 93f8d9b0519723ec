"""The control API under /__mock: reset, inspecting and creating instances, and turning it off.

(Provider states and the request journal have their own modules.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ..support.helpers import (
    ACME,
    ACME_CAMPAIGN,
    DOCS_INSTANCE,
    GLOBEX,
    PENDING_STATE,
    UNKNOWN_INSTANCE,
    assert_error_envelope,
    bearer,
    discard_path,
    is_json_content_type,
    path_of,
)

Snapshot = Callable[[], list[dict[str, Any]]]
NEW_ID = "abcdefabcdefabcdefabcdef"
NEW = {
    "workflowInstanceId": NEW_ID,
    "accountGroupId": GLOBEX,
    "campaignId": "0123456789abcdef01234567",
    "leadId": "fedcba9876543210fedcba98",
    "workflowStatus": "pending",
    "latestStep": "awaiting_approval",
    "workflowStopReason": None,
    "hasPendingApproval": True,
}


# --- reading -------------------------------------------------------------------------------------


def test_list_holds_the_seeded_instances(client: FlaskClient, ctx: Any) -> None:
    response = client.get("/__mock/instances")
    assert response.status_code == 200
    assert is_json_content_type(response.headers["Content-Type"])
    docs = response.get_json()["instances"]
    assert sorted(d["workflowInstanceId"] for d in docs) == sorted(i.workflow_instance_id for i in ctx.seed.instances)


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("accountGroupId=globex-media", lambda d: d["accountGroupId"] == GLOBEX),
        (f"campaignId={ACME_CAMPAIGN}", lambda d: d["campaignId"] == ACME_CAMPAIGN),
        ("workflowStatus=stopped", lambda d: d["workflowStatus"] == "stopped"),
        ("hasPendingApproval=true", lambda d: d["hasPendingApproval"] is True),
        ("hasPendingApproval=0", lambda d: d["hasPendingApproval"] is False),
        ("accountGroupId=acme-retail&hasPendingApproval=false", lambda d: d["accountGroupId"] == ACME),
    ],
)
def test_list_filters(client: FlaskClient, snapshot: Snapshot, query: str, check: Callable[[Any], bool]) -> None:
    everything = snapshot()
    listed = client.get(f"/__mock/instances?{query}").get_json()["instances"]
    assert listed, "the filter must match something in the seeded data"
    assert all(check(d) for d in listed)
    assert len(listed) == sum(1 for d in everything if all(check_all(d, query)))


def check_all(doc: dict[str, Any], query: str) -> list[bool]:
    checks = []
    for pair in query.split("&"):
        name, value = pair.split("=")
        wanted: Any = {"true": True, "1": True, "false": False, "0": False}.get(value, value)
        checks.append(doc[name] == wanted)
    return checks


def test_a_limit_keeps_the_first_matches_and_total_counts_them_all(client: FlaskClient) -> None:
    """A console or script can page through a million instances without fetching them all."""
    everything = client.get("/__mock/instances?accountGroupId=acme-retail").get_json()
    first = client.get("/__mock/instances?accountGroupId=acme-retail&limit=2").get_json()
    assert first["instances"] == everything["instances"][:2]
    assert first["total"] == everything["total"] == len(everything["instances"]) > 2
    assert client.get("/__mock/instances?limit=0").get_json()["instances"] == []
    bad = client.get("/__mock/instances?limit=-1")
    assert bad.status_code == 400
    assert_error_envelope(bad.get_json(), 400)


def test_a_bad_flag_filter_is_400(client: FlaskClient) -> None:
    response = client.get("/__mock/instances?hasPendingApproval=maybe")
    assert response.status_code == 400
    assert_error_envelope(response.get_json(), 400)


def test_get_one_instance(client: FlaskClient) -> None:
    response = client.get(f"/__mock/instances/{DOCS_INSTANCE}")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["workflowInstanceId"] == DOCS_INSTANCE
    assert doc["hasPendingApproval"] is True


def test_get_an_unknown_instance_is_a_404_envelope(client: FlaskClient) -> None:
    response = client.get(f"/__mock/instances/{UNKNOWN_INSTANCE}")
    assert response.status_code == 404
    assert_error_envelope(response.get_json())


# --- reset ---------------------------------------------------------------------------------------


def test_reset_restores_the_seeded_data(client: FlaskClient, snapshot: Snapshot) -> None:
    seeded = snapshot()
    assert client.post(discard_path(), headers=bearer()).status_code == 200
    client.post("/__mock/provider-states", json={"state": PENDING_STATE})
    assert snapshot() != seeded
    response = client.post("/__mock/reset")
    assert response.status_code == 200
    assert response.get_json()["instances"] == len(seeded)
    assert snapshot() == seeded
    assert client.post(discard_path(), headers=bearer()).status_code == 200, "discardable again"


# --- creating ------------------------------------------------------------------------------------


def test_create_stores_the_instance_as_sent(client: FlaskClient) -> None:
    response = client.post("/__mock/instances", json=NEW)
    assert response.status_code == 201
    assert response.get_json() == NEW
    assert client.get(f"/__mock/instances/{NEW_ID}").get_json() == NEW
    assert client.post(path_of(NEW), headers=bearer()).status_code == 200


def test_create_fills_in_what_is_left_out(client: FlaskClient) -> None:
    response = client.post("/__mock/instances", json={})
    assert response.status_code == 201
    doc = response.get_json()
    assert doc["accountGroupId"] == ACME, "the data file's first account group"
    assert (doc["workflowStatus"], doc["hasPendingApproval"]) == ("pending", True)
    assert client.post(path_of(doc), headers=bearer()).status_code == 200


def test_create_a_not_pending_instance(client: FlaskClient) -> None:
    response = client.post("/__mock/instances", json={"workflowStatus": "completed"})
    assert response.status_code == 201
    doc = response.get_json()
    assert doc["hasPendingApproval"] is False
    assert client.post(path_of(doc), headers=bearer()).status_code == 409


def test_create_a_duplicate_is_409_and_keeps_the_original(client: FlaskClient) -> None:
    original = client.get(f"/__mock/instances/{DOCS_INSTANCE}").get_json()
    response = client.post("/__mock/instances", json={**NEW, "workflowInstanceId": DOCS_INSTANCE})
    assert response.status_code == 409
    assert_error_envelope(response.get_json())
    assert client.get(f"/__mock/instances/{DOCS_INSTANCE}").get_json() == original


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({**NEW, "workflowStatus": "archived"}, "workflowStatus"),
        ({**NEW, "hasPendingApproval": "yes"}, "hasPendingApproval"),
        ({**NEW, "leadId": ""}, "leadId"),
        ({**NEW, "workflowStopReason": 3}, "workflowStopReason"),
        ({**NEW, "colour": "red"}, "colour"),
        ({**NEW, "workflowStatus": ["pending"]}, "workflowStatus"),
        ({**NEW, "workflowInstanceId": "abc"}, "workflowInstanceId"),
        ({**NEW, "campaignId": "not-a-campaign-id-000000"}, "campaignId"),
        ({**NEW, "accountGroupId": "no spaces allowed"}, "accountGroupId"),
    ],
)
def test_create_refuses_invalid_instances_naming_the_field(
    client: FlaskClient, snapshot: Snapshot, body: dict[str, Any], named: str
) -> None:
    before = snapshot()
    response = client.post("/__mock/instances", json=body)
    assert response.status_code == 400
    error = response.get_json()
    assert_error_envelope(error, 400)
    assert named in error["error"]["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "request_kwargs",
    [{}, {"json": [NEW]}, {"json": "x"}, {"data": b"{", "content_type": "application/json"}],
    ids=["no-body", "array", "string", "not-json"],
)
def test_create_refuses_bodies_that_are_not_an_object(
    client: FlaskClient, snapshot: Snapshot, request_kwargs: dict[str, Any]
) -> None:
    before = snapshot()
    response = client.post("/__mock/instances", **request_kwargs)
    assert response.status_code == 400
    assert_error_envelope(response.get_json(), 400)
    assert snapshot() == before


def test_wrong_methods_on_control_paths_are_405_envelopes(client: FlaskClient) -> None:
    for method, path in (("GET", "/__mock/reset"), ("DELETE", "/__mock/instances"), ("PUT", "/__mock/requests")):
        response = client.open(path, method=method)
        assert response.status_code == 405, path
        assert_error_envelope(response.get_json())
        assert response.headers["Allow"]


# --- switched off --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/__mock/provider-states"),
        ("POST", "/__mock/reset"),
        ("GET", "/__mock/instances"),
        ("GET", f"/__mock/instances/{DOCS_INSTANCE}"),
        ("POST", "/__mock/instances"),
        ("GET", "/__mock/requests"),
        ("DELETE", "/__mock/requests"),
    ],
)
def test_without_the_control_api_its_paths_are_404_envelopes(
    app_factory: Callable[..., Flask], method: str, path: str
) -> None:
    client = app_factory(CONTROL_API=False).test_client()
    response = client.open(path, method=method, json={"state": PENDING_STATE} if method == "POST" else None)
    assert response.status_code == 404
    assert is_json_content_type(response.headers["Content-Type"])
    assert_error_envelope(response.get_json())


def test_without_the_control_api_the_public_endpoint_still_works(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(CONTROL_API=False).test_client()
    assert client.post(discard_path(), headers=bearer()).status_code == 200
    assert client.post(discard_path(), headers=bearer()).status_code == 409
