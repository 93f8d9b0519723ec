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
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from werkzeug.http import HTTP_STATUS_CODES

from ..envelope import ApiError, encode, failure_body, new_trace_id
from ..errors import unavailable, unexpected
from ..journal import ExchangeLog
from ..loop_calls import MustWait
from ..storage import StoreUnavailable
from ..wire_faults import NO_ANSWER, BreakConnection, SlowBody
from .call import EndpointCall
from .checks import DiscardEndpoint
from .cors import CorsPolicy

if TYPE_CHECKING:
    import re

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_JSON = ("Content-Type", "application/json")


class EndpointRoute:
    """The endpoint's own requests answered by `endpoint`, the rest by `app` (Flask's).

    As WSGI middleware it serves any WSGI server; the served mock's server (serving/bridge.py)
    asks `match` and `answer` itself, with the request it parsed, and never builds an environ
    for the endpoint's requests.
    """

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

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path's parameters when the request is the endpoint's (method upper-cased, as Werkzeug routes it)."""
        if method.upper() != self.method:
            return None
        match = self.fullmatch(path)
        return None if match is None else match.groupdict()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # The path as Werkzeug decodes PATH_INFO (UTF-8 carried in latin-1), so both match the same paths.
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        params = self.match(environ["REQUEST_METHOD"], path)
        if params is None:
            return self.app(environ, start_response)
        status, headers, payload = self.answer(EndpointCall.from_environ(environ, path), params)
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN')}", headers)
        return payload if isinstance(payload, SlowBody) else [payload]

    def answer(
        self, call: EndpointCall, params: Mapping[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes | SlowBody]:
        """The whole answer to `call` (status, header fields, body), journaled and logged.

        BreakConnection, journaled as a request without an answer, when a fault breaks the connection;
        MustWait, journaled by nobody, when an inline call must wait (the caller runs it again on a thread).
        """
        started = time.perf_counter()
        trace_id = new_trace_id()
        try:
            answer = self.endpoint(call, params)
            status, body, extra = answer.status, {**answer.body, "traceId": trace_id}, answer.headers
        except MustWait:  # answered when run again, where it may wait: nothing to journal yet
            raise
        except BreakConnection as broken:  # the server breaks the connection: journaled as a request without answer
            self.exchanges(
                call.method, call.path, call.query, call.headers, NO_ANSWER, [], b"", started, trace_id,
                broken.journal_fields(),
            )  # fmt: skip
            raise
        except Exception as exc:
            error = _as_api_error(exc, trace_id)
            status, body, extra = error.status, failure_body(error, trace_id), error.headers
        payload = encode(body)
        headers = [_JSON, ("Content-Length", str(len(payload))), *extra.items()]
        if self.cors is not None:
            headers.extend(self.cors.headers(call.method, call.headers))
        self.exchanges(call.method, call.path, call.query, call.headers, status, headers, payload, started, trace_id)
        if call.slow_body_ms:
            return status, headers, SlowBody(payload, call.slow_body_ms / 1000, self.endpoint.sleep)
        return status, headers, payload


def _as_api_error(exc: Exception, trace_id: str) -> ApiError:
    """The answer to what the endpoint raised, as Flask's error handlers (errors.py) would give it."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, StoreUnavailable):
        return unavailable(exc, trace_id)
    return unexpected(exc, trace_id)
