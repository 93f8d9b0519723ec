"""State rules: a pending instance is discarded once; anything else is a 409."""

from __future__ import annotations

from typing import Any

import pytest

from .client import DiscardClient
from .ids import InstanceIds
from .outcomes import expect_discard_details, expect_discarded, expect_status, expect_unchanged
from .provisioning import NOT_PENDING_STATUSES


@pytest.mark.contract_rule("discard-200")
def test_a_discard_answers_for_exactly_that_instance(
    discard_client: DiscardClient, pending_instance: InstanceIds
) -> None:
    expect_discarded(discard_client.discard(pending_instance.path()), pending_instance)


@pytest.mark.inferred
@pytest.mark.contract_rule("discard-details")
def test_a_discard_stops_the_instance_with_content_discarded(
    discard_client: DiscardClient, pending_instance: InstanceIds
) -> None:
    expect_discard_details(discard_client.discard(pending_instance.path()))


@pytest.mark.contract_rule("repeat-409")
def test_a_repeated_discard_is_a_conflict(discard_client: DiscardClient, pending_instance: InstanceIds) -> None:
    expect_discarded(discard_client.discard(pending_instance.path()), pending_instance)
    repeat = discard_client.discard(pending_instance.path())
    expect_status(repeat, {409}, "repeat-409", "a repeat of a successful discard")


@pytest.mark.contract_rule("not-pending-409", "rejected-unchanged")
@pytest.mark.parametrize("workflow_status", NOT_PENDING_STATUSES)
def test_an_instance_not_pending_approval_is_a_conflict(
    discard_client: DiscardClient, provisioner: Any, api_key: str, workflow_status: str
) -> None:
    instance = provisioner.not_pending(workflow_status)
    refused = discard_client.discard(instance.path())
    expect_status(
        refused, {409}, "not-pending-409", f"a discard of an instance not pending approval ({workflow_status})"
    )
    expect_unchanged(discard_client, instance, after=refused, pending=False)
