"""The discard rules, free of HTTP and storage.

Everything here is a pure function of an instance and a request's path IDs, so
the same rules serve every store (in memory, SQLite) and every test.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

WORKFLOW_STATUSES = (
    "pending",
    "waiting",
    "completed",
    "stopped",
    "not_started",
    "not_in_campaign",
    "not_eligible",
)
DISCARDED_STATUS = "stopped"
DISCARD_STOP_REASON = "CONTENT_DISCARDED"
DISCARD_ACTION = "discarded"


@dataclass(frozen=True, slots=True)
class Instance:
    """A campaign-scoped workflow instance, as the lead-status page shows it."""

    workflow_instance_id: str
    account_group_id: str
    campaign_id: str
    lead_id: str
    workflow_status: str
    latest_step: str
    workflow_stop_reason: str | None
    has_pending_approval: bool

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Instance:
        return cls(
            workflow_instance_id=doc["workflowInstanceId"],
            account_group_id=doc["accountGroupId"],
            campaign_id=doc["campaignId"],
            lead_id=doc["leadId"],
            workflow_status=doc["workflowStatus"],
            latest_step=doc.get("latestStep", ""),
            workflow_stop_reason=doc.get("workflowStopReason"),
            has_pending_approval=bool(doc["hasPendingApproval"]),
        )

    def to_json(self) -> dict[str, Any]:
        """The control API's view: every field, camel-cased."""
        doc = asdict(self)
        return {_camel(key): value for key, value in doc.items()}

    def lead_status(self) -> dict[str, Any]:
        """The `leadStatus` object of the public API."""
        return {
            "leadId": self.lead_id,
            "workflowStatus": self.workflow_status,
            "workflowInstanceId": self.workflow_instance_id,
            "latestStep": self.latest_step,
            "workflowStopReason": self.workflow_stop_reason,
            "hasPendingApproval": self.has_pending_approval,
        }


class DiscardRefused(Exception):
    """A discard that the rules forbid; the instance stays as it was."""


class NotFound(DiscardRefused):
    """The path does not name an instance of that campaign and account group."""


class NotPendingApproval(DiscardRefused):
    """The instance has no content waiting at its approval gate."""

    def __init__(self, instance: Instance) -> None:
        super().__init__(instance.workflow_instance_id)
        self.instance = instance


def locate(instance: Instance | None, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> Instance:
    """The instance the path names, or NotFound when any ID is out of scope.

    A wrong campaign or account group is indistinguishable from an unknown
    instance on purpose: it must not reveal what exists elsewhere.
    """
    if (
        instance is None
        or instance.workflow_instance_id != workflow_instance_id
        or instance.campaign_id != campaign_id
        or instance.account_group_id != account_group_id
    ):
        raise NotFound(workflow_instance_id)
    return instance


def can_discard(instance: Instance) -> bool:
    """Only content waiting at the approval gate can be discarded."""
    return instance.has_pending_approval


def discarded(instance: Instance) -> Instance:
    """The instance after a discard: stopped, gate closed, never 'completed'.

    Raises NotPendingApproval when there is nothing to discard, so a repeat of
    a successful discard is refused rather than answered twice.
    """
    if not can_discard(instance):
        raise NotPendingApproval(instance)
    return replace(
        instance,
        workflow_status=DISCARDED_STATUS,
        workflow_stop_reason=DISCARD_STOP_REASON,
        has_pending_approval=False,
    )


def discard_result(instance: Instance) -> dict[str, Any]:
    """The `data` of a 200 answer for a discarded instance."""
    return {
        "action": DISCARD_ACTION,
        "workflowInstanceId": instance.workflow_instance_id,
        "leadStatus": instance.lead_status(),
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
