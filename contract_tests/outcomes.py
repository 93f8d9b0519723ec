"""What the contract says a discard must answer, as small named assertions.

Each names the CONTRACT.md rule it rests on and, on failure, shows the request
as a curl line and the response.
"""

from __future__ import annotations

from collections.abc import Collection

from .client import DiscardClient, Exchange
from .ids import InstanceIds

STATE_RULES = "CONTRACT «State rules»"
THE_200_BODY = "CONTRACT «The 200 body»"
DISCARDED = ("stopped", "CONTENT_DISCARDED")


def expect_status(exchange: Exchange, allowed: Collection[int], rule: str) -> None:
    if exchange.status not in allowed:
        expected = " or ".join(map(str, sorted(allowed)))
        raise AssertionError(f"{rule}: expected {expected}, got {exchange.status}" + exchange.explain())


def expect_discarded(exchange: Exchange, instance: InstanceIds) -> None:
    """200, describing exactly that instance, its approval gate closed and nothing 'completed'."""
    expect_status(exchange, {200}, f"{STATE_RULES}: discarding a pending instance succeeds")
    data = exchange.data
    lead = data.get("leadStatus") or {}
    wrong = {
        "data.workflowInstanceId": (data.get("workflowInstanceId"), instance.workflow_instance_id),
        "leadStatus.workflowInstanceId": (lead.get("workflowInstanceId"), instance.workflow_instance_id),
        "leadStatus.leadId": (lead.get("leadId"), instance.lead_id),
        "leadStatus.hasPendingApproval": (lead.get("hasPendingApproval"), False),
    }
    problems = [f"{name} is {got!r}, expected {want!r}" for name, (got, want) in wrong.items() if got != want]
    if lead.get("workflowStatus") == "completed":
        problems.append("leadStatus.workflowStatus is 'completed': a discard must not pretend content was sent")
    if problems:
        raise AssertionError(f"{THE_200_BODY}: " + "; ".join(problems) + exchange.explain())


def expect_discard_details(exchange: Exchange) -> None:
    """The inferred details of a 200: action 'discarded', stopped, CONTENT_DISCARDED."""
    data = exchange.data
    lead = data.get("leadStatus") or {}
    got = (data.get("action"), lead.get("workflowStatus"), lead.get("workflowStopReason"))
    want = ("discarded", *DISCARDED)
    if got != want:
        raise AssertionError(
            f"{THE_200_BODY} (inferred): action, workflowStatus, workflowStopReason are {got}, "
            f"expected {want}" + exchange.explain()
        )


def expect_unchanged(client: DiscardClient, instance: InstanceIds, after: Exchange, *, pending: bool = True) -> None:
    """Proves a rejected request changed nothing, with the only probe the API has: the right discard.

    It must still succeed on a pending instance, and still be a 409 on one that is not.
    """
    follow_up = client.discard(instance.path())
    expected = 200 if pending else 409
    if follow_up.status != expected:
        state = "pending" if pending else "not pending"
        raise AssertionError(
            f"{STATE_RULES}: a rejected request must change nothing, but afterwards a discard of the {state} "
            f"instance got {follow_up.status}, not {expected}."
            f"\nThe rejected request:{after.explain()}\nThe follow-up:{follow_up.explain()}"
        )
    if pending:
        expect_discarded(follow_up, instance)
