"""Existence and scope: IDs out of scope are 404 (403 where CONTRACT.md allows) and change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from discard_contract import rules
from discard_contract.ids import InstanceIds, nonexistent_account_group_id, nonexistent_object_id

from .client import DiscardClient
from .outcomes import expect_status, expect_unchanged


@pytest.mark.contract_rule(rules.SCOPE_404, rules.REJECTED_UNCHANGED)
def test_an_unknown_instance_is_not_found(discard_client: DiscardClient, pending_instance: InstanceIds) -> None:
    refused = discard_client.discard(pending_instance.path(workflowInstanceId=nonexistent_object_id()))
    expect_status(refused, rules.SCOPE_404, "a discard of an unknown instance")
    expect_unchanged(discard_client, pending_instance, after=refused)


@pytest.mark.contract_rule(rules.SCOPE_404, rules.REJECTED_UNCHANGED)
def test_an_unknown_campaign_is_not_found(discard_client: DiscardClient, pending_instance: InstanceIds) -> None:
    refused = discard_client.discard(pending_instance.path(campaignId=nonexistent_object_id()))
    expect_status(refused, rules.SCOPE_404, "a discard of an instance under an unknown campaign")
    expect_unchanged(discard_client, pending_instance, after=refused)


@pytest.mark.contract_rule(rules.SCOPE_404, rules.REJECTED_UNCHANGED)
def test_an_instance_of_another_campaign_is_not_found(
    discard_client: DiscardClient, provisioner: Any, api_key: str
) -> None:
    instance, other = provisioner.pending(), provisioner.pending()
    if instance.campaign_id == other.campaign_id:
        pytest.skip("the two provisioned instances share a campaign, so neither lies in another one")
    refused = discard_client.discard(instance.path(campaignId=other.campaign_id))
    expect_status(refused, rules.SCOPE_404, "a discard of an instance under another campaign")
    expect_unchanged(discard_client, instance, after=refused)
    expect_unchanged(discard_client, other, after=refused)


@pytest.mark.contract_rule(rules.ACCOUNT_GROUP, rules.REJECTED_UNCHANGED)
def test_an_unknown_or_inaccessible_account_group_is_refused(
    discard_client: DiscardClient, pending_instance: InstanceIds
) -> None:
    refused = discard_client.discard(pending_instance.path(accountGroupId=nonexistent_account_group_id()))
    expect_status(refused, rules.ACCOUNT_GROUP, "a discard in an account group the key cannot access")
    expect_unchanged(discard_client, pending_instance, after=refused)
