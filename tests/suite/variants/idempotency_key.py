"""idempotency-key broken: a repeated Idempotency-Key gets the first 200 replayed."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, Response

from discard_contract import rules

from .bug import Bug


def replayed_idempotency_key(app: Flask) -> None:
    """Keeps the first 200 for each Idempotency-Key and answers any later request carrying it with
    that 200, as if the discard had succeeded again (the docs: "Idempotency: not supported")."""
    wsgi_app = app.wsgi_app
    kept: dict[str, tuple[bytes, int, list[tuple[str, str]]]] = {}
    lock = threading.Lock()

    def replay(environ: dict[str, Any], start_response: Any) -> Any:
        key = environ.get("HTTP_IDEMPOTENCY_KEY")
        if not key or not environ.get("PATH_INFO", "").startswith("/v1/"):
            return wsgi_app(environ, start_response)
        with lock:
            seen = kept.get(key)
        if seen is None:
            first = Response.from_app(wsgi_app, environ)
            seen = (first.get_data(), first.status_code, list(first.headers.items()))
            if first.status_code == 200:
                with lock:
                    kept[key] = seen
        body, status, headers = seen
        return Response(body, status, headers)(environ, start_response)

    app.wsgi_app = replay  # type: ignore[method-assign]


BUGS = {
    "Idempotency-Key replays the first 200": Bug(
        replayed_idempotency_key,
        ("test_a_repeat_carrying_the_same_idempotency_key_is_a_conflict",),
        rules.IDEMPOTENCY,
    ),
}
