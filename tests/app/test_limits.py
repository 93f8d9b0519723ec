"""What the control API may be made to hold, and the same answer from every store for the same input.

The stores are real: the memory store and a SQLite file under tmp_path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ..support.helpers import ACME, ACME_CAMPAIGN, PENDING_STATE, assert_error_envelope

STORES = ["memory", "sqlite"]


@pytest.fixture(params=STORES)
def store_client(request: pytest.FixtureRequest, app_factory: Callable[..., Flask], tmp_path: Path) -> FlaskClient:
    store = "memory" if request.param == "memory" else f"sqlite:{tmp_path / 'store.sqlite3'}"
    return app_factory(STORE=store).test_client()


def instance(**fields: object) -> dict[str, object]:
    return {"accountGroupId": ACME, "campaignId": ACME_CAMPAIGN, **fields}


def test_creations_stop_at_the_cap_and_a_reset_starts_again(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(MAX_INSTANCES=3).test_client()
    for _ in range(3):
        assert client.post("/__mock/instances", json=instance()).status_code == 201
    refused = client.post("/__mock/instances", json=instance())
    assert refused.status_code == 507
    assert_error_envelope(refused.get_json(), 507)
    assert "--max-instances" in refused.get_json()["error"]["message"]
    state = client.post("/__mock/provider-states", json={"state": PENDING_STATE})
    assert state.status_code == 507, "provider states create instances too"
    assert client.post("/__mock/reset").status_code == 200
    assert client.post("/__mock/instances", json=instance()).status_code == 201


@pytest.mark.parametrize("field", ["leadId", "workflowInstanceId", "campaignId", "latestStep", "workflowStopReason"])
def test_overlong_fields_are_400(store_client: FlaskClient, field: str) -> None:
    response = store_client.post("/__mock/instances", json=instance(**{field: "a" * 300}))
    assert response.status_code == 400, response.get_json()
    assert_error_envelope(response.get_json(), 400)


def test_a_lone_surrogate_is_400_on_every_store(store_client: FlaskClient) -> None:
    response = store_client.post(
        "/__mock/instances",
        data=b'{"accountGroupId": "acme-retail", "campaignId": "507f191e810c19729de860ea", "leadId": "\\ud800"}',
        content_type="application/json",
    )
    assert response.status_code == 400, response.get_json()
    assert "leadId" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500, "count": 2**63},
        {"status": 500, "count": 1_000_001},
        {"status": 429, "retryAfterSeconds": 2**63},
        {"latencyMs": 60_001},
        {"status": 500, "workflowInstanceId": "a" * 129},
        {"status": 500, "workflowInstanceId": "\ud800"},
        {"status": 500, "workflowInstanceId": "abc\n"},
    ],
)
def test_faults_out_of_range_are_400_on_every_store(store_client: FlaskClient, fault: dict[str, object]) -> None:
    response = store_client.post("/__mock/faults", json=fault)
    assert response.status_code == 400, response.get_json()
    assert_error_envelope(response.get_json(), 400)
    assert store_client.get("/__mock/faults").get_json()["faults"] == []


def test_the_largest_count_is_taken_on_every_store(store_client: FlaskClient) -> None:
    assert store_client.post("/__mock/faults", json={"status": 500, "count": 1_000_000}).status_code == 201
