"""Every failure answered in the envelope: the mock's own errors, Flask's, and anything unexpected."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from discard_contract.headers import RETRY_AFTER, retry_after_value

from .envelope import ApiError, current_trace_id, failure
from .faults import DEFAULT_RETRY_AFTER_SECONDS
from .storage import StoreUnavailable

log = logging.getLogger("discard_mock")


def init_app(app: Flask, *, path_template: str, cors: bool) -> None:
    """`path_template` is what an unknown path's answer points to; `cors`: whether OPTIONS preflights are answered."""

    @app.before_request
    def only_preflights_may_use_options() -> None:
        req = request._get_current_object()  # type: ignore[attr-defined]
        if req.method != "OPTIONS" or req.url_rule is None:
            return
        if not (cors and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in req.environ):
            # Flask would answer any OPTIONS; only CORS preflights deserve that.
            raise MethodNotAllowed(valid_methods=sorted(req.url_rule.methods or ()))

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return failure(error)

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(error: StoreUnavailable) -> Response:
        return failure(unavailable(error, current_trace_id()))

    @app.errorhandler(NotFound)
    def unknown_path(_: NotFound) -> Response:
        return failure(
            ApiError(
                404,
                f"No route for {request.method} {request.path[:200]}. This API serves POST {path_template}.",
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
        return failure(unexpected(error, current_trace_id()))


def unavailable(error: StoreUnavailable, trace_id: str) -> ApiError:
    """The 503 for a store that cannot be reached, logged: the operator sees why, the client what to do.

    A write whose reply was lost may have been applied (a discard that did stop the instance):
    its client must check the state before retrying, as the API's docs ask for any retry.
    """
    log.warning("503: %s (trace %s)", error, trace_id)
    if error.may_have_applied:
        message = (
            f"The mock's store stopped answering during this request: {error}. The request may have been "
            "applied: check its state before retrying (GET /__mock/health says when the store is back)."
        )
    else:
        message = (
            f"The mock's store is unavailable: {error}. Nothing was changed; retry shortly "
            "(GET /__mock/health says when it is back)."
        )
    return ApiError(
        503,
        message,
        details="store",
        code="SERVICE_UNAVAILABLE",
        headers={RETRY_AFTER: retry_after_value(DEFAULT_RETRY_AFTER_SECONDS)},
    )


def unexpected(error: Exception, trace_id: str) -> ApiError:
    """The spec's 500 for a defect of the mock, with its traceback in the log under the trace ID."""
    log.exception("unhandled error (trace %s)", trace_id, exc_info=error)
    return ApiError.documented("internalError")
