"""What the contract says a discard must answer, as small named assertions.

Each raises the typed violation of the CONTRACT.md rule it rests on and, on
failure, shows the request as a curl line and the response.
"""

from __future__ import annotations

from collections.abc import Collection

from discard_contract import rules
from discard_contract.checks import discarded_instance
from discard_contract.ids import InstanceIds
from discard_contract.rules import Rule
from discard_contract.spec import Spec
from discard_contract.violations import ContractViolation, violation

from .client import DiscardClient, Sent

# (workflowStatus, workflowStopReason) after a discard, as the spec's example of a discard shows them.
_SHOWN = Spec.shipped().operation().success_example()["data"]["leadStatus"]
DISCARDED = (_SHOWN["workflowStatus"], _SHOWN["workflowStopReason"])


def expect_status(exchange: Sent, rule: Rule, what: str, allowed: Collection[int] | None = None) -> None:
    """`what` says what was sent; `allowed` is what the target may answer (by default the rule's statuses).

    A request that was throttled first and then got the answer of a request
    already processed (a 409 where the rule wanted a 200) breaks the 429 rule:
    the throttled attempt changed something.
    """

    __tracebackhide__ = True  # failures point at the test, not at this helper
    allowed = rule.statuses if allowed is None else allowed
    if exchange.status in allowed:
        return
    expected = " or ".join(map(str, sorted(allowed)))
    if exchange.throttled and exchange.status == rules.REPEAT_409.status and rules.DISCARD_200.status in allowed:
        raise violation(
            rules.RATE_LIMIT,
            f"{what}: after {exchange.throttled} x 429 the retry got 409, not {expected}: "
            "a throttled request must change nothing",
            **exchange.shown(),
        )
    raise violation(rule, f"{what}: expected {expected}, got {exchange.status}", **exchange.shown())


def expect_discarded(exchange: Sent, instance: InstanceIds) -> None:
    """200, describing exactly that instance, its approval gate closed and nothing 'completed'."""

    __tracebackhide__ = True  # failures point at the test, not at this helper
    expect_status(exchange, rules.DISCARD_200, f"a discard of pending instance {instance}")
    try:
        discarded_instance(exchange.exchange, instance)
    except ContractViolation as wrong:
        raise violation(wrong.rule, wrong.message, **exchange.shown()) from None


def expect_discard_details(exchange: Sent) -> None:
    """The inferred details of a 200: action 'discarded', stopped, CONTENT_DISCARDED."""

    __tracebackhide__ = True  # failures point at the test, not at this helper
    data = exchange.data
    lead = data.get("leadStatus") or {}
    got = (data.get("action"), lead.get("workflowStatus"), lead.get("workflowStopReason"))
    want = ("discarded", *DISCARDED)
    if got != want:
        raise violation(
            rules.DISCARD_DETAILS,
            f"action, workflowStatus, workflowStopReason are {got}, expected {want}",
            **exchange.shown(),
        )


def expect_unchanged(client: DiscardClient, instance: InstanceIds, after: Sent, *, pending: bool = True) -> None:
    """Proves a rejected request changed nothing, with the only probe the API has: the right discard.

    It must still succeed on a pending instance, and still be a 409 on one that is not.
    """

    __tracebackhide__ = True  # failures point at the test, not at this helper
    follow_up = client.discard(instance.path())
    expected = (rules.DISCARD_200 if pending else rules.NOT_PENDING_409).status
    if follow_up.status != expected:
        state = "pending" if pending else "not pending"
        throttled = after.throttled + follow_up.throttled
        note = f" ({throttled} x 429 came first; if the target processed one, that is the change)" if throttled else ""
        raise violation(
            rules.REJECTED_UNCHANGED,
            f"a rejected request ({after.status}) must change nothing, but afterwards a discard of the {state} "
            f"instance {instance} got {follow_up.status}, not {expected}{note}."
            f"\nThe rejected request:{after.explain()}\nThe follow-up:",
            **follow_up.shown(),
        )
    if pending:
        expect_discarded(follow_up, instance)
