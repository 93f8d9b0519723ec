"""The discard endpoint, as one sequence of named checks in CONTRACT.md's order.

When a request breaks several rules it gets the answer of the first that
applies. The order is written once, in `DiscardEndpoint.__call__`, top to
bottom: the rate limit, injected faults, authentication (401), permission
(403), validation (400), account-group access (403), then scope (404) and
state (409) in one atomic conditional write.

Faults are decided from this process's cached list (no round trip to a
shared store); whichever way the request ends confirms that list was current
(the discard's write checks its version in the same atomic step), and a stale
list reruns the checks after the rate limit with the list reloaded: nothing
was changed by the stale attempt, so the answer is the one the current list
gives. Before all of them, on purpose,
a `Prefer` header (or `?__code=`) picks one of the spec's examples, so a
frontend can render any state without arranging it (Prism's behaviour).

CORS preflights never reach this sequence (Flask answers OPTIONS itself), so
no preflight is rate-limited, delayed, faulted or counted.

The endpoint reads an `EndpointCall` (call.py) and returns an `Answer`:
route.py serves it, ahead of Flask, with the envelope, journal, log line and
CORS headers every answer gets.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from discard_contract.headers import RETRY_AFTER, retry_after_value
from discard_contract.spec import Operation

from ..domain import DiscardRule, Instance, NotFound, NotPendingApproval
from ..envelope import ApiError
from ..faults import RETRY_AFTER_STATUSES, Fault, fault_message, inject
from ..loop_calls import MustWait
from ..rate_limit import RateLimiter, rate_key
from ..storage import FaultRegistry, InstanceStore
from ..storage.interfaces import FaultSnapshot, StaleFaults
from ..wire_faults import BreakConnection, cannot_break
from .keys import ApiKey, Keyring
from .prefer import read_preference, select_example

if TYPE_CHECKING:
    from .call import EndpointCall

T = TypeVar("T")

_NO_QUERY: dict[str, str] = {}
_NO_HEADERS: dict[str, str] = {}


class Answer(NamedTuple):
    """What the endpoint answers (a discard's 200, or the example `Prefer` chose): its status, its
    envelope but for the traceId, and its own header fields. Refusals are raised as ApiError."""

    status: int
    body: dict[str, Any]
    headers: Mapping[str, str]


@dataclass
class DiscardEndpoint:
    """Everything the endpoint's checks consult; `sleep` and `chance` are injectable for tests.

    It reads the request from an EndpointCall, so it needs no framework around it (route.py).
    `breaks_connections`: the server carries out BreakConnection (serve --server gunicorn).
    """

    operation: Operation
    rule: DiscardRule
    keyring: Keyring
    instances: InstanceStore
    limiter: RateLimiter | None = None
    faults: FaultRegistry | None = None
    sleep: Callable[[float], None] = field(default=time.sleep)
    chance: Callable[[], float] = field(default=random.random)
    breaks_connections: bool = False

    def __call__(self, call: EndpointCall, params: Mapping[str, str]) -> Answer:
        """The answer to one request on the endpoint's route; ApiError for any refusal."""
        example = self.chosen_example(call)
        if example is not None:
            return example
        if not call.rate_limited:  # a call run again (MustWait) is counted once
            self.rate_limit(call)
            call.rate_limited = True
        return self.with_current_faults(lambda faults: self.checked(call, params, faults))

    def checked(self, call: EndpointCall, params: Mapping[str, str], faults: FaultSnapshot | None) -> Answer:
        """The checks after the rate limit, in order, with the request's faults decided from `faults`.

        Each way out confirms that `faults` was current (StaleFaults, nothing changed, if not): a
        fault that acts confirms it first, an answer before the store looks once, and the discard's
        own write checks it in the same atomic step.
        """
        faults = self.injected_fault(call, params["workflowInstanceId"], faults)
        try:
            key = self.keyring.authenticate(call.headers.get("authorization"))
            self.keyring.require_permissions(key, self.operation.required_permissions)
            self.validate(call, params)
            self.require_account_access(key, params["accountGroupId"])
        except ApiError:
            self.confirm(faults)  # the refusal stands only if no fault it did not see is in force
            raise
        instance = self.discard(params["accountGroupId"], params["campaignId"], params["workflowInstanceId"], faults)
        return Answer(200, {"success": True, "data": self.rule.result(instance), "error": None}, _NO_HEADERS)

    def with_current_faults(self, attempt: Callable[[FaultSnapshot | None], T]) -> T:
        """`attempt` with this process's cached faults; run again with them reloaded while it finds them stale.

        A stale attempt changed nothing (every store checks the version before it writes), so
        running it again is safe; the list changes only when someone changes the faults.
        """
        if self.faults is None:
            return attempt(None)
        faults = self.faults.snapshot()
        while True:
            try:
                return attempt(faults)
            except StaleFaults:
                faults = self.faults.reload()

    def confirm(self, faults: FaultSnapshot | None) -> None:
        if self.faults is not None and faults is not None:
            self.faults.confirm(faults)

    def chosen_example(self, call: EndpointCall) -> Answer | None:
        prefer = call.headers.get("prefer")
        if not call.query and prefer is None:
            return None  # nothing could choose an example: the usual request, on its way at once
        preference = read_preference(prefer, call.query_args() if call.query else _NO_QUERY)
        if preference is None:
            return None
        return Answer(*select_example(self.operation, preference))

    def rate_limit(self, call: EndpointCall) -> None:
        if self.limiter is None:
            return
        wait = self.limiter.check(rate_key(call.headers.get("authorization"), call.client))
        if wait is not None:
            after = retry_after_value(wait)
            raise ApiError.documented("rateLimited", retryAfter=after, headers={RETRY_AFTER: after})

    def injected_fault(
        self, call: EndpointCall, workflow_instance_id: str, faults: FaultSnapshot | None
    ) -> FaultSnapshot | None:
        """A delay, maybe an error or a broken connection, maybe a slow body, as the faults in force ask.

        Nothing acts before `faults` is known current: a counted fault's hit is taken only at that
        version (in one step), else the version is looked at once. Returns the list the request
        goes on with: `faults`, or the list after a hit that was a fault's last. `call.spent_faults`:
        the counted faults this request took a hit of in an earlier attempt (stale, or one that had to
        wait), which fire again without another hit. An injected error or broken connection changes
        nothing; a slow body is noted in `call` for the route.
        """
        call.slow_body_ms = 0  # an earlier attempt's
        if faults is None or not faults.active or self.faults is None:
            return faults
        if call.inline and any(fault.latency_ms for fault in faults.active):
            # The server's event loop must not sleep: the call runs again on a thread, decided afresh. Nothing
            # was taken yet; a list this process had not heard of gets here once StaleFaults reloaded it.
            raise MustWait
        registry = self.faults
        spent = call.spent_faults
        confirmed = False
        after = faults

        def consume(fault: Fault) -> bool:
            nonlocal confirmed, after
            if fault.id in spent:
                return True
            taken = registry.consume(fault, after)  # StaleFaults when the list moved on
            confirmed = True
            if taken is None:
                return False
            spent.add(fault.id)
            after = taken
            return True

        injection = inject(faults.active, workflow_instance_id, consume, self.chance)
        if injection is None:
            return after
        if not confirmed:
            registry.confirm(faults)
        if injection.body_ms:
            call.slow_body_ms = injection.body_ms
        if injection.latency_ms:
            self.sleep(injection.latency_ms / 1000)
        fault = injection.error
        if fault is None:
            return after
        if fault.kind is not None and fault.breaks_connection:
            if not self.breaks_connections:  # a fault another server mode added to a shared store: said, not ignored
                raise ApiError(501, cannot_break(fault.kind), details=f"fault {fault.id}")
            raise BreakConnection(fault.kind, fault.id)
        if fault.status is not None:
            retry_after = fault.status in RETRY_AFTER_STATUSES
            headers = {RETRY_AFTER: str(fault.retry_after_seconds)} if retry_after else {}
            raise ApiError(fault.status, fault_message(fault), details=f"fault {fault.id}", headers=headers)
        return after

    def relayed_faults(self, call: EndpointCall, workflow_instance_id: str) -> None:
        """The injected faults of a request no store write follows (the proxy relays it).

        Nothing else would catch a stale list, so it is confirmed even when no fault fires: one
        round trip to a shared store, as every request once paid.
        """

        def attempt(faults: FaultSnapshot | None) -> None:
            self.confirm(self.injected_fault(call, workflow_instance_id, faults))

        self.with_current_faults(attempt)

    def validate(self, call: EndpointCall, params: Mapping[str, str]) -> None:
        for param in self.operation.parameters:
            if not param.accepts(params[param.name]):  # one is not as the spec wants it: name each that is not
                problems = [
                    (each.name, problem)
                    for each in self.operation.parameters
                    if (problem := each.problem(params[each.name])) is not None
                ]
                raise ApiError(
                    400, " ".join(message for _, message in problems), details=", ".join(n for n, _ in problems)
                )
        if call.has_body:
            raise ApiError(400, "This endpoint takes no request body; send the request without one.", details="body")

    @staticmethod
    def require_account_access(key: ApiKey, account_group_id: str) -> None:
        Keyring.require_account_group(key, account_group_id)

    def discard(
        self, account_group_id: str, campaign_id: str, workflow_instance_id: str, faults: FaultSnapshot | None
    ) -> Instance:
        """Scope (404) and state (409), checked and written in one atomic step by the store.

        With faults, the same step checks that they are still at `faults`' version (StaleFaults if not).
        """
        instances = self.instances
        update_if = instances.update_if if faults is None else partial(instances.update_if_faults, faults=faults)
        try:
            return self.rule.discard(update_if, account_group_id, campaign_id, workflow_instance_id)
        except NotFound:
            raise ApiError.documented(
                "instanceNotFound",
                workflowInstanceId=workflow_instance_id,
                campaignId=campaign_id,
                accountGroupId=account_group_id,
            ) from None
        except NotPendingApproval as refused:
            raise ApiError.documented(
                "notPendingApproval",
                workflowInstanceId=workflow_instance_id,
                workflowStatus=refused.instance.workflow_status,
            ) from None
