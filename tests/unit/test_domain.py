"""The discard rules on their own, without HTTP or storage (mock_server/domain.py)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, astuple, replace

import pytest

from discard_contract.spec import Spec
from mock_server.domain import (
    ConditionalUpdate,
    DiscardRule,
    Instance,
    NotFound,
    NotPendingApproval,
    discarded,
    instance_of,
    locate,
    shipped_rule,
)

WORKFLOW_STATUSES = Spec.shipped().workflow_statuses

PENDING = Instance(
    workflow_instance_id="507f1f77bcf86cd799439011",
    account_group_id="acme-retail",
    campaign_id="507f191e810c19729de860ea",
    lead_id="64b7f0c2a1e4d93f5c2b8a10",
    workflow_status="pending",
    latest_step="awaiting_approval",
    workflow_stop_reason=None,
    has_pending_approval=True,
)


def test_json_round_trip_keeps_every_field() -> None:
    doc = PENDING.to_json()
    assert doc == {
        "workflowInstanceId": "507f1f77bcf86cd799439011",
        "accountGroupId": "acme-retail",
        "campaignId": "507f191e810c19729de860ea",
        "leadId": "64b7f0c2a1e4d93f5c2b8a10",
        "workflowStatus": "pending",
        "latestStep": "awaiting_approval",
        "workflowStopReason": None,
        "hasPendingApproval": True,
    }
    assert Instance.from_json(doc) == PENDING


def test_from_json_defaults_the_optional_fields() -> None:
    doc = {k: v for k, v in PENDING.to_json().items() if k not in ("latestStep", "workflowStopReason")}
    instance = Instance.from_json(doc)
    assert instance.latest_step == ""
    assert instance.workflow_stop_reason is None


def test_lead_status_has_the_documented_fields() -> None:
    assert PENDING.lead_status() == {
        "leadId": PENDING.lead_id,
        "workflowStatus": "pending",
        "workflowInstanceId": PENDING.workflow_instance_id,
        "latestStep": "awaiting_approval",
        "workflowStopReason": None,
        "hasPendingApproval": True,
    }


def can_discard(instance: Instance) -> bool:
    return (
        shipped_rule()
        .update(instance.account_group_id, instance.campaign_id, instance.workflow_instance_id)
        .matches(instance)
    )


def test_the_rule_sets_what_the_spec_example_of_a_discard_shows(spec: Spec) -> None:
    """The discard's effect is read from the spec; a hand-edited example changes the rule, never drifts from it."""
    shown = spec.operation().success_example()["data"]
    rule = DiscardRule.from_spec(spec)
    assert rule.action == shown["action"] == "discarded"
    assert dict(rule.assign) == {
        "workflow_status": "stopped",
        "workflow_stop_reason": "CONTENT_DISCARDED",
        "has_pending_approval": False,
    }


def test_a_conditional_update_refuses_fields_an_instance_does_not_have() -> None:
    with pytest.raises(ValueError, match="not instance fields"):
        ConditionalUpdate("x", expect={"has_pending_approval": True}, assign={"status; DROP TABLE": 1})


@pytest.mark.parametrize(
    ("account_group", "campaign", "instance_id"),
    [
        ("globex-media", "507f191e810c19729de860ea", "507f1f77bcf86cd799439011"),
        ("acme-retail", "64b7f0c2a1e4d93f5c2b8a01", "507f1f77bcf86cd799439011"),
        ("acme-retail", "507f191e810c19729de860ea", "000000000000000000000000"),
    ],
)
def test_the_discard_update_matches_only_the_instance_in_the_path_scope(
    account_group: str, campaign: str, instance_id: str
) -> None:
    assert not shipped_rule().update(account_group, campaign, instance_id).matches(PENDING)
    assert shipped_rule().update("acme-retail", PENDING.campaign_id, PENDING.workflow_instance_id).matches(PENDING)


def test_a_refusal_says_not_found_out_of_scope_and_not_pending_in_scope() -> None:
    rule = shipped_rule()
    assert isinstance(rule.refusal(None, "acme-retail", PENDING.campaign_id, PENDING.workflow_instance_id), NotFound)
    assert isinstance(
        rule.refusal(PENDING, "globex-media", PENDING.campaign_id, PENDING.workflow_instance_id), NotFound
    )
    stopped = discarded(PENDING)
    refused = rule.refusal(stopped, "acme-retail", PENDING.campaign_id, PENDING.workflow_instance_id)
    assert isinstance(refused, NotPendingApproval) and refused.instance == stopped


def test_locate_returns_the_instance_the_path_names() -> None:
    assert locate(PENDING, "acme-retail", PENDING.campaign_id, PENDING.workflow_instance_id) is PENDING


