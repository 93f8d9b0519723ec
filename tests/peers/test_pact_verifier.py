"""pact-python's real verifier against the served mock, using the mock's provider-state endpoint.

The pact (tests/data/discard.pact.json, Pact V3) asks for "a workflow instance
pending approval" and builds its request path from the IDs the state call
returns (a ProviderState generator), as a consumer team's pact would. Teams
with an existing Pact setup can point its state-change URL at the mock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from pact import Verifier

from ..support.helpers import DATA_DIR, DOCS_INSTANCE
from ..support.served import MockProcess

PACT = DATA_DIR / "discard.pact.json"
PROVIDER = "sonarly-discard-mock"


@pytest.fixture(autouse=True)
def _no_usage_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """pact-python would otherwise try to send anonymous usage events: no network beyond loopback."""
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")


def verifier(mock: MockProcess, pact_file: Path, *, body: bool) -> Verifier:
    host, port = mock.host_port
    return (
        Verifier(PROVIDER, host=host)
        .add_transport(url=f"http://{host}:{port}/")
        .add_source(str(pact_file))
        .state_handler(mock.url("/__mock/provider-states"), teardown=True, body=body)
    )


def journal(mock: MockProcess) -> list[dict[str, Any]]:
    return requests.get(mock.url("/__mock/requests"), timeout=10).json()["requests"]


@pytest.mark.parametrize("body", [True, False], ids=["state-in-json-body", "state-in-query-string"])
def test_the_pact_verifies_against_the_served_mock(served_mock: MockProcess, body: bool) -> None:
    requests.post(served_mock.url("/__mock/reset"), timeout=10)
    requests.delete(served_mock.url("/__mock/requests"), timeout=10)

    verifier(served_mock, PACT, body=body).verify()  # raises on any mismatch

    discards = [e for e in journal(served_mock) if e["path"].endswith("/discard")]
    assert sorted(e["status"] for e in discards) == [200, 409]
    literal_ids = {i["request"]["path"].split("/")[-2] for i in json.loads(PACT.read_text())["interactions"]}
    used_ids = {e["path"].split("/")[-2] for e in discards}
    assert not used_ids & literal_ids, "the request paths must come from the provider states, not the pact's examples"
    docs_instance = requests.get(served_mock.url(f"/__mock/instances/{DOCS_INSTANCE}"), timeout=10).json()
    assert docs_instance["hasPendingApproval"] is True, "the seeded instance must be left alone"


def test_a_pact_the_mock_does_not_satisfy_fails_verification(served_mock: MockProcess, tmp_path: Path) -> None:
    """Control: the verifier really compares bodies, so the test above can fail."""
    pact = json.loads(PACT.read_text(encoding="utf-8"))
    pact["interactions"] = pact["interactions"][:1]
    pact["interactions"][0]["response"]["body"]["data"]["action"] = "approved"  # a discard never says this
    broken = tmp_path / "broken.pact.json"
    broken.write_text(json.dumps(pact), encoding="utf-8")
    check = verifier(served_mock, broken, body=True)
    with pytest.raises(RuntimeError):
        check.verify()
    mismatches = [m for error in check.results["errors"] for m in error["mismatch"].get("mismatches", [])]
    assert [(m["type"], m["path"]) for m in mismatches] == [("BodyMismatch", "$.data.action")], check.results


def test_an_unknown_provider_state_fails_verification(served_mock: MockProcess, tmp_path: Path) -> None:
    """The mock answers an unknown state with 400, and the verifier reports it instead of going on."""
    pact = json.loads(PACT.read_text(encoding="utf-8"))
    pact["interactions"] = pact["interactions"][:1]
    pact["interactions"][0]["providerStates"] = [{"name": "a user with ID 123 exists", "params": {}}]
    unknown = tmp_path / "unknown-state.pact.json"
    unknown.write_text(json.dumps(pact), encoding="utf-8")
    requests.post(served_mock.url("/__mock/reset"), timeout=10)  # the pact's literal path would now succeed
    check = verifier(served_mock, unknown, body=True)
    with pytest.raises(RuntimeError):
        check.verify()
    reasons = [error["mismatch"].get("message", "") for error in check.results["errors"]]
    assert reasons == ["One or more of the setup state change handlers has failed"], check.results
    docs_instance = requests.get(served_mock.url(f"/__mock/instances/{DOCS_INSTANCE}"), timeout=10).json()
    assert docs_instance["hasPendingApproval"] is True, "no request may fall back to the pact's literal IDs"
