"""CORS by flask-cors's rules, worked out once per kind of request rather than on every answer.

flask-cors decides an answer's CORS headers from the request's method and
four of its headers (Origin and the three Access-Control-Request-* ones),
and recomputes that decision, with its logging calls, for every response: a
profile under load put it at a seventh of the mock's CPU per request. The
decision is the same for every request that agrees on those five values, so
it is remembered (a frontend sends a handful of distinct ones). The headers
come from flask-cors's own `get_cors_options` and `get_cors_headers`, so they
are exactly what `CORS(app, ...)` would add.

`CorsPolicy` decides; one after-request hook adds its headers to Flask's answers,
and the endpoint's route (route.py) to its own. Flask runs after-request hooks for every
answer, error answers included (an error handler's answer, and a 500's, are
finalized through them), so nothing needs wrapping Flask's exception handlers.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from flask import Flask, Response, request
from flask_cors.core import (
    ACL_REQUEST_HEADER_PRIVATE_NETWORK,
    ACL_REQUEST_HEADERS,
    ACL_REQUEST_METHOD,
    get_cors_headers,
    get_cors_options,
)
from werkzeug.datastructures import Headers

from ..request_parts import environ_fields

REMEMBERED_REQUEST_KINDS = 1024
OPTIONS: dict[str, Any] = {"origins": "*", "expose_headers": ["Retry-After"], "max_age": 600}
_ASKED_HEADERS = ("Origin", ACL_REQUEST_METHOD, ACL_REQUEST_HEADERS, ACL_REQUEST_HEADER_PRIVATE_NETWORK)
_ORIGIN, _METHOD_ASKED, _HEADERS_ASKED, _PRIVATE_ASKED = (name.lower() for name in _ASKED_HEADERS)


class CorsPolicy:
    """The CORS header fields of an answer, from its request's method and header fields, by flask-cors's rules."""

    def __init__(self, app: Flask) -> None:
        resolved = get_cors_options(app, OPTIONS)

        @lru_cache(maxsize=REMEMBERED_REQUEST_KINDS)
        def headers_for(
            method: str, origin: str | None, method_asked: str | None, headers_asked: str | None, private: str | None
        ) -> tuple[tuple[str, Any], ...]:
            values = (origin, method_asked, headers_asked, private)
            asked = Headers([(name, v) for name, v in zip(_ASKED_HEADERS, values, strict=True) if v is not None])
            return tuple(get_cors_headers(resolved, asked, method).items(multi=True))

        self._headers_for = headers_for

    def headers(self, method: str, fields: Mapping[str, str]) -> tuple[tuple[str, Any], ...]:
        """`method` upper-cased, as Werkzeug gives it; `fields` by lower-case name (request_parts.environ_fields)."""
        get = fields.get
        return self._headers_for(method, get(_ORIGIN), get(_METHOD_ASKED), get(_HEADERS_ASKED), get(_PRIVATE_ASKED))


def init_app(app: Flask, policy: CorsPolicy) -> None:
    """CORS for every origin (as Prism), Retry-After readable by scripts; a preflight is a 204 with no body.

    Registered after the journal, so it runs before it: the journal and the log record the 204.
    """

    @app.after_request
    def add_cors_headers(response: Response) -> Response:
        req = request._get_current_object()  # type: ignore[attr-defined]
        headers = response.headers
        for name, value in policy.headers(req.method, environ_fields(req.environ)):
            headers.add(name, value)
        if req.method == "OPTIONS" and response.status_code == 200 and req.url_rule is not None:
            # A preflight gets 204 and no body, as Prism answers, not Flask's empty text/html 200.
            response.status_code = 204
            response.set_data(b"")
            del headers["Content-Type"]
        return response
