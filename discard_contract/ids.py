"""The IDs a test may send, and IDs that name nothing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

ID_FIELDS = ("accountGroupId", "campaignId", "workflowInstanceId", "leadId")

# ObjectIds start with their creation time in seconds; ffffffff is the year 2106,
# so an ID with that prefix cannot name anything created so far.
_NEVER_ISSUED_PREFIX = "ffffffff"


def nonexistent_object_id() -> str:
    """A well-formed 24-hex ID that cannot name an existing resource."""
    return _NEVER_ISSUED_PREFIX + secrets.token_hex(8)


def nonexistent_account_group_id() -> str:
    return "contract-unknown-" + secrets.token_hex(6)


@dataclass(frozen=True)
class InstanceIds:
    """An instance this run was given: it may be discarded, nothing else may."""

    account_group_id: str
    campaign_id: str
    workflow_instance_id: str
    lead_id: str

    @classmethod
    def from_json(cls, doc: Any, source: str) -> InstanceIds:
        if not isinstance(doc, dict) or not all(isinstance(doc.get(f), str) and doc.get(f) for f in ID_FIELDS):
            raise ValueError(f"{source} gave {doc!r}; expected a JSON object with string fields {', '.join(ID_FIELDS)}")
        return cls(doc["accountGroupId"], doc["campaignId"], doc["workflowInstanceId"], doc["leadId"])

    def as_json(self) -> dict[str, str]:
        return {
            "accountGroupId": self.account_group_id,
            "campaignId": self.campaign_id,
            "workflowInstanceId": self.workflow_instance_id,
            "leadId": self.lead_id,
        }

    def path(self, **override: str) -> dict[str, str]:
        """The discard path's parameters, with any of them replaced."""
        return {
            "accountGroupId": self.account_group_id,
            "campaignId": self.campaign_id,
            "workflowInstanceId": self.workflow_instance_id,
            **override,
        }

    def __str__(self) -> str:
        return f"{self.account_group_id}/{self.campaign_id}/{self.workflow_instance_id}"


def unknown_path() -> dict[str, str]:
    """Path parameters that name no resource at all (safe with any key)."""
    return {
        "accountGroupId": nonexistent_account_group_id(),
        "campaignId": nonexistent_object_id(),
        "workflowInstanceId": nonexistent_object_id(),
    }
