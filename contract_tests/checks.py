"""Envelope invariants, as Schemathesis checks.

Each check has one responsibility and names the CONTRACT.md rule it enforces.
They are registered with Schemathesis, so they run on every response the
suite validates, next to Schemathesis' own schema and status checks.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from sonarly_openapi.spec import Spec

from .violations import EnvelopeViolation

# The spec's code for a 400 (every 400 example of the docs says it); read once, not per answer.
VALIDATION_CODE = Spec.shipped().operation().error_codes[400]


def envelope_of(response: Any) -> dict[str, Any] | None:
    """The parsed body when it is a JSON object, else None."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@schemathesis.check
def json_envelope(ctx: Any, response: Any, case: Any) -> None:
    """Every answer, success or error, is a JSON object with the four envelope fields."""
    content_type = response.headers.get("Content-Type") or response.headers.get("content-type") or [""]
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if "json" not in content_type.lower():
        raise EnvelopeViolation("envelope", f"all bodies are JSON, but Content-Type is {content_type!r}")
    body = envelope_of(response)
    if body is None:
        raise EnvelopeViolation("envelope", f"the body is not a JSON object: {response.content[:200]!r}")
    missing = [name for name in ("success", "data", "error", "traceId") if name not in body]
    if missing:
        raise EnvelopeViolation("envelope", f"the body lacks {', '.join(missing)}")


@schemathesis.check
def success_means_2xx(ctx: Any, response: Any, case: Any) -> None:
    """`success` is true exactly for 2xx answers."""
    body = envelope_of(response)
    if body is None or "success" not in body:
        return
    if body["success"] is not (200 <= response.status_code < 300):
        raise EnvelopeViolation(
            "envelope",
            f"success is {body['success']!r} on a {response.status_code}; "
            "it must be true exactly when the status is 2xx",
        )


@schemathesis.check
def data_xor_error(ctx: Any, response: Any, case: Any) -> None:
    """A success carries an object in `data` and null `error`; a failure the reverse."""
    body = envelope_of(response)
    if body is None or not isinstance(body.get("success"), bool):
        return
    if body["success"] and not (isinstance(body.get("data"), dict) and body.get("error") is None):
        raise EnvelopeViolation("envelope", f"on success data must be an object and error null; got {body!r:.300}")
    if not body["success"] and not (body.get("data") is None and isinstance(body.get("error"), dict)):
        raise EnvelopeViolation("envelope", f"on failure data must be null and error an object; got {body!r:.300}")


@schemathesis.check
def error_is_actionable(ctx: Any, response: Any, case: Any) -> None:
    """An error has a non-empty string code and message, and details a string if present."""
    body = envelope_of(response)
    error = body.get("error") if body else None
    if not isinstance(error, dict):
        return
    for name in ("code", "message"):
        if not (isinstance(error.get(name), str) and error[name].strip()):
            raise EnvelopeViolation("envelope", f"error.{name} must be a non-empty string; got {error.get(name)!r}")
    if error.get("details") is not None and not isinstance(error["details"], str):
        raise EnvelopeViolation("envelope", f"error.details must be a string or null; got {error['details']!r}")


@schemathesis.check
def trace_id_present(ctx: Any, response: Any, case: Any) -> None:
    """Every answer carries a non-empty traceId string."""
    body = envelope_of(response)
    if body is None or "traceId" not in body:
        return
    if not (isinstance(body["traceId"], str) and body["traceId"].strip()):
        raise EnvelopeViolation("envelope", f"traceId must be a non-empty string; got {body['traceId']!r}")


@schemathesis.check
def validation_error_code(ctx: Any, response: Any, case: Any) -> None:
    """A 400 says VALIDATION_ERROR (the spec's code for 400), as every 400 example of the docs does."""
    body = envelope_of(response)
    if response.status_code != 400 or body is None or not isinstance(body.get("error"), dict):
        return
    expected = VALIDATION_CODE
    if body["error"].get("code") != expected:
        raise EnvelopeViolation("envelope", f"a 400 has error.code {expected}; got {body['error'].get('code')!r}")


ENVELOPE_CHECKS = (
    json_envelope,
    success_means_2xx,
    data_xor_error,
    error_is_actionable,
    trace_id_present,
    validation_error_code,
)
