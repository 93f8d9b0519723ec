"""The spec check a judge without Schemathesis uses (discard_contract/conformance.py): kept, and each way broken."""

from __future__ import annotations

import json
from typing import Any

import pytest

from discard_contract import rules
from discard_contract.conformance import OPERATION_CHECKS, documented_answer
from discard_contract.exchange import Exchange
from discard_contract.spec import Spec
from discard_contract.violations import ContractViolation

OPERATION = Spec.shipped().operation()


def exchange(status: int, body: Any) -> Exchange:
    return Exchange.of("POST", "/p", status, {"Content-Type": "application/json"}, json.dumps(body).encode())


@pytest.mark.parametrize("status", OPERATION.documented_statuses)
def test_every_example_of_the_spec_keeps_every_check(status: int) -> None:
    for body in OPERATION.examples[status].values():
        for check in OPERATION_CHECKS:
            check(exchange(status, {**body, "traceId": body.get("traceId") or "t"}))


def test_an_undocumented_status_breaks_spec() -> None:
    body = {"success": False, "data": None, "error": {"code": "X", "message": "m"}, "traceId": "t"}
    with pytest.raises(ContractViolation) as caught:
        documented_answer(exchange(503, body))
    assert caught.value.rule is rules.SPEC and "503" in caught.value.message


def test_a_body_its_status_schema_refuses_breaks_spec() -> None:
    body = dict(OPERATION.success_example())
    body.pop("traceId", None)
    with pytest.raises(ContractViolation) as caught:
        documented_answer(exchange(200, body))
    assert caught.value.rule is rules.SPEC and "traceId" in caught.value.message


def test_an_answer_that_is_not_json_is_left_to_the_envelope_rule() -> None:
    documented_answer(Exchange.of("POST", "/p", 429, {"Content-Type": "text/html"}, b"<html></html>"))
