"""The endpoint's route, answered in front of Flask: `POST` on the spec's path; any other request goes on to Flask.

Why not a Flask view: the discard is the mock's hot path, and Flask's
machinery around a view (two contexts pushed and popped, URL matching,
before/after hooks, a Response object and its header list) cost more than
the whole discard itself: in process, a discard took 102 µs through Flask
and a bare Flask view answering fixed bytes 41 µs. The route does what
those hooks do, with the same code: the envelope (envelope.py), the error
answers (errors.py), the journal entry and log line (`ExchangeLog`) and the
CORS headers (`CorsPolicy`).

Flask still knows the route (`endpoint.init_app` registers it without a view), so it
answers what is not a POST there: a preflight's 204, a 405 naming POST.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from werkzeug.http import HTTP_STATUS_CODES

from ..envelope import ApiError, encode, failure_body, new_trace_id
from ..errors import unavailable, unexpected
from ..journal import ExchangeLog
from ..storage import StoreUnavailable
from ..wire_faults import NO_ANSWER, SLOW_BODY_MS, BreakConnection, SlowBody
from .checks import DiscardEndpoint
from .cors import CorsPolicy

if TYPE_CHECKING:
    import re

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_JSON = ("Content-Type", "application/json")


class EndpointRoute:
    """WSGI middleware: the endpoint's own requests answered by `endpoint`, the rest by `app` (Flask's)."""

    def __init__(
        self,
        app: WSGIApplication,
        endpoint: DiscardEndpoint,
        exchanges: ExchangeLog,
        cors: CorsPolicy | None,
    ) -> None:
        self.app = app
        self.endpoint = endpoint
        self.exchanges = exchanges
        self.cors = cors
        self.method = endpoint.operation.method
        self.fullmatch: Callable[[str], re.Match[str] | None] = endpoint.operation.path_pattern.fullmatch

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"].upper() != self.method:  # upper-cased, as Werkzeug routes methods
            return self.app(environ, start_response)
        # The path as Werkzeug decodes PATH_INFO (UTF-8 carried in latin-1), so both match the same paths.
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        match = self.fullmatch(path)
        if match is None:
            return self.app(environ, start_response)
        started = time.perf_counter()
        trace_id = new_trace_id()
        try:
            answer = self.endpoint(environ, match.groupdict())
            status, body, extra = answer.status, {**answer.body, "traceId": trace_id}, answer.headers
        except BreakConnection as broken:  # the server breaks the connection: journaled as a request without answer
            self.exchanges(environ, path, NO_ANSWER, [], b"", started, trace_id, broken.journal_fields())
            raise
        except Exception as exc:
            error = _as_api_error(exc, trace_id)
            status, body, extra = error.status, failure_body(error, trace_id), error.headers
        payload = encode(body)
        headers = [_JSON, ("Content-Length", str(len(payload))), *extra.items()]
        if self.cors is not None:
            headers.extend(self.cors.headers(environ))
        self.exchanges(environ, path, status, headers, payload, started, trace_id)
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN')}", headers)
        slow_ms = environ.get(SLOW_BODY_MS)
        if slow_ms:
            return SlowBody(payload, slow_ms / 1000, self.endpoint.sleep)
        return [payload]


def _as_api_error(exc: Exception, trace_id: str) -> ApiError:
    """The answer to what the endpoint raised, as Flask's error handlers (errors.py) would give it."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, StoreUnavailable):
        return unavailable(exc, trace_id)
    return unexpected(exc, trace_id)
