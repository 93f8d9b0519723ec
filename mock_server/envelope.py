"""The response envelope every answer of the mock wears, success or error.

Error codes and messages come from the spec: a documented status answers
with its examples' code, and an answer the spec shows by example (a missing
key, an unknown instance ...) is made from that example (`ApiError.documented`),
so the mock and the spec cannot drift apart. Only statuses the spec does not
document (an HTTP-level refusal such as 405 or 413) have their codes here.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from functools import cache
from typing import Any

import orjson
from flask import Response, g

from discard_contract.spec import ErrorAnswer, Spec

# Statuses the endpoint's spec does not document, answered by the mock or its server (inferred codes).
UNDOCUMENTED_CODES: Mapping[int, str] = {
    405: "METHOD_NOT_ALLOWED",
    408: "REQUEST_TIMEOUT",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    415: "UNSUPPORTED_MEDIA_TYPE",
    431: "HEADERS_TOO_LARGE",
    501: "NOT_IMPLEMENTED",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


@cache
def _documented() -> tuple[dict[int, str], dict[str, ErrorAnswer]]:
    operation = Spec.shipped().operation()
    return operation.error_codes, operation.errors


def error_code(status: int) -> str:
    """The code an error status answers with: the spec's for a documented status."""
    return _documented()[0].get(status) or UNDOCUMENTED_CODES.get(status, "ERROR")


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
        self.code = code or error_code(status)
        self.message = message
        self.details = details
        self.headers = dict(headers or {})

    @classmethod
    def documented(cls, example: str, *, headers: Mapping[str, str] | None = None, **values: Any) -> ApiError:
        """The answer of the spec's error example named `example`, with this request's `values` in place."""
        answer = _documented()[1][example]
        message, details = answer.render(**values)
        return cls(answer.status, message, details=details, code=answer.code, headers=headers)


# A version 4 UUID's fixed bits (RFC 9562 5.4): the version nibble 4, the variant bits 10.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_trace_id() -> str:
    """A random (version 4) UUID in hex, like uuid4().hex, with its bits set as uuid.UUID(version=4) sets them.

    From `random`, not os.urandom: a trace ID is no secret, and uuid4's system
    call on every request hands the GIL to another thread mid-request (9% of a
    busy worker's samples under load). `random` is reseeded in every forked
    worker, so workers never share a sequence. No UUID object: building one was
    a tenth of the endpoint's own time.
    """
    return f"{random.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET:032x}"


def current_trace_id() -> str:
    """The trace ID of the request Flask is serving (one per request)."""
    if "trace_id" not in g:
        g.trace_id = new_trace_id()
    trace_id: str = g.trace_id
    return trace_id


def error_body(
    status: int, message: str, details: str | None, trace_id: str, code: str | None = None
) -> dict[str, Any]:
    return {
        "success": False,
        "data": None,
        "error": {"code": code or error_code(status), "message": message, "details": details},
        "traceId": trace_id,
    }


def failure_body(error: ApiError, trace_id: str) -> dict[str, Any]:
    return error_body(error.status, error.message, error.details, trace_id, error.code)


def encode(body: Any) -> bytes:
    """An answer's bytes, as compact JSON (UTF-8, as RFC 8259 asks; json's default escaped it as ASCII).

    orjson refuses what a client may have put in a control call's body and json takes (an integer
    over 64 bits): that rare answer is encoded by json instead, never a 500.
    """
    try:
        return orjson.dumps(body)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(body, separators=(",", ":")).encode()


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(encode(body), status=status, headers=dict(headers or {}), mimetype="application/json")


def failure(error: ApiError) -> Response:
    return json_response(failure_body(error, current_trace_id()), error.status, error.headers)
