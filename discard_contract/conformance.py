"""An answer of the discard operation against the spec itself: a documented status, a body its schema accepts.

The suite gets this check from Schemathesis (`status_code_conformance`,
`response_schema_conformance`); a judge with no Schemathesis around it (the
proxy, a unit test) calls this one, on the same spec, under the same rule id.
"""

from __future__ import annotations

from functools import cache

from jsonschema import Draft202012Validator

from . import rules
from .checks import ANSWER_CHECKS, Check
from .exchange import Exchange
from .spec import DISCARD_OPERATION, Spec
from .violations import violation

DOCUMENTED_STATUSES = Spec.shipped().operation().documented_statuses


@cache
def _body_validator(status: int) -> Draft202012Validator:
    return Spec.shipped().response_validator(DISCARD_OPERATION, status)


def documented_answer(exchange: Exchange) -> None:
    """The status is one the spec documents, and the body is valid against that status's schema."""
    if exchange.status not in DOCUMENTED_STATUSES:
        raise violation(
            rules.SPEC,
            f"status {exchange.status} is not documented; the spec documents "
            f"{', '.join(map(str, DOCUMENTED_STATUSES))}",
        )
    body = exchange.envelope
    if body is None:
        return  # not JSON at all: the envelope rule names it
    error = next(iter(_body_validator(exchange.status).iter_errors(body)), None)
    if error is not None:
        place = "/".join(map(str, error.absolute_path)) or "(body)"
        raise violation(rules.SPEC, f"the {exchange.status} body is not the spec's: {place}: {error.message[:300]}")


# What an answer of the discard operation must satisfy, when no Schemathesis checks the spec.
OPERATION_CHECKS: tuple[Check, ...] = (*ANSWER_CHECKS, documented_answer)
