"""The discard endpoint, as one sequence of named checks in CONTRACT.md's order.

When a request breaks several rules it gets the answer of the first that
applies. The order is written once, in `DiscardEndpoint.__call__`, top to
bottom: the rate limit, injected faults, authentication (401), permission
(403), validation (400), account-group access (403), then scope (404) and
state (409) in one atomic conditional write. Before all of them, on purpose,
a `Prefer` header (or `?__code=`) picks one of the spec's examples, so a
frontend can render any state without arranging it (Prism's behaviour).

CORS preflights never reach this sequence (Flask answers OPTIONS itself), so
no preflight is rate-limited, delayed, faulted or counted.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Request, Response, request

from sonarly_openapi.spec import Operation

from ..domain import DiscardRule, Instance, NotFound, NotPendingApproval
from ..envelope import ApiError, json_response, success
from ..faults import fault_message, inject
from ..rate_limit import RateLimiter, rate_key, retry_after_header
from ..request_parts import has_body
from ..storage import FaultRegistry, InstanceStore
from .keys import ApiKey, Keyring
from .prefer import read_preference, select_example

_NO_QUERY: dict[str, str] = {}


@dataclass
class DiscardEndpoint:
    """Everything the endpoint's checks consult; `sleep` and `chance` are injectable for tests."""

    operation: Operation
    rule: DiscardRule
    keyring: Keyring
    instances: InstanceStore
    limiter: RateLimiter | None = None
    faults: FaultRegistry | None = None
    sleep: Callable[[float], None] = field(default=time.sleep)
    chance: Callable[[], float] = field(default=random.random)

    def __call__(self, accountGroupId: str, campaignId: str, workflowInstanceId: str) -> Response:
        req: Request = request._get_current_object()  # type: ignore[attr-defined]
        example = self.chosen_example(req)
        if example is not None:
            return example
        self.rate_limit(req)
        self.injected_fault(workflowInstanceId)
        key = self.keyring.authenticate(req.headers.get("Authorization"))
        self.keyring.require_permissions(key, self.operation.required_permissions)
        self.validate(req)
        self.require_account_access(key, accountGroupId)
        instance = self.discard(accountGroupId, campaignId, workflowInstanceId)
        return success(self.rule.result(instance))

    def chosen_example(self, req: Request) -> Response | None:
        # Without a query string there is nothing to parse into `args`.
        preference = read_preference(req.headers.get("Prefer"), req.args if req.query_string else _NO_QUERY)
        if preference is None:
            return None
        status, body, headers = select_example(self.operation, preference)
        return json_response(body, status, headers)

    def rate_limit(self, req: Request) -> None:
        if self.limiter is None:
            return
        wait = self.limiter.check(rate_key(req.headers.get("Authorization"), req.remote_addr))
        if wait is not None:
            after = retry_after_header(wait)
            raise ApiError.documented("rateLimited", retryAfter=after, headers={"Retry-After": after})

    def injected_fault(self, workflow_instance_id: str) -> None:
        """A delay and maybe an error, as the faults in force ask; an injected error changes nothing."""
        if self.faults is None:
            return
        active = self.faults.active()
        if not active:
            return
        injection = inject(active, workflow_instance_id, self.faults.consume, self.chance)
        if injection is None:
            return
        if injection.latency_ms:
            self.sleep(injection.latency_ms / 1000)
        fault = injection.error
        if fault is not None and fault.status is not None:
            headers = {"Retry-After": str(fault.retry_after_seconds)} if fault.status == 429 else {}
            raise ApiError(fault.status, fault_message(fault), details=f"fault {fault.id}", headers=headers)

    def validate(self, req: Request) -> None:
        view_args = req.view_args or {}
        problems = [
            (param.name, problem)
            for param in self.operation.parameters
            if (problem := param.problem(view_args.get(param.name, ""))) is not None
        ]
        if problems:
            raise ApiError(400, " ".join(message for _, message in problems), details=", ".join(n for n, _ in problems))
        if has_body(req):
            raise ApiError(400, "This endpoint takes no request body; send the request without one.", details="body")

    @staticmethod
    def require_account_access(key: ApiKey, account_group_id: str) -> None:
        Keyring.require_account_group(key, account_group_id)

    def discard(self, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> Instance:
        """Scope (404) and state (409), checked and written in one atomic step by the store."""
        try:
            return self.rule.discard(self.instances.update_if, account_group_id, campaign_id, workflow_instance_id)
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
