"""Provider states (mock_server/control/provider_states.py) and their endpoint, POST /__mock/provider-states.

The endpoint must accept every body form Pact verifiers send (CONTRACT.md,
"Provider-state setup URL"), hand out a fresh instance per setup, and refuse
unknown states loudly with the list of known ones.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from discard_contract.spec import Spec
from mock_server.control.provider_states import ProviderStates, StateChange
from mock_server.envelope import ApiError
from mock_server.storage.memory import MemoryInstanceStore

from ..support.helpers import ACME, NOT_PENDING_STATE, PENDING_STATE, ROOT, assert_error_envelope, bearer, path_of

PENDING, NOT_PENDING = PENDING_STATE, NOT_PENDING_STATE
STATES = Spec.shipped().provider_states

ID_FIELDS = {"accountGroupId", "campaignId", "workflowInstanceId", "leadId"}
URL = "/__mock/provider-states"


def test_the_spec_names_exactly_the_contract_states() -> None:
    """The spec is where the mock, the suite and the tests read the names; CONTRACT.md is where people do."""
    contract = (ROOT / "docs" / "CONTRACT.md").read_text(encoding="utf-8")
    assert list(STATES) == [PENDING, NOT_PENDING]
    for name in STATES:
        assert f"`{name}`" in contract
    assert list(STATES[NOT_PENDING]) == ["waiting", "completed", "stopped"]  # CONTRACT: params.workflowStatus


def parse_state_change(body: Any, query: dict[str, str]) -> StateChange:
    return ProviderStates(STATES, MemoryInstanceStore(), "team-a").parse(body, query)


# --- parsing the three request forms -------------------------------------------------------------


def test_parse_current_form() -> None:
    body = {"state": PENDING, "params": {"a": 1}, "action": "teardown"}
    assert parse_state_change(body, {}) == StateChange(PENDING, "teardown", {"a": 1})


def test_parse_legacy_form_without_action_is_a_setup() -> None:
    body = {"consumer": "web", "state": PENDING, "states": [PENDING], "params": {}}
    assert parse_state_change(body, {}) == StateChange(PENDING, "setup", {})


def test_parse_legacy_form_with_only_states() -> None:
    assert parse_state_change({"consumer": "web", "states": [NOT_PENDING]}, {}).state == NOT_PENDING


def test_parse_query_form_puts_other_parameters_in_params() -> None:
    query = {"state": NOT_PENDING, "action": "setup", "workflowStatus": "completed", "consumer": "web"}
    assert parse_state_change(None, query) == StateChange(NOT_PENDING, "setup", {"workflowStatus": "completed"})


def test_parse_empty_object_body_falls_back_to_the_query() -> None:
    assert parse_state_change({}, {"state": PENDING}).state == PENDING


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ([PENDING], None),
        ("a workflow instance pending approval", None),
        ({"params": {}}, "state"),
        ({"state": ""}, "state"),
        ({"state": 3}, "state"),
        ({"states": []}, "state"),
        ({"states": [3]}, "state"),
        ({"state": PENDING, "action": "restart"}, "action"),
        ({"state": PENDING, "params": [1]}, "params"),
    ],
)
def test_parse_refuses_malformed_changes_with_400(body: Any, detail: str | None) -> None:
    with pytest.raises(ApiError) as error:
        parse_state_change(body, {})
    assert error.value.status == 400
    assert error.value.details == detail


def test_parse_without_a_state_lists_the_known_states() -> None:
    with pytest.raises(ApiError) as error:
        parse_state_change(None, {})
    assert PENDING in error.value.message and NOT_PENDING in error.value.message


# --- applying states to a store ------------------------------------------------------------------


@pytest.fixture
def states() -> tuple[ProviderStates, MemoryInstanceStore]:
    store = MemoryInstanceStore()
    ids = (f"{n:024x}" for n in itertools.count(1))
    return ProviderStates(STATES, store, default_account_group="team-a", new_id=lambda: next(ids)), store


def test_pending_setup_adds_a_fresh_pending_instance(states: tuple[ProviderStates, MemoryInstanceStore]) -> None:
    provider_states, store = states
    ids = provider_states.apply(StateChange(PENDING))
    assert set(ids) == ID_FIELDS
    assert ids["accountGroupId"] == "team-a"
    instance = store.get(ids["workflowInstanceId"])
    assert instance is not None
    assert instance.has_pending_approval is True
    assert instance.workflow_status == "pending"
    assert (instance.campaign_id, instance.lead_id) == (ids["campaignId"], ids["leadId"])


def test_each_setup_returns_a_new_instance(states: tuple[ProviderStates, MemoryInstanceStore]) -> None:
    provider_states, store = states
    first = provider_states.apply(StateChange(PENDING))
    second = provider_states.apply(StateChange(PENDING))
    assert first["workflowInstanceId"] != second["workflowInstanceId"]
    assert len(store.instances()) == 2


def test_not_pending_defaults_to_waiting(states: tuple[ProviderStates, MemoryInstanceStore]) -> None:
    provider_states, store = states
    instance = store.get(provider_states.apply(StateChange(NOT_PENDING))["workflowInstanceId"])
    assert instance is not None
    assert (instance.workflow_status, instance.has_pending_approval) == ("waiting", False)


@pytest.mark.parametrize("status", ["waiting", "completed", "stopped"])
def test_not_pending_takes_the_status_from_params(
    states: tuple[ProviderStates, MemoryInstanceStore], status: str
) -> None:
    provider_states, store = states
    ids = provider_states.apply(StateChange(NOT_PENDING, params={"workflowStatus": status}))
    instance = store.get(ids["workflowInstanceId"])
    assert instance is not None
    assert (instance.workflow_status, instance.has_pending_approval) == (status, False)


@pytest.mark.parametrize("status", ["pending", "archived", "", 3, None, [], {}])
def test_not_pending_refuses_other_statuses(states: tuple[ProviderStates, MemoryInstanceStore], status: Any) -> None:
    provider_states, store = states
    with pytest.raises(ApiError) as error:
        provider_states.apply(StateChange(NOT_PENDING, params={"workflowStatus": status}))
    assert error.value.status == 400
    assert error.value.details == "params.workflowStatus"
    assert store.instances() == []


def test_params_can_pick_the_account_group(states: tuple[ProviderStates, MemoryInstanceStore]) -> None:
    provider_states, _ = states
    assert provider_states.apply(StateChange(PENDING, params={"accountGroupId": "team-b"}))["accountGroupId"] == (
        "team-b"
    )


@pytest.mark.parametrize("group", ["", 3, None, ["team-b"]])
def test_a_bad_account_group_param_is_400(states: tuple[ProviderStates, MemoryInstanceStore], group: Any) -> None:
    provider_states, store = states
    with pytest.raises(ApiError) as error:
        provider_states.apply(StateChange(PENDING, params={"accountGroupId": group}))
    assert error.value.status == 400
    assert store.instances() == []


def test_teardown_changes_nothing(states: tuple[ProviderStates, MemoryInstanceStore]) -> None:
    provider_states, store = states
    assert provider_states.apply(StateChange(PENDING, action="teardown")) == {}
    assert store.instances() == []


def test_an_unknown_state_is_400_listing_the_known_ones(states: tuple[ProviderStates, MemoryInstanceStore]) -> None:
    provider_states, store = states
    for action in ("setup", "teardown"):
        with pytest.raises(ApiError) as error:
            provider_states.apply(StateChange("a user exists", action=action))
        assert error.value.status == 400
        assert PENDING in error.value.message and NOT_PENDING in error.value.message
    assert store.instances() == []


# --- over HTTP -----------------------------------------------------------------------------------


def setup_ids(response: Any) -> dict[str, str]:
    assert response.status_code in (200, 201), response.get_json()
    assert response.mimetype == "application/json"
    ids = response.get_json()
    assert set(ids) == ID_FIELDS
    assert all(isinstance(value, str) and value for value in ids.values())
    return ids


def instance_of(client: FlaskClient, ids: dict[str, str]) -> dict[str, Any]:
    response = client.get(f"/__mock/instances/{ids['workflowInstanceId']}")
    assert response.status_code == 200
    return response.get_json()


def test_current_form_sets_up_a_discardable_instance(client: FlaskClient) -> None:
    ids = setup_ids(client.post(URL, json={"state": PENDING, "params": {}, "action": "setup"}))
    assert ids["accountGroupId"] == ACME, "the execute key must reach the new instance"
    assert instance_of(client, ids)["hasPendingApproval"] is True
    assert client.post(path_of(ids), headers=bearer()).status_code == 200


def test_legacy_form_without_action_sets_up(client: FlaskClient) -> None:
    body = {"consumer": "web", "state": PENDING, "states": [PENDING], "params": {}}
    ids = setup_ids(client.post(URL, json=body))
    assert instance_of(client, ids)["hasPendingApproval"] is True


def test_query_form_sets_up_with_params(client: FlaskClient) -> None:
    ids = setup_ids(
        client.post(URL, query_string={"state": NOT_PENDING, "action": "setup", "workflowStatus": "completed"})
    )
    doc = instance_of(client, ids)
    assert (doc["workflowStatus"], doc["hasPendingApproval"]) == ("completed", False)


def test_a_not_pending_state_gets_409_on_discard(client: FlaskClient) -> None:
    ids = setup_ids(client.post(URL, json={"state": NOT_PENDING, "params": {"workflowStatus": "stopped"}}))
    response = client.post(path_of(ids), headers=bearer())
    assert response.status_code == 409
    assert instance_of(client, ids)["workflowStatus"] == "stopped"


def test_every_setup_call_returns_a_new_instance(client: FlaskClient, snapshot: Callable[[], list[Any]]) -> None:
    before = len(snapshot())
    seen = {setup_ids(client.post(URL, json={"state": PENDING}))["workflowInstanceId"] for _ in range(5)}
    assert len(seen) == 5
    assert len(snapshot()) == before + 5


def test_teardown_is_accepted_and_changes_nothing(client: FlaskClient, snapshot: Callable[[], list[Any]]) -> None:
    ids = setup_ids(client.post(URL, json={"state": PENDING, "action": "setup"}))
    before = snapshot()
    response = client.post(URL, json={"state": PENDING, "params": ids, "action": "teardown"})
    assert 200 <= response.status_code < 300
    assert response.mimetype == "application/json"
    assert snapshot() == before


def test_an_unknown_state_is_400_listing_the_known_ones_over_http(
    client: FlaskClient, snapshot: Callable[[], list[Any]]
) -> None:
    before = snapshot()
    for request in (
        {"json": {"state": "a user exists", "params": {}, "action": "setup"}},
        {"json": {"consumer": "web", "state": "a user exists", "states": ["a user exists"], "params": {}}},
        {"query_string": {"state": "a user exists", "action": "setup"}},
    ):
        response = client.post(URL, **request)
        assert response.status_code == 400
        body = response.get_json()
        assert_error_envelope(body, 400)
        assert PENDING in body["error"]["message"] and NOT_PENDING in body["error"]["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": b"{not json", "content_type": "application/json"},
        {"data": b"[" * 60000, "content_type": "application/json"},
        {"data": b"\xff\xfe", "content_type": "application/json"},
        {"json": {"state": NOT_PENDING, "params": {"workflowStatus": ["completed"]}}},
        {"json": {"state": NOT_PENDING, "params": {"workflowStatus": {"a": 1}}}},
        {"json": {"state": PENDING, "params": {"accountGroupId": {"a": 1}}}},
    ],
    ids=["not-json", "deeply-nested", "not-utf8", "status-list", "status-object", "group-object"],
)
def test_malformed_state_changes_are_4xx_envelopes(
    client: FlaskClient, snapshot: Callable[[], list[Any]], request_kwargs: dict[str, Any]
) -> None:
    before = snapshot()
    response = client.post(URL, **request_kwargs)
    assert 400 <= response.status_code < 500
    assert_error_envelope(response.get_json())
    assert snapshot() == before


def test_an_oversized_state_change_is_413(client: FlaskClient) -> None:
    response = client.post(URL, data=b" " * (64 * 1024 + 1), content_type="application/json")
    assert response.status_code == 413
    assert_error_envelope(response.get_json())


@pytest.mark.parametrize("group", ["no spaces", "x" * 129, "ümlaut"])
def test_an_account_group_no_discard_path_can_name_is_400(client: FlaskClient, group: str) -> None:
    before = client.get("/__mock/instances").get_json()
    response = client.post(URL, json={"state": PENDING, "params": {"accountGroupId": group}, "action": "setup"})
    assert response.status_code == 400
    assert "params.accountGroupId" in response.get_json()["error"]["message"]
    assert client.get("/__mock/instances").get_json() == before


def test_a_setup_puts_the_instance_in_the_campaign_and_group_it_names(client: FlaskClient) -> None:
    """CONTRACT.md: both states take params.accountGroupId and params.campaignId, so a run can set up
    instances of one campaign; a campaign is created in its group when new, and stays in it."""
    first = client.post(URL, json={"state": PENDING_STATE, "params": {"accountGroupId": ACME}}).get_json()
    campaign = first["campaignId"]
    same = client.post(URL, json={"state": PENDING_STATE, "params": {"campaignId": campaign}}).get_json()
    assert (same["accountGroupId"], same["campaignId"]) == (ACME, campaign)
    assert same["workflowInstanceId"] != first["workflowInstanceId"]
    stopped = client.post(
        URL,
        json={"state": NOT_PENDING_STATE, "params": {"campaignId": campaign, "workflowStatus": "stopped"}},
    ).get_json()
    assert (stopped["accountGroupId"], stopped["campaignId"]) == (ACME, campaign)
    new = "0123456789abcdef01234567"
    fresh = client.post(URL, json={"state": PENDING_STATE, "params": {"campaignId": new, "accountGroupId": "globex"}})
    assert fresh.status_code in (200, 201) and fresh.get_json()["campaignId"] == new
    assert fresh.get_json()["accountGroupId"] == "globex"
    # Both discard as usual: their paths name them.
    for ids in (first, same):
        path = path_of(ids)
        assert client.post(path, headers=bearer()).status_code == 200


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"campaignId": "not-a-campaign"}, "params.campaignId"),
        ({"campaignId": 7}, "params.campaignId must be a non-empty string"),
        ({"campaignId": "0123456789abcdef01234567", "accountGroupId": "globex"}, None),
    ],
)
def test_a_campaign_that_cannot_be_one_or_lies_in_another_group_is_refused(
    client: FlaskClient, params: dict[str, object], named: str | None
) -> None:
    client.post(URL, json={"state": PENDING_STATE, "params": {"campaignId": "0123456789abcdef01234567"}})
    answer = client.post(URL, json={"state": PENDING_STATE, "params": params})
    assert answer.status_code == 400, answer.get_json()
    message = answer.get_json()["error"]["message"]
    assert (named or "is a campaign of account group") in message, message
