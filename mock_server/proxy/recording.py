"""`--record-data FILE`: the instances relayed answers showed, as a data file `discard-mock serve --data` takes.

So a frontend that runs against staging through the proxy can later run
against the mock with the same IDs. An instance is recorded with what the
answers showed (its IDs, its lead where an answer named it, its state after
the last answer seen); what no answer showed is filled in from the spec's
provider states (a lead ID, a status a 409 did not name) and listed under
`recorded.filledIn`, so nobody mistakes it for staging's. The keys are the
mock's default test keys, those of every seeded account group given every
recorded one instead; the upstream's
keys are never written (the proxy never keeps them).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from discard_contract.model import State
from discard_contract.spec import Spec
from discard_contract.traffic import Seen, TrafficModel

from ..seed import DEFAULT_DATA

PENDING_STATE, NOT_PENDING_STATE = Spec.shipped().provider_states  # the spec's x-provider-states, in order
FILLED_LEAD_PREFIX = "fffffffe"  # a filled-in lead ID: 24 hex digits no ObjectId issued so far starts with


def filled_lead(workflow_instance_id: str) -> str:
    """A lead ID for an instance whose lead no answer showed: stable, 24 hex, obviously not staging's."""
    return FILLED_LEAD_PREFIX + hashlib.sha256(workflow_instance_id.encode()).hexdigest()[:16]


def _fields(seen: Seen, filled: list[str]) -> dict[str, Any]:
    """The instance's state fields after the last answer seen."""
    states = Spec.shipped().provider_states
    shown = dict(seen.lead_status or {})
    if seen.state is State.DISCARDED and shown:
        return {name: shown[name] for name in ("workflowStatus", "latestStep", "workflowStopReason") if name in shown}
    if seen.state is State.PENDING:
        status = "pending"
        defaults = states[PENDING_STATE][status]
    else:
        known = states[NOT_PENDING_STATE]
        status = seen.workflow_status if seen.workflow_status in Spec.shipped().workflow_statuses else ""
        if not status:
            status = shown.get("workflowStatus") or next(iter(known))
            filled.append("workflowStatus")
        defaults = known.get(status) or next(iter(known.values()))
    if not shown:
        filled.extend(["latestStep", "workflowStopReason"])
    return {"workflowStatus": status, **{k: shown.get(k, v) for k, v in defaults.items() if k != "hasPendingApproval"}}


def instance_doc(seen: Seen, filled: list[str]) -> dict[str, Any]:
    lead = seen.lead_id
    if not lead:
        lead = filled_lead(seen.workflow_instance_id)
        filled.append("leadId")
    return {
        "workflowInstanceId": seen.workflow_instance_id,
        "accountGroupId": seen.account_group_id,
        "campaignId": seen.campaign_id,
        "leadId": lead,
        **_fields(seen, filled),
        "hasPendingApproval": seen.state is State.PENDING,
    }


def recorded_data(model: TrafficModel, upstream: str) -> dict[str, Any]:
    """The data file: default keys for the recorded account groups, the instances, and what was filled in."""
    instances, filled_in = [], {}
    for seen in model.shown():
        if not (seen.account_group_id and seen.campaign_id):
            continue  # an answer showed its state, but no path or provider state placed it
        filled: list[str] = []
        instances.append(instance_doc(seen, filled))
        if filled:
            filled_in[seen.workflow_instance_id] = filled
    groups = sorted({doc["accountGroupId"] for doc in instances})
    shipped = json.loads(DEFAULT_DATA.read_text(encoding="utf-8"))
    every_seeded = {doc["accountGroupId"] for doc in shipped["instances"]}
    keys = shipped["apiKeys"]
    for key in keys:  # the keys of every seeded group get every recorded one; the one-group key keeps its own
        if set(key["accountGroups"]) == every_seeded and groups:
            key["accountGroups"] = groups
            key["description"] = key["description"].replace("every seeded", "every recorded")
    return {
        "apiKeys": keys,
        "instances": instances,
        "recorded": {
            "upstream": upstream,
            "note": "instances seen through discard-mock proxy; fields listed in filledIn were never shown by "
            "an answer and were filled in from the spec's provider states",
            "filledIn": filled_in,
        },
    }