@pytest.mark.parametrize(
    ("account_group", "campaign", "instance_id"),
    [
        ("globex-media", "507f191e810c19729de860ea", "507f1f77bcf86cd799439011"),  # other account group
        ("acme-retail", "64b7f0c2a1e4d93f5c2b8a01", "507f1f77bcf86cd799439011"),  # other campaign
        ("acme-retail", "507f191e810c19729de860ea", "000000000000000000000000"),  # other instance
    ],
)
def test_locate_refuses_any_id_out_of_scope(account_group: str, campaign: str, instance_id: str) -> None:
    """A wrong campaign or account group looks exactly like an unknown instance."""
    with pytest.raises(NotFound):
        locate(PENDING, account_group, campaign, instance_id)


def test_locate_refuses_a_missing_instance() -> None:
    with pytest.raises(NotFound):
        locate(None, "acme-retail", PENDING.campaign_id, PENDING.workflow_instance_id)


def test_discarded_stops_the_instance_and_clears_the_gate() -> None:
    after = discarded(PENDING)
    assert after.workflow_status == "stopped"
    assert after.workflow_stop_reason == "CONTENT_DISCARDED"
    assert after.has_pending_approval is False
    assert after.workflow_status != "completed", "a discard must not pretend the content was sent"
    # Identity and history stay as they were.
    assert (after.workflow_instance_id, after.account_group_id, after.campaign_id, after.lead_id) == (
        PENDING.workflow_instance_id,
        PENDING.account_group_id,
        PENDING.campaign_id,
        PENDING.lead_id,
    )
    assert after.latest_step == PENDING.latest_step


def test_discarded_leaves_its_input_unchanged() -> None:
    discarded(PENDING)
    assert PENDING.has_pending_approval is True
    assert PENDING.workflow_status == "pending"


def test_a_discarded_instance_cannot_be_discarded_again() -> None:
    """Not idempotent: the repeat is refused, with the instance as it is now."""
    after = discarded(PENDING)
    with pytest.raises(NotPendingApproval) as refused:
        discarded(after)
    assert refused.value.instance == after


@pytest.mark.parametrize("status", [s for s in WORKFLOW_STATUSES if s != "pending"])
def test_instances_without_a_pending_approval_are_refused(status: str) -> None:
    instance = replace(PENDING, workflow_status=status, has_pending_approval=False)
    assert not can_discard(instance)
    with pytest.raises(NotPendingApproval):
        discarded(instance)


def test_pending_approval_is_the_gate_flag_not_the_status_name() -> None:
    """CONTRACT: pending approval means hasPendingApproval is true, whatever the status says."""
    waiting_at_gate = replace(PENDING, workflow_status="waiting", has_pending_approval=True)
    pending_without_gate = replace(PENDING, has_pending_approval=False)
    assert can_discard(waiting_at_gate)
    assert discarded(waiting_at_gate).workflow_status == "stopped"
    assert not can_discard(pending_without_gate)


def test_discard_result_is_the_200_data(spec: Spec) -> None:
    after = discarded(PENDING)
    data = shipped_rule().result(after)
    assert data == {
        "action": "discarded",
        "workflowInstanceId": PENDING.workflow_instance_id,
        "leadStatus": after.lead_status(),
    }
    assert data["action"] == "discarded"
    body = {"success": True, "data": data, "error": None, "traceId": "t"}
    assert spec.response_validator("discardWorkflowInstance", 200).is_valid(body)


def test_an_instance_read_from_json_keeps_its_stop_reason() -> None:
    stopped = discarded(PENDING)
    assert Instance.from_json(stopped.to_json()).workflow_stop_reason == "CONTENT_DISCARDED"
    assert Instance.from_json(stopped.to_json()) == stopped


def test_each_refusal_names_the_instance_it_refused() -> None:
    with pytest.raises(NotFound) as not_found:
        locate(None, "acme-retail", PENDING.campaign_id, "64b7f0c2a1e4d93f5c2b8b99")
    assert str(not_found.value) == "64b7f0c2a1e4d93f5c2b8b99"
    with pytest.raises(NotPendingApproval) as not_pending:
        discarded(discarded(PENDING))
    assert str(not_pending.value) == PENDING.workflow_instance_id


def test_an_instance_built_through_its_slots_is_the_instance_its_constructor_builds() -> None:
    built = instance_of(*astuple(PENDING))
    assert built == PENDING and hash(built) == hash(PENDING) and astuple(built) == astuple(PENDING)
    assert Instance.from_json(PENDING.to_json()) == PENDING
    with pytest.raises(FrozenInstanceError):
        built.workflow_status = "stopped"  # type: ignore[misc]
