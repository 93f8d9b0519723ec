"""The response envelope every answer of the mock wears, success or error."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Response, g

# The docs leave error codes an open string; these are the mock's (inferred).
ERROR_CODES: Mapping[int, str] = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    431: "HEADERS_TOO_LARGE",
    500: "INTERNAL_ERROR",
    501: "NOT_IMPLEMENTED",
    502: "UPSTREAM_ERROR",
}


class ApiError(Exception):
    """An answer other than success; raised anywhere, rendered as the envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        details: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or ERROR_CODES.get(status, "ERROR")
        self.message = message
        self.details = details
        self.headers = dict(headers or {})


def new_trace_id() -> str:
    """A random (version 4) UUID in hex, like uuid4().hex.

    From `random`, not os.urandom: a trace ID is no secret, and uuid4's system
    call on every request hands the GIL to another thread mid-request (9% of a
    busy worker's samples under load). `random` is reseeded in every forked
    worker, so workers never share a sequence.
    """
    return uuid.UUID(int=random.getrandbits(128), version=4).hex


def current_trace_id() -> str:
    """The trace ID of the request being served (one per request)."""
    if "trace_id" not in g:
        g.trace_id = new_trace_id()
    return g.trace_id


def error_body(
    status: int, message: str, details: str | None, trace_id: str, code: str | None = None
) -> dict[str, Any]:
    return {
        "success": False,
        "data": None,
        "error": {"code": code or ERROR_CODES.get(status, "ERROR"), "message": message, "details": details},
        "traceId": trace_id,
    }


# json.dumps(body, separators=(",", ":")) builds this encoder on every call; one does for all.
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        _ENCODE(body),
        status=status,
        headers=dict(headers or {}),
        mimetype="application/json",
    )


def success(data: dict[str, Any], status: int = 200) -> Response:
    body = {"success": True, "data": data, "error": None, "traceId": current_trace_id()}
    return json_response(body, status)


def failure(error: ApiError) -> Response:
    body = error_body(error.status, error.message, error.details, current_trace_id(), error.code)
    return json_response(body, error.status, error.headers)


def with_fresh_trace_id(example: dict[str, Any]) -> dict[str, Any]:
    """A spec example as an answer: the same body, this request's traceId."""
    return {**example, "traceId": current_trace_id()}
