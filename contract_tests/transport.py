"""The HTTP sessions the suite sends with, and how long it waits after a 429.

A 429 is "not processed" (CONTRACT.md): the suite retries it after its
Retry-After (either form RFC 9110 allows, capped), or backs off on its own.
The endpoint's own 429s are checked before they are retried (client.py), so
its sessions retry nothing themselves; the provider-state endpoint's session
waits out 429s on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from discard_contract import rules
from discard_contract.exchange import Exchange
from discard_contract.headers import RETRY_AFTER, retry_after_seconds

MAX_429_RETRIES = 6
MAX_RETRY_AFTER_SECONDS = 10.0
BACKOFF_SECONDS = 0.1


class GatedSession(requests.Session):
    """A session that can hold its next request, built and ready, until a gate opens.

    The concurrency test sets `before_send` to a barrier's wait, so the parallel
    requests leave together with nothing left to do but write to the socket.
    """

    before_send: Callable[[], Any] | None = None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:

        __tracebackhide__ = True  # failures point at the test, not at this helper
        gate, self.before_send = self.before_send, None
        if gate is not None:
            gate()
        return super().send(request, **kwargs)


def http_session(retry_429: bool = True, pool: int = 64, backoff_factor: float = 0.5) -> GatedSession:
    """A session for the provider-state endpoint (it waits out 429s), or, with
    `retry_429=False`, for the endpoint itself, whose 429s the client checks first."""
    retry = Retry(
        total=MAX_429_RETRIES if retry_429 else 0,
        connect=0,
        read=0,
        other=0,
        status=MAX_429_RETRIES if retry_429 else 0,
        status_forcelist=tuple(rules.RATE_LIMIT.statuses) if retry_429 else (),
        allowed_methods=None,
        respect_retry_after_header=True,
        backoff_factor=backoff_factor,
        raise_on_status=False,
    )
    session = GatedSession()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=pool)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def retry_delay(exchange: Exchange, attempt: int) -> float:
    """Retry-After when sent, as delay-seconds or an HTTP-date (RFC 9110), capped; else exponential backoff."""
    value = exchange.header(RETRY_AFTER)
    seconds = retry_after_seconds(value) if value else None
    if seconds is not None:
        return min(seconds, MAX_RETRY_AFTER_SECONDS)
    return min(BACKOFF_SECONDS * 2.0**attempt, 2.0)
