"""A request body never widens the effect of a discard."""

from __future__ import annotations

from typing import Any

import pytest

from discard_contract import rules

from .client import DiscardClient
from .outcomes import expect_discarded, expect_status, expect_unchanged


def _bodies(other: Any) -> dict[str, dict[str, Any]]:
    """Bodies that name another instance, ask for bulk discard, or edit the message."""
    return {
        "json naming another instance": {
            "json": {
                "workflowInstanceId": other.workflow_instance_id,
                "workflowInstanceIds": [other.workflow_instance_id],
                "campaignId": other.campaign_id,
                "accountGroupId": other.account_group_id,
            }
        },
        "json asking for a bulk discard": {"json": {"all": True, "bulk": True, "filter": {"campaignId": "*"}}},
        "json editing the message": {"json": {"message": "Edited content", "content": {"body": "Edited"}}},
        "form naming another instance": {"data": {"workflowInstanceId": other.workflow_instance_id}},
        "plain text": {"data": f"discard {other.workflow_instance_id}", "headers": {"Content-Type": "text/plain"}},
    }


@pytest.mark.contract_rule(rules.BODY_IGNORED)
@pytest.mark.parametrize(
    "kind",
    [
        "json naming another instance",
        "json asking for a bulk discard",
        "json editing the message",
        "form naming another instance",
        "plain text",
    ],
)
def test_a_body_never_discards_or_edits_another_instance(
    discard_client: DiscardClient, provisioner: Any, api_key: str, kind: str
) -> None:
    target, bystander = provisioner.pending(), provisioner.pending()
    request = dict(_bodies(bystander)[kind])
    headers = {**discard_client.bearer(), **request.pop("headers", {})}
    answer = discard_client.discard(target.path(), headers=headers, **request)
    expect_status(answer, rules.BODY_IGNORED, f"a discard with a body ({kind}): ignored (200) or refused (400)")
    if answer.status == rules.DISCARD_200.status:
        expect_discarded(answer, target)
    else:
        expect_unchanged(discard_client, target, after=answer)
    expect_unchanged(discard_client, bystander, after=answer)
