"""The contract's checks on a single answer, one small function per rule.

Each takes an `Exchange` and raises the typed violation of the rule it
enforces, or returns. They import no web framework and no test runner: the
suite adapts them to Schemathesis (`contract_tests.client`), a proxy or a
unit test calls them as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import rules
from .exchange import ENVELOPE_FIELDS, Exchange
from .headers import CONTENT_TYPE, JSON_MEDIA_TYPE, RETRY_AFTER, media_type, retry_after_seconds
from .ids import InstanceIds
from .spec import Spec
from .violations import violation

Check = Callable[[Exchange], None]

# The spec's code for a 400 (every 400 example of the docs says it); read once, not per answer.
VALIDATION_CODE = Spec.shipped().operation().error_codes[400]


def json_envelope(exchange: Exchange) -> None:
    """Every answer, success or error, is a JSON object with the four envelope fields."""
    content_type = exchange.header(CONTENT_TYPE) or ""
    if "json" not in content_type.lower():
        raise violation(rules.ENVELOPE, f"all bodies are JSON, but {CONTENT_TYPE} is {content_type!r}")
    body = exchange.envelope
    if body is None:
        raise violation(rules.ENVELOPE, f"the body is not a JSON object: {exchange.body[:200]!r}")
    missing = [name for name in ENVELOPE_FIELDS if name not in body]
    if missing:
        raise violation(rules.ENVELOPE, f"the body lacks {', '.join(missing)}")


def success_means_2xx(exchange: Exchange) -> None:
    """`success` is true exactly for 2xx answers."""
    body = exchange.envelope
    if body is None or "success" not in body:
        return
    if body["success"] is not (200 <= exchange.status < 300):
        raise violation(
            rules.ENVELOPE,
            f"success is {body['success']!r} on a {exchange.status}; it must be true exactly when the status is 2xx",
        )


def data_xor_error(exchange: Exchange) -> None:
    """A success carries an object in `data` and null `error`; a failure the reverse."""
    body = exchange.envelope
    if body is None or not isinstance(body.get("success"), bool):
        return
    if body["success"] and not (isinstance(body.get("data"), dict) and body.get("error") is None):
        raise violation(rules.ENVELOPE, f"on success data must be an object and error null; got {body!r:.300}")
    if not body["success"] and not (body.get("data") is None and isinstance(body.get("error"), dict)):
        raise violation(rules.ENVELOPE, f"on failure data must be null and error an object; got {body!r:.300}")


def error_is_actionable(exchange: Exchange) -> None:
    """An error has a non-empty string code and message, and details a string if present."""
    error = exchange.error
    if error is None:
        return
    for name in ("code", "message"):
        if not (isinstance(error.get(name), str) and error[name].strip()):
            raise violation(rules.ENVELOPE, f"error.{name} must be a non-empty string; got {error.get(name)!r}")
    if error.get("details") is not None and not isinstance(error["details"], str):
        raise violation(rules.ENVELOPE, f"error.details must be a string or null; got {error['details']!r}")


def trace_id_present(exchange: Exchange) -> None:
    """Every answer carries a non-empty traceId string."""
    body = exchange.envelope
    if body is None or "traceId" not in body:
        return
    if not (isinstance(body["traceId"], str) and body["traceId"].strip()):
        raise violation(rules.ENVELOPE, f"traceId must be a non-empty string; got {body['traceId']!r}")


def validation_error_code(exchange: Exchange) -> None:
    """A 400 says the spec's code for 400, as every 400 example of the docs does."""
    error = exchange.error
    if exchange.status != 400 or error is None:
        return
    if error.get("code") != VALIDATION_CODE:
        raise violation(rules.ENVELOPE, f"a 400 has error.code {VALIDATION_CODE}; got {error.get('code')!r}")


def content_type_is_json(exchange: Exchange) -> None:
    """Content-Type is application/json, parameters such as charset allowed."""
    values = exchange.header_values(CONTENT_TYPE)
    if len(values) != 1 or media_type(values[0]) != JSON_MEDIA_TYPE:
        raise violation(rules.HEADERS, f"{CONTENT_TYPE} must be {JSON_MEDIA_TYPE} (once); got {values!r}")


def retry_after_is_valid(exchange: Exchange) -> None:
    """A 429's Retry-After, when sent, is delay-seconds or an HTTP-date."""
    if exchange.status != 429:
        return
    for value in exchange.header_values(RETRY_AFTER):
        if retry_after_seconds(value) is None:
            raise violation(
                rules.HEADERS, f"{RETRY_AFTER} must be delay-seconds or an HTTP-date (RFC 9110); got {value!r}"
            )


def discarded_instance(exchange: Exchange, instance: InstanceIds) -> None:
    """A 200 for a discard describes exactly that instance, as it is after the discard: its approval
    gate closed, and nothing 'completed' (that would pretend the content was sent)."""
    data = exchange.data
    lead: dict[str, Any] = data["leadStatus"] if isinstance(data.get("leadStatus"), dict) else {}
    wrong = {
        "data.workflowInstanceId": (data.get("workflowInstanceId"), instance.workflow_instance_id),
        "leadStatus.workflowInstanceId": (lead.get("workflowInstanceId"), instance.workflow_instance_id),
        "leadStatus.leadId": (lead.get("leadId"), instance.lead_id),
        "leadStatus.hasPendingApproval": (lead.get("hasPendingApproval"), False),
    }
    problems = [f"{name} is {got!r}, expected {want!r}" for name, (got, want) in wrong.items() if got != want]
    if lead.get("workflowStatus") == "completed":
        problems.append("leadStatus.workflowStatus is 'completed': a discard must not pretend content was sent")
    if problems:
        raise violation(rules.DISCARD_200, "; ".join(problems))


ENVELOPE_CHECKS: tuple[Check, ...] = (
    json_envelope,
    success_means_2xx,
    data_xor_error,
    error_is_actionable,
    trace_id_present,
    validation_error_code,
)
HEADER_CHECKS: tuple[Check, ...] = (content_type_is_json, retry_after_is_valid)
ANSWER_CHECKS: tuple[Check, ...] = ENVELOPE_CHECKS + HEADER_CHECKS
