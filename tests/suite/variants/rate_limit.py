"""rate-limit broken, and the throttling layer the correct variants use too."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, Response

from discard_contract import rules

from .bug import Bug
from .serving import (
    in_front,
)


def _rate_limited_body(turn: int) -> bytes:
    error = {"code": "RATE_LIMITED", "message": "Slow down.", "details": None}
    return json.dumps({"success": False, "data": None, "error": error, "traceId": f"throttled-{turn}"}).encode()


def throttling(
    *,
    every: int = 3,
    retry_after: tuple[str | None, ...] = ("0",),
    body: str = "envelope",
) -> Callable[[Flask], None]:
    """A layer in front of the API that answers every `every`-th API request 429, unprocessed.

    body "envelope": the contract's error envelope; "html": what a gateway writes
    when nobody configured it. The 429s take their Retry-After from
    `retry_after` in turn (None: no header).
    """
    counter = itertools.count(1)
    lock = threading.Lock()

    def inject(app: Flask) -> None:
        wsgi_app = app.wsgi_app

        def gateway(environ: dict[str, Any], start_response: Any) -> Any:
            if not environ.get("PATH_INFO", "").startswith("/v1/"):
                return wsgi_app(environ, start_response)
            with lock:
                turn = next(counter)
            if turn % every:
                return wsgi_app(environ, start_response)
            value = retry_after[(turn // every) % len(retry_after)]
            return _too_many_requests(turn, value, body)(environ, start_response)

        app.wsgi_app = gateway  # type: ignore[method-assign]

    return inject


def _too_many_requests(turn: int, retry_after: str | None, body: str = "envelope") -> Response:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    if body == "html":
        page = b"<html><body><h1>429 Too Many Requests</h1></body></html>"
        return Response(page, 429, headers, mimetype="text/html")
    return Response(_rate_limited_body(turn), 429, headers, mimetype="application/json")


def throttled_after_processing(app: Flask) -> None:
    """A limiter placed after the handler: a discard is done, then answered 429, so the
    client's retry finds the instance already discarded (a 429 that changed something)."""
    counter = itertools.count(1)
    in_front(app, lambda response: _too_many_requests(next(counter), "0") if response.status_code == 200 else response)


gateway_429_in_html = throttling(body="html")
# Every API request 429, asking for an hour's wait: no run can judge it (not in BUGS).
every_request_throttled = throttling(every=1, retry_after=("3600",))


BUGS = {
    "gateway 429 in HTML": Bug(gateway_429_in_html, ("test_a_repeated_discard_is_a_conflict",), rules.RATE_LIMIT),
    "429 after processing": Bug(
        throttled_after_processing, ("test_a_repeated_discard_is_a_conflict",), rules.RATE_LIMIT
    ),
}
