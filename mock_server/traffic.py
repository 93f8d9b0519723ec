"""What meets a request to the endpoint before any rule: the rate limit, then injected faults.

CONTRACT.md puts the rate limit first, before authentication; injected faults
come next, so an injected error is answered before anything could change.
Nothing is registered when neither can ever apply, which keeps the common
case free.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from time import sleep

from flask import request

from .envelope import ApiError
from .fault_registry import FaultRegistry
from .faults import fault_message, inject
from .rate_buckets import RateLimiter
from .rate_limit import rate_key, retry_after_header

INSTANCE_PARAMETER = "workflowInstanceId"


def traffic_gate(limiter: RateLimiter | None, faults: FaultRegistry | None) -> Callable[[], None] | None:
    """A before-request hook for the endpoint, or None when it would do nothing."""
    if limiter is None and faults is None:
        return None
    chance = random.random

    def gate() -> None:
        if limiter is not None:
            wait = limiter.check(rate_key(request.headers.get("Authorization"), request.remote_addr))
            if wait is not None:
                after = retry_after_header(wait)
                raise ApiError(
                    429,
                    f"Rate limit exceeded for this API key; retry after {after} second(s).",
                    headers={"Retry-After": after},
                )
        if faults is None:
            return
        active = faults.active()
        if not active:
            return
        injection = inject(active, (request.view_args or {}).get(INSTANCE_PARAMETER), faults.consume, chance)
        if injection is None:
            return
        if injection.latency_ms:
            sleep(injection.latency_ms / 1000)
        fault = injection.error
        if fault is not None and fault.status is not None:
            headers = {"Retry-After": str(fault.retry_after_seconds)} if fault.status == 429 else {}
            raise ApiError(fault.status, fault_message(fault), details=f"fault {fault.id}", headers=headers)

    return gate
