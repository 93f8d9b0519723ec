"""The application factory: spec, data and store in, a Flask app out."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from sonarly_openapi.spec import Operation, Spec

from . import control, fault_control
from .auth import Keyring
from .backends import Backend, open_backend
from .context import EXTENSION_KEY, MockContext, mock_context
from .control_auth import control_token_guard
from .cors import enable_cors
from .discard_api import discard_blueprint
from .envelope import ApiError, current_trace_id, failure
from .fault_registry import FaultRegistry
from .faults import FaultError, parse_fault
from .journal import RequestJournal
from .provider_states import ProviderStates
from .rate_buckets import RateLimiter
from .rate_limit import RateLimit
from .seed import load_seed
from .store import InstanceStore
from .traffic import traffic_gate

log = logging.getLogger("discard_mock")

DEFAULTS: Mapping[str, Any] = {
    "SPEC_PATH": None,  # None: the spec that ships in the package
    "DATA_FILE": None,  # None: the shipped seed data
    "CONTROL_API": True,
    "CORS": True,
    "JOURNAL_SIZE": 1000,
    "STORE": "memory",  # or "sqlite:PATH": instances, faults and rate-limit buckets in one shared file
    "WORKERS": 1,  # processes serving this app; only said in the journal's answer
    "FAULTS": (),  # fault descriptions (as POST /__mock/faults takes them) in force from the start
    "RATE_LIMIT": None,  # e.g. "10/s", per API key; None: no limit
    "RATE_BURST": None,  # None: the rate's count
    "CONTROL_TOKEN": None,  # set: control calls must present it
}
CONTROL_PREFIX = "/__mock"


class ConfigError(Exception):
    """A setting create_app cannot use; the message says which and why."""


def create_app(config: Mapping[str, Any] | None = None, *, store: InstanceStore | None = None) -> Flask:
    """A mock app; `store` replaces the instances of the configured STORE (tests).

    Raises DataFileError, StoreOpenError or ConfigError for settings it cannot use.
    """
    app = Flask(__name__)
    app.url_map.merge_slashes = False  # '//' is an unknown path (404), not a redirect to another path
    app.config.from_mapping(DEFAULTS)
    app.config.from_mapping(config or {})

    spec = Spec.load(app.config["SPEC_PATH"])
    operation = spec.operation()
    seed = load_seed(app.config["DATA_FILE"], spec)
    backend = open_backend(app.config["STORE"], seed.instances)
    store = store if store is not None else backend.store
    faults = _fault_registry(app.config, backend, operation)
    limiter = _rate_limiter(app.config, backend)
    app.extensions[EXTENSION_KEY] = MockContext(
        spec=spec,
        operation=operation,
        seed=seed,
        store=store,
        keyring=Keyring(seed.api_keys),
        journal=RequestJournal(app.config["JOURNAL_SIZE"]),
        provider_states=ProviderStates(
            store,
            default_account_group=seed.account_groups[0],
            account_group_problem=next(p.problem for p in operation.parameters if p.name == "accountGroupId"),
        ),
        faults=faults,
    )

    api = discard_blueprint(operation)
    gate = traffic_gate(limiter, faults)
    if gate is not None:
        api.before_request(gate)
    app.register_blueprint(api)
    if app.config["CONTROL_API"]:
        app.register_blueprint(control.bp)
        app.register_blueprint(fault_control.bp)
    if app.config["CORS"]:
        enable_cors(app, origins="*", expose_headers=["Retry-After"], max_age=600)
    _register_hooks(app)
    if app.config["CONTROL_API"] and app.config["CONTROL_TOKEN"]:
        app.before_request(control_token_guard(app.config["CONTROL_TOKEN"], CONTROL_PREFIX))
    _register_error_handlers(app)
    backend.release()  # no connection may cross gunicorn's fork; each process opens its own
    return app


def _fault_registry(config: Mapping[str, Any], backend: Backend, operation: Operation) -> FaultRegistry | None:
    """The registry, holding the configured faults only: faults start over at each start, instances do not."""
    if not config["CONTROL_API"] and not config["FAULTS"]:
        return None  # nothing could ever add a fault: no per-request check at all
    allowed = fault_control.error_statuses(operation.documented_statuses)
    try:
        configured = [parse_fault(doc, allowed) for doc in config["FAULTS"]]
    except FaultError as exc:
        raise ConfigError(f"fault: {exc}") from None
    backend.faults.clear()
    for fault in configured:
        backend.faults.add(fault)
    return backend.faults


def _rate_limiter(config: Mapping[str, Any], backend: Backend) -> RateLimiter | None:
    if not config["RATE_LIMIT"]:
        return None
    try:
        limit = RateLimit.parse(config["RATE_LIMIT"], config["RATE_BURST"])
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    backend.buckets.clear()
    return RateLimiter(limit, backend.buckets)


def _register_hooks(app: Flask) -> None:
    cors = app.config["CORS"]

    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()
        if request.method == "OPTIONS" and request.url_rule is not None:
            is_preflight = "Access-Control-Request-Method" in request.headers
            if not (cors and is_preflight):
                # Flask would answer any OPTIONS; only CORS preflights deserve that.
                raise MethodNotAllowed(valid_methods=sorted(request.url_rule.methods or ()))

    @app.after_request
    def record(response: Response) -> Response:
        # Runs on every request: the request is looked up once, not once per attribute.
        req = request._get_current_object()  # type: ignore[attr-defined]
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        trace_id = g.get("trace_id", "-")
        method, path, status = req.method, req.path, response.status_code
        if not path.startswith(CONTROL_PREFIX):
            app.extensions[EXTENSION_KEY].journal.record(
                {
                    "method": method,
                    "path": path,
                    "query": req.query_string.decode("latin-1"),
                    "headers": dict(req.headers),
                    "status": status,
                    "durationMs": round(elapsed_ms, 3),
                    "traceId": trace_id,
                    # The answer too, so the journal shows whole exchanges (the console's detail view).
                    "responseHeaders": dict(response.headers),
                    "responseBody": b"" if response.is_streamed else response.get_data(),
                }
            )
        log.info("%s %s %d %.1fms %s", method, path, status, elapsed_ms, trace_id)
        return response

    if cors:  # registered after `record`, so it runs first: the journal and the log say 204

        @app.after_request
        def preflight_has_no_content(response: Response) -> Response:
            """A preflight gets 204 and no body, as Prism answers, not Flask's empty text/html 200."""
            if request.method == "OPTIONS" and response.status_code == 200 and request.url_rule is not None:
                response.status_code = 204
                response.set_data(b"")
                del response.headers["Content-Type"]
            return response


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return failure(error)

    @app.errorhandler(NotFound)
    def unknown_path(_: NotFound) -> Response:
        template = mock_context().operation.path_template
        return failure(
            ApiError(
                404,
                f"No route for {request.method} {request.path[:200]}. This API serves POST {template}.",
                details="path",
            )
        )

    @app.errorhandler(MethodNotAllowed)
    def wrong_method(error: MethodNotAllowed) -> Response:
        allowed = [m for m in (error.valid_methods or ()) if m not in ("OPTIONS", "HEAD")]
        return failure(
            ApiError(
                405,
                f"{request.method} is not allowed here; use {' or '.join(allowed)}.",
                details="method",
                headers={"Allow": ", ".join(allowed)},
            )
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return failure(ApiError(error.code or 500, error.description or error.name))

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> Response:
        log.exception("unhandled error (trace %s)", current_trace_id(), exc_info=error)
        return failure(ApiError(500, "The mock failed to process the request; see its log for this traceId."))
