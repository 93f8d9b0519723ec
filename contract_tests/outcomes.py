"""What the contract says a discard must answer, as small named assertions.

Each raises the typed violation of the CONTRACT.md rule it rests on and, on
failure, shows the request as a curl line and the response.
"""

from __future__ import annotations

from collections.abc import Collection

from sonarly_openapi.spec import Spec

from .client import DiscardClient, Exchange
from .ids import InstanceIds
from .violations import violation

# (workflowStatus, workflowStopReason) after a discard, as the spec's example of a discard shows them.
_SHOWN = Spec.shipped().operation().success_example()["data"]["leadStatus"]
DISCARDED = (_SHOWN["workflowStatus"], _SHOWN["workflowStopReason"])


def expect_status(exchange: Exchange, allowed: Collection[int], rule_id: str, what: str) -> None:
    """`what` says what was sent; `allowed` is what the rule lets the target answer.

    A request that was throttled first and then got the answer of a request
    already processed (a 409 where the rule wanted a 200) breaks the 429 rule:
    the throttled attempt changed something.
    """

    __tracebackhide__ = True  # failures point at the test, not at this helper
    if exchange.status in allowed:
        return
    expected = " or ".join(map(str, sorted(allowed)))
    if exchange.throttled and exchange.status == 409 and 200 in allowed:
        raise violation(
            "rate-limit",
            f"{what}: after {exchange.throttled} x 429 the retry got 409, not {expected}: "
            "a throttled request must change nothing",
            request=exchange.curl,
            response=exchange.answer,
        )
    raise violation(rule_id, f"{what}: expected {expected}, got {exchange.status}", **_shown(exchange))


def expect_discarded(exchange: Exchange, instance: InstanceIds) -> None:
    """200, describing exactly that instance, its approval gate closed and nothing 'completed'."""

    __tracebackhide__ = True  # failures point at the test, not at this helper
    expect_status(exchange, {200}, "discard-200", f"a discard of pending instance {instance}")
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
        raise violation("discard-200", "; ".join(problems), **_shown(exchange))


def expect_discard_details(exchange: Exchange) -> None:
    """The inferred details of a 200: action 'discarded', stopped, CONTENT_DISCARDED."""

    __tracebackhide__ = True  # failures point at the test, not at this helper
    data = exchange.data
    lead = data.get("leadStatus") or {}
    got = (data.get("action"), lead.get("workflowStatus"), lead.get("workflowStopReason"))
    want = ("discarded", *DISCARDED)
    if got != want:
        raise violation(
            "discard-details",
            f"action, workflowStatus, workflowStopReason are {got}, expected {want}",
            **_shown(exchange),
        )


def expect_unchanged(client: DiscardClient, instance: InstanceIds, after: Exchange, *, pending: bool = True) -> None:
    """Proves a rejected request changed nothing, with the only probe the API has: the right discard.

    It must still succeed on a pending instance, and still be a 409 on one that is not.
    """

    __tracebackhide__ = True  # failures point at the test, not at this helper
    follow_up = client.discard(instance.path())
    expected = 200 if pending else 409
    if follow_up.status != expected:
        state = "pending" if pending else "not pending"
        throttled = after.throttled + follow_up.throttled
        note = f" ({throttled} x 429 came first; if the target processed one, that is the change)" if throttled else ""
        raise violation(
            "rejected-unchanged",
            f"a rejected request ({after.status}) must change nothing, but afterwards a discard of the {state} "
            f"instance {instance} got {follow_up.status}, not {expected}{note}."
            f"\nThe rejected request:{after.explain()}\nThe follow-up:",
            **_shown(follow_up),
        )
    if pending:
        expect_discarded(follow_up, instance)


def _shown(exchange: Exchange) -> dict[str, str]:
    return {"request": exchange.curl, "response": exchange.answer}
