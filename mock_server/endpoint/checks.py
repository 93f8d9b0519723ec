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

The endpoint reads the WSGI environ and returns an `Answer`: route.py serves
it, ahead of Flask, with the envelope, journal, log line and CORS headers
every answer gets.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from werkzeug.wrappers import Request

from discard_contract.headers import RETRY_AFTER, retry_after_value
from discard_contract.spec import Operation

from ..domain import DiscardRule, Instance, NotFound, NotPendingApproval
from ..envelope import ApiError
from ..faults import RETRY_AFTER_STATUSES, fault_message, inject
from ..rate_limit import RateLimiter, rate_key
from ..request_parts import has_body
from ..storage import FaultRegistry, InstanceStore
from ..wire_faults import SLOW_BODY_MS, BreakConnection, cannot_break
from .keys import ApiKey, Keyring
from .prefer import read_preference, select_example

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

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

    It reads the request from its WSGI environ, so it needs no framework around it (route.py).
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

    def __call__(self, environ: WSGIEnvironment, params: Mapping[str, str]) -> Answer:
        """The answer to one request on the endpoint's route; ApiError for any refusal."""
        example = self.chosen_example(environ)
        if example is not None:
            return example
        self.rate_limit(environ)
        self.injected_fault(environ, params["workflowInstanceId"])
        key = self.keyring.authenticate(environ.get("HTTP_AUTHORIZATION"))
        self.keyring.require_permissions(key, self.operation.required_permissions)
        self.validate(environ, params)
        self.require_account_access(key, params["accountGroupId"])
        instance = self.discard(params["accountGroupId"], params["campaignId"], params["workflowInstanceId"])
        return Answer(200, {"success": True, "data": self.rule.result(instance), "error": None}, _NO_HEADERS)

    def chosen_example(self, environ: WSGIEnvironment) -> Answer | None:
        # Without a query string there is nothing to parse; with one, Werkzeug parses it as Flask would.
        query_string = environ.get("QUERY_STRING")
        if not query_string and "HTTP_PREFER" not in environ:
            return None  # nothing could choose an example: the usual request, on its way at once
        query = Request(environ).args if query_string else _NO_QUERY
        preference = read_preference(environ.get("HTTP_PREFER"), query)
        if preference is None:
            return None
        return Answer(*select_example(self.operation, preference))

    def rate_limit(self, environ: WSGIEnvironment) -> None:
        if self.limiter is None:
            return
        wait = self.limiter.check(rate_key(environ.get("HTTP_AUTHORIZATION"), environ.get("REMOTE_ADDR")))
        if wait is not None:
            after = retry_after_value(wait)
            raise ApiError.documented("rateLimited", retryAfter=after, headers={RETRY_AFTER: after})

    def injected_fault(self, environ: WSGIEnvironment, workflow_instance_id: str) -> None:
        """A delay, maybe an error or a broken connection, maybe a slow body, as the faults in force ask.

        An injected error or broken connection changes nothing; a slow body is noted in `environ` for the route.
        """
        if self.faults is None:
            return
        active = self.faults.active()
        if not active:
            return
        injection = inject(active, workflow_instance_id, self.faults.consume, self.chance)
        if injection is None:
            return
        if injection.body_ms:
            environ[SLOW_BODY_MS] = injection.body_ms
        if injection.latency_ms:
            self.sleep(injection.latency_ms / 1000)
        fault = injection.error
        if fault is None:
            return
        if fault.kind is not None and fault.breaks_connection:
            if not self.breaks_connections:  # a fault another server mode added to a shared store: said, not ignored
                raise ApiError(501, cannot_break(fault.kind), details=f"fault {fault.id}")
            raise BreakConnection(fault.kind, fault.id)
        if fault.status is not None:
            retry_after = fault.status in RETRY_AFTER_STATUSES
            headers = {RETRY_AFTER: str(fault.retry_after_seconds)} if retry_after else {}
            raise ApiError(fault.status, fault_message(fault), details=f"fault {fault.id}", headers=headers)

    def validate(self, environ: WSGIEnvironment, params: Mapping[str, str]) -> None:
        problems = [
            (param.name, problem)
            for param in self.operation.parameters
            if (problem := param.problem(params[param.name])) is not None
        ]
        if problems:
            raise ApiError(400, " ".join(message for _, message in problems), details=", ".join(n for n, _ in problems))
        if has_body(environ):
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
