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
        campaign_problem: Callable[[str], str | None] = lambda _: None,
    ) -> None:
        """`account_group_problem` and `campaign_problem` say why an ID is not one a discard path can
        name (the spec's rules)."""
        self.states = states
        self._store = store
        self._default_account_group = default_account_group
        self._new_id = new_id
        self._account_group_problem = account_group_problem
        self._campaign_problem = campaign_problem

    @classmethod
    def from_spec(cls, spec: Spec, store: InstanceStore, default_account_group: str) -> ProviderStates:
        parameters = {p.name: p for p in spec.operation().parameters}
        return cls(
            spec.provider_states,
            store,
            default_account_group,
            account_group_problem=parameters["accountGroupId"].problem,
            campaign_problem=parameters["campaignId"].problem,
        )

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

    @staticmethod
    def _valid(params: Mapping[str, Any], name: str, problem_of: Callable[[str], str | None]) -> str:
        value = params[name]
        if not isinstance(value, str) or not value:
            raise ApiError(400, f"params.{name} must be a non-empty string.", details=f"params.{name}")
        if problem := problem_of(value):
            raise ApiError(400, f"params.{name}: {problem}", details=f"params.{name}")
        return value

    def _group_of(self, campaign: str | None) -> str | None:
        """The account group of an existing campaign (None for a new one): a campaign lives in one group.

        Read from the store, so every worker process agrees; only a setup that names a campaign pays for it."""
        return next((i.account_group_id for i in self._store.instances() if i.campaign_id == campaign), None)

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
        campaign = self._valid(params, "campaignId", self._campaign_problem) if "campaignId" in params else None
        if "accountGroupId" in params:
            account_group = self._valid(params, "accountGroupId", self._account_group_problem)
        else:
            account_group = (self._group_of(campaign) if campaign else None) or self._default_account_group
        if campaign is not None and self._group_of(campaign) not in (None, account_group):
            raise ApiError(
                400,
                f"params.campaignId {campaign} is a campaign of account group {self._group_of(campaign)}, "
                f"not of {account_group}; leave out params.accountGroupId, or give that group.",
                details="params.campaignId",
            )
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
                "campaignId": campaign or self._new_id(),
                "leadId": self._new_id(),
                "workflowStatus": status,
                **variants[status],
            }
        )
