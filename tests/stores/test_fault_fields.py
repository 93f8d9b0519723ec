"""Every store keeps a fault's kind, status and `documented` mark, and applies kinds as the memory store does.

The fault rules are written once (mock_server/faults.py); the stores only hold
faults as JSON and count their hits. Two views of each store (two apps on one
SQLite file or one Redis prefix, as two workers or replicas) must list the
same faults and answer the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from mock_server import create_app
from mock_server.wire_faults import BreakConnection

from ..support.helpers import DOCS_INSTANCE, PENDING_ACME, bearer, discard_path

FAULTS = (
    {"kind": "connection-reset", "count": 2, "workflowInstanceId": DOCS_INSTANCE},
    {"kind": "slow-body", "latencyMs": 1, "probability": 0.5},
    {"kind": "malformed-response", "latencyMs": 3},
    {"status": 503, "retryAfterSeconds": 9, "workflowInstanceId": PENDING_ACME},
    {"status": 504, "kind": "slow-body", "latencyMs": 2},
)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def two_apps(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Flask, Flask]:
    """Two apps on one store (for memory, one app twice), both able to break connections."""
    config: dict[str, Any] = {"BREAKS_CONNECTIONS": True, "SLEEP": lambda _: None}
    if request.param == "memory":
        app = create_app(config)
        return app, app
    if request.param == "sqlite":
        config["STORE"] = f"sqlite:{tmp_path / 'mock.db'}"
    else:
        server = request.getfixturevalue("redis_server")
        config.update(STORE=server.url, REDIS_PREFIX=request.getfixturevalue("redis_prefix"))
    first = create_app(config)
    return first, create_app(config)


def test_every_store_lists_the_new_fields_as_added(two_apps: tuple[Flask, Flask]) -> None:
    one, other = (app.test_client() for app in two_apps)
    added = []
    for doc in FAULTS:
        response = one.post("/__mock/faults", json=doc)
        assert response.status_code == 201, response.get_json()
        added.append(response.get_json())
    assert other.get("/__mock/faults").get_json() == {"faults": added}
    assert [(f["kind"], f["status"], f["documented"]) for f in added] == [
        ("connection-reset", None, None),
        ("slow-body", None, None),
        ("malformed-response", None, None),
        (None, 503, False),
        ("slow-body", 504, False),
    ]


def test_a_counted_breaking_fault_fires_its_count_through_either_view(two_apps: tuple[Flask, Flask]) -> None:
    one, other = (app.test_client() for app in two_apps)
    assert one.post("/__mock/faults", json=FAULTS[0]).status_code == 201
    docs_path, other_path = discard_path(), discard_path(workflow_instance_id=PENDING_ACME)
    for client in (one, other):
        with pytest.raises(BreakConnection):
            client.post(docs_path, headers=bearer())
    assert other.post(other_path, headers=bearer()).status_code == 200, "the fault leaked to another instance"
    assert one.post(docs_path, headers=bearer()).status_code == 200, "a count of 2 broke a third connection"
    assert [f["count"] for f in other.get("/__mock/faults").get_json()["faults"]] == [0]
