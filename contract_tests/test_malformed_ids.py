"""Malformed IDs: a 4xx error envelope, never a success, never a server error."""

from __future__ import annotations

import pytest

from discard_contract import rules
from discard_contract.ids import InstanceIds

from .client import DiscardClient
from .outcomes import expect_status, expect_unchanged

MALFORMED = {
    "workflowInstanceId too short": ("workflowInstanceId", "507f1f77bcf86cd79943901"),
    "workflowInstanceId not hex": ("workflowInstanceId", "zzzzzzzzzzzzzzzzzzzzzzzz"),
    "workflowInstanceId too long": ("workflowInstanceId", "a" * 300),
    "workflowInstanceId with spaces": ("workflowInstanceId", "not an id"),
    "workflowInstanceId non-ASCII": ("workflowInstanceId", "ïñstâncé"),
    "campaignId not hex": ("campaignId", "campaign-name"),
    "campaignId SQL-ish": ("campaignId", "' OR '1'='1"),
}


@pytest.mark.contract_rule(rules.INPUT_VALIDATION, rules.REJECTED_UNCHANGED)
@pytest.mark.parametrize("name,value", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_id_is_refused_with_an_error_envelope(
    discard_client: DiscardClient, pending_instance: InstanceIds, name: str, value: str
) -> None:
    refused = discard_client.discard(pending_instance.path(**{name: value}))
    expect_status(refused, rules.INPUT_VALIDATION, f"a discard with a malformed {name} {value!r}")
    expect_unchanged(discard_client, pending_instance, after=refused)


@pytest.mark.contract_rule(rules.INPUT_VALIDATION, rules.REJECTED_UNCHANGED)
def test_a_malformed_account_group_is_refused_with_an_error_envelope(
    discard_client: DiscardClient, pending_instance: InstanceIds
) -> None:
    refused = discard_client.discard(pending_instance.path(accountGroupId="no spaces allowed!"))
    # A server that checks no format sees an account group the key cannot access: 403 or 404 too.
    allowed = rules.INPUT_VALIDATION.statuses | rules.ACCOUNT_GROUP.statuses
    expect_status(refused, rules.INPUT_VALIDATION, "a discard with a malformed accountGroupId", allowed)
    expect_unchanged(discard_client, pending_instance, after=refused)
