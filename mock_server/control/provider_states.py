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

from discard_contract.spec import Spec

from ..domain import Instance
from ..envelope import ApiError
from ..storage import InstanceStore

# state name -> workflowStatus -> the instance's other leadStatus fields, as the spec's x-provider-states gives them
StateTable = Mapping[str, Mapping[str, Mapping[str, Any]]]

ACTIONS = ("setup", "teardown")


@dataclass(frozen=True)
class StateChange:
    state: str
    action: str = "setup"
    params: dict[str, Any] = field(default_factory=dict)


def parse_state_change(body: Any, query: Mapping[str, str], known: str = "") -> StateChange:
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
        raise ApiError(400, f"Name a provider state in 'state'. Known states: {known}.", details="state")
    action = body.get("action") or "setup"
    if action not in ACTIONS:
        raise ApiError(400, f"'action' must be setup or teardown; got {action!r}.", details="action")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise ApiError(400, "'params' must be a JSON object.", details="params")
    return StateChange(state=state, action=action, params=params)


class ProviderStates:
    """Sets up the spec's named states in a store, one new instance per setup call."""

    def __init__(
        self,
        states: StateTable,
        store: InstanceStore,
        default_account_group: str,
        new_id: Callable[[], str] = lambda: secrets.token_hex(12),
        account_group_problem: Callable[[str], str | None] = lambda _: None,
    ) -> None:
        """`account_group_problem` says why a group ID is not one a discard path can name (the spec's rule)."""
        self.states = states
        self._store = store
        self._default_account_group = default_account_group
        self._new_id = new_id
        self._account_group_problem = account_group_problem

    @classmethod
    def from_spec(cls, spec: Spec, store: InstanceStore, default_account_group: str) -> ProviderStates:
        account_group = next(p for p in spec.operation().parameters if p.name == "accountGroupId")
        return cls(spec.provider_states, store, default_account_group, account_group_problem=account_group.problem)

    def defaults(self, status: object = None) -> dict[str, Any]:
        """What a new instance of `status` is, by the spec's states (the first state's status if none is asked).

        A status no state names (`not_started` ...) is a stopped-looking instance with nothing at its gate.
        """
        variants = {name: fields for by_status in self.states.values() for name, fields in by_status.items()}
        chosen = status if isinstance(status, str) else next(iter(variants))
        fields = variants.get(chosen, {"latestStep": "", "workflowStopReason": None, "hasPendingApproval": False})
        return {"workflowStatus": chosen, **fields}

    @property
    def known(self) -> str:
        return ", ".join(map(repr, self.states))

    def parse(self, body: Any, query: Mapping[str, str]) -> StateChange:
        return parse_state_change(body, query, self.known)

    def apply(self, change: StateChange) -> dict[str, str]:
        if change.state not in self.states:
            raise ApiError(
                400, f"Unknown provider state {change.state!r}. Known states: {self.known}.", details="state"
            )
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
        variants = self.states[change.state]
        status = params.get("workflowStatus", next(iter(variants)))
        if not isinstance(status, str) or status not in variants:
            raise ApiError(
                400,
                f"params.workflowStatus of {change.state!r} must be one of {', '.join(variants)}; got {status!r}.",
                details="params.workflowStatus",
            )
        return Instance.from_json(
            {
                "workflowInstanceId": self._new_id(),
                "accountGroupId": account_group,
                "campaignId": self._new_id(),
                "leadId": self._new_id(),
                "workflowStatus": status,
                **variants[status],
            }
        )
