"""The consumer's code under test: a small client for the discard endpoint, as a frontend's API layer has.

It is what the consumer test exercises against Pact's mock server; the pact
it produces records what this client sends and what it relies on in the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

DISCARD_PATH = "/v1/accounts/{accountGroupId}/campaigns/{campaignId}/workflow-instances/{workflowInstanceId}/discard"


@dataclass(frozen=True)
class Discarded:
    """A 200: the instance was stopped and its pending content thrown away."""

    workflow_instance_id: str
    workflow_status: str


class DiscardRefused(Exception):
    """Any error envelope: the status and the error code are what the UI branches on."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class DiscardClient:
    def __init__(self, base_url: str, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key

    def discard(self, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> Discarded:
        path = DISCARD_PATH.format(
            accountGroupId=account_group_id, campaignId=campaign_id, workflowInstanceId=workflow_instance_id
        )
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        response = requests.post(self.base_url + path, headers=headers, timeout=10)
        body: dict[str, Any] = response.json()
        if not body.get("success"):
            error = body.get("error") or {}
            raise DiscardRefused(response.status_code, error.get("code", ""), error.get("message", ""))
        data = body["data"]
        return Discarded(data["workflowInstanceId"], data["leadStatus"]["workflowStatus"])
