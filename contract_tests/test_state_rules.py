"""State rules: a pending instance is discarded once; anything else is a 409."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from discard_contract import rules
from discard_contract.ids import InstanceIds

from .client import DiscardClient
from .outcomes import expect_discard_details, expect_discarded, expect_status, expect_unchanged
from .provisioning import NOT_PENDING_STATUSES

IDEMPOTENCY_KEY = "Idempotency-Key"


@pytest.mark.contract_rule(rules.DISCARD_200)
def test_a_discard_answers_for_exactly_that_instance(
    discard_client: DiscardClient, pending_instance: InstanceIds
) -> None:
    expect_discarded(discard_client.discard(pending_instance.path()), pending_instance)


@pytest.mark.inferred
@pytest.mark.contract_rule(rules.DISCARD_DETAILS)
def test_a_discard_stops_the_instance_with_content_discarded(
    discard_client: DiscardClient, pending_instance: InstanceIds
) -> None:
    expect_discard_details(discard_client.discard(pending_instance.path()))


@pytest.mark.contract_rule(rules.REPEAT_409)
def test_a_repeated_discard_is_a_conflict(discard_client: DiscardClient, pending_instance: InstanceIds) -> None:
    expect_discarded(discard_client.discard(pending_instance.path()), pending_instance)
    repeat = discard_client.discard(pending_instance.path())
    expect_status(repeat, rules.REPEAT_409, "a repeat of a successful discard")


@pytest.mark.contract_rule(rules.IDEMPOTENCY)
def test_a_repeat_carrying_the_same_idempotency_key_is_a_conflict(
    discard_client: DiscardClient, pending_instance: InstanceIds
) -> None:
    """ "Idempotency: not supported": a server that replays the first 200 for a repeated key tells
    the client that a second discard succeeded."""
    headers = {**discard_client.bearer(), IDEMPOTENCY_KEY: "contract-" + secrets.token_hex(8)}
    expect_discarded(discard_client.discard(pending_instance.path(), headers=headers), pending_instance)
    repeat = discard_client.discard(pending_instance.path(), headers=headers)
    expect_status(repeat, rules.IDEMPOTENCY, f"a repeat of a successful discard with the same {IDEMPOTENCY_KEY}")


@pytest.mark.contract_rule(rules.NOT_PENDING_409, rules.REJECTED_UNCHANGED)
@pytest.mark.parametrize("workflow_status", NOT_PENDING_STATUSES)
def test_an_instance_not_pending_approval_is_a_conflict(
    discard_client: DiscardClient, provisioner: Any, api_key: str, workflow_status: str
) -> None:
    instance = provisioner.not_pending(workflow_status)
    refused = discard_client.discard(instance.path())
    expect_status(refused, rules.NOT_PENDING_409, f"a discard of an instance not pending approval ({workflow_status})")
    expect_unchanged(discard_client, instance, after=refused, pending=False)
