"""The discard rule, free of HTTP and storage, written once.

A discard is a `ConditionalUpdate`: what the instance must be (in the path's
scope, pending approval) and what it becomes. Every store (memory, SQLite,
Redis) applies such an update in one atomic step and knows nothing of the
rule; what an instance becomes is read from the spec's example of a discard,
so the rule, the spec and the answers cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cache
from types import MappingProxyType
from typing import Any

from discard_contract.spec import Spec

PENDING_APPROVAL: Mapping[str, object] = MappingProxyType({"has_pending_approval": True})


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

    @staticmethod
    def from_json(doc: dict[str, Any]) -> Instance:
        return instance_of(
            doc["workflowInstanceId"],
            doc["accountGroupId"],
            doc["campaignId"],
            doc["leadId"],
            doc["workflowStatus"],
            doc.get("latestStep", ""),
            doc.get("workflowStopReason"),
            bool(doc["hasPendingApproval"]),
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


# Each field's slot, set directly (below); unpacking fails at import if Instance gains or loses a field.
_set_id, _set_group, _set_campaign, _set_lead, _set_status, _set_step, _set_reason, _set_pending = (
    getattr(Instance, each.name).__set__ for each in fields(Instance)
)
_new = object.__new__


def instance_of(
    workflow_instance_id: str,
    account_group_id: str,
    campaign_id: str,
    lead_id: str,
    workflow_status: str,
    latest_step: str,
    workflow_stop_reason: str | None,
    has_pending_approval: bool,
) -> Instance:
    """The Instance `Instance(...)` would build from these fields in order, built through its slots.

    Why: a frozen dataclass's __init__ sets each field through object.__setattr__; this costs
    about 60% of it (1.6 against 2.7 µs), and the mock builds an instance for every discard and
    a million of them to start with a million (bench/README.md). Instance has no __post_init__.
    """
    instance: Instance = _new(Instance)
    _set_id(instance, workflow_instance_id)
    _set_group(instance, account_group_id)
    _set_campaign(instance, campaign_id)
    _set_lead(instance, lead_id)
    _set_status(instance, workflow_status)
    _set_step(instance, latest_step)
    _set_reason(instance, workflow_stop_reason)
    _set_pending(instance, has_pending_approval)
    return instance


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


INSTANCE_FIELDS = frozenset(f.name for f in fields(Instance))


@dataclass(frozen=True)
class ConditionalUpdate:
    """Set `assign` on an instance whose fields equal `expect`, as one step; otherwise change nothing.

    Plain data (field names and values), so each store can express it in its
    own terms (a dict under a lock, one SQL UPDATE, one Lua script).
    """

    workflow_instance_id: str
    expect: Mapping[str, object]
    assign: Mapping[str, object]

    def __post_init__(self) -> None:
        if not (self.expect.keys() <= INSTANCE_FIELDS and self.assign.keys() <= INSTANCE_FIELDS):
            unknown = (set(self.expect) | set(self.assign)) - INSTANCE_FIELDS
            raise ValueError(f"not instance fields: {sorted(unknown)}")

    def matches(self, instance: Instance | None) -> bool:
        return (
            instance is not None
            and instance.workflow_instance_id == self.workflow_instance_id
            and all(getattr(instance, name) == value for name, value in self.expect.items())
        )

    def applied(self, instance: Instance) -> Instance:
        return replace(instance, **self.assign)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DiscardRule:
    """What a discard requires and what it does.

    It requires an instance in the path's scope that is pending approval; it
    sets the leadStatus fields the spec's example of a discard shows (stopped,
    CONTENT_DISCARDED, gate closed; never 'completed', which would pretend the
    content was sent) and answers with the example's action.
    """

    action: str
    assign: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: Spec) -> DiscardRule:
        data = spec.operation().success_example()["data"]
        status = data["leadStatus"]
        return cls(
            action=data["action"],
            assign=MappingProxyType(
                {
                    "workflow_status": status["workflowStatus"],
                    "workflow_stop_reason": status["workflowStopReason"],
                    "has_pending_approval": status["hasPendingApproval"],
                }
            ),
        )

    def update(self, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> ConditionalUpdate:
        return ConditionalUpdate(
            workflow_instance_id,
            expect={"account_group_id": account_group_id, "campaign_id": campaign_id, **PENDING_APPROVAL},
            assign=self.assign,
        )

    def discard(
        self,
        update_if: Callable[[ConditionalUpdate], tuple[Instance | None, bool]],
        account_group_id: str,
        campaign_id: str,
        workflow_instance_id: str,
    ) -> Instance:
        """The discarded instance, through a store's atomic `update_if`; NotFound or NotPendingApproval otherwise."""
        current, applied = update_if(self.update(account_group_id, campaign_id, workflow_instance_id))
        if applied and current is not None:
            return current
        raise self.refusal(current, account_group_id, campaign_id, workflow_instance_id)

    def refusal(
        self, current: Instance | None, account_group_id: str, campaign_id: str, workflow_instance_id: str
    ) -> DiscardRefused:
        """Why an update that matched nothing was refused: out of scope (404), or not pending (409)."""
        try:
            return NotPendingApproval(locate(current, account_group_id, campaign_id, workflow_instance_id))
        except NotFound as not_found:
            return not_found

    def result(self, instance: Instance) -> dict[str, Any]:
        """The `data` of a 200 answer for a discarded instance."""
        return {
            "action": self.action,
            "workflowInstanceId": instance.workflow_instance_id,
            "leadStatus": instance.lead_status(),
        }


@cache
def shipped_rule() -> DiscardRule:
    """The rule of the spec that ships in the package (for callers without a spec of their own)."""
    return DiscardRule.from_spec(Spec.shipped())


def discarded(instance: Instance, rule: DiscardRule | None = None) -> Instance:
    """The instance after a discard in its own scope; NotPendingApproval when nothing waits at its gate."""
    update = (rule or shipped_rule()).update(
        instance.account_group_id, instance.campaign_id, instance.workflow_instance_id
    )
    if not update.matches(instance):
        raise NotPendingApproval(instance)
    return update.applied(instance)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
