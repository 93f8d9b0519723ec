"""Provider states: fresh instances on request, in every form Pact verifiers send.

Current verifiers post `{"state", "params", "action"}`; the legacy verifier
posts `{"consumer", "state", "states", "params"}` without an action (a setup);
a third form puts `state`, `action` and each param in the query string.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .domain import Instance
from .envelope import ApiError
from .store import InstanceStore

PENDING = "a workflow instance pending approval"
NOT_PENDING = "a workflow instance not pending approval"
NOT_PENDING_STATUSES: Mapping[str, tuple[str, str | None]] = {
    # workflowStatus -> (latestStep, workflowStopReason)
    "waiting": ("wait_3_days", None),
    "completed": ("email_2_sent", None),
    "stopped": ("email_1_sent", "MANUALLY_STOPPED"),
}
ACTIONS = ("setup", "teardown")


@dataclass(frozen=True)
class StateChange:
    state: str
    action: str = "setup"
    params: dict[str, Any] = field(default_factory=dict)


def parse_state_change(body: Any, query: Mapping[str, str]) -> StateChange:
    """Reads any of the three request forms; 400 on anything else."""
    if body is None or body == {}:
        body = dict(query)
        params = {k: v for k, v in body.items() if k not in ("state", "action", "consumer")}
        body = {"state": body.get("state"), "action": body.get("action"), "params": params}
    if not isinstance(body, dict):
        raise ApiError(400, 'A state change is a JSON object: {"state", "params", "action"}.')
    state = body.get("state")
    if not state and isinstance(body.get("states"), list) and body["states"]:
        state = body["states"][0]
    if not isinstance(state, str) or not state:
        raise ApiError(400, f"Name a provider state in 'state'. Known states: {_known()}.", details="state")
    action = body.get("action") or "setup"
    if action not in ACTIONS:
        raise ApiError(400, f"'action' must be setup or teardown; got {action!r}.", details="action")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise ApiError(400, "'params' must be a JSON object.", details="params")
    return StateChange(state=state, action=action, params=params)


class ProviderStates:
    """Sets up the named states in a store, one new instance per setup call."""

    def __init__(
        self,
        store: InstanceStore,
        default_account_group: str,
        new_id: Callable[[], str] = lambda: secrets.token_hex(12),
        account_group_problem: Callable[[str], str | None] = lambda _: None,
    ) -> None:
        """`account_group_problem` says why a group ID is not one a discard path can name (the spec's rule)."""
        self._store = store
        self._default_account_group = default_account_group
        self._new_id = new_id
        self._account_group_problem = account_group_problem

    def apply(self, change: StateChange) -> dict[str, str]:
        if change.state not in (PENDING, NOT_PENDING):
            raise ApiError(400, f"Unknown provider state {change.state!r}. Known states: {_known()}.", details="state")
        if change.action == "teardown":
            return {}  # instances are never reused, so there is nothing to undo
        instance = self._new_instance(change)
        self._store.add(instance)
        return {
            "accountGroupId": instance.account_group_id,
            "campaignId": instance.campaign_id,
            "workflowInstanceId": instance.workflow_instance_id,
            "leadId": instance.lead_id,
        }

    def _new_instance(self, change: StateChange) -> Instance:
        params = change.params
        account_group = params.get("accountGroupId", self._default_account_group)
        if not isinstance(account_group, str) or not account_group:
            raise ApiError(400, "params.accountGroupId must be a non-empty string.", details="params.accountGroupId")
        if problem := self._account_group_problem(account_group):
            raise ApiError(400, f"params.accountGroupId: {problem}", details="params.accountGroupId")
        common = {
            "workflow_instance_id": self._new_id(),
            "account_group_id": account_group,
            "campaign_id": self._new_id(),
            "lead_id": self._new_id(),
        }
        if change.state == PENDING:
            return Instance(
                **common,
                workflow_status="pending",
                latest_step="awaiting_approval",
                workflow_stop_reason=None,
                has_pending_approval=True,
            )
        status = params.get("workflowStatus", "waiting")
        if not isinstance(status, str) or status not in NOT_PENDING_STATUSES:
            raise ApiError(
                400,
                f"params.workflowStatus must be one of {', '.join(NOT_PENDING_STATUSES)}; got {status!r}.",
                details="params.workflowStatus",
            )
        latest_step, stop_reason = NOT_PENDING_STATUSES[status]
        return Instance(
            **common,
            workflow_status=status,
            latest_step=latest_step,
            workflow_stop_reason=stop_reason,
            has_pending_approval=False,
        )


def _known() -> str:
    return f"{PENDING!r}, {NOT_PENDING!r}"
