"""Each check of an answer fails on an answer that breaks its rule, and only then.

They are fed the contract's `Exchange` built the way the suite builds it from
Schemathesis' response (lower-case header names, list values), so a check that
looked a header up in one spelling only would fail here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from discard_contract import rules
from discard_contract.checks import (
    ANSWER_CHECKS,
    ENVELOPE_CHECKS,
    content_type_is_json,
    data_xor_error,
    discarded_instance,
    error_is_actionable,
    json_envelope,
    retry_after_is_valid,
    success_means_2xx,
    trace_id_present,
    validation_error_code,
)
from discard_contract.exchange import Exchange
from discard_contract.ids import InstanceIds
from discard_contract.rules import Rule
from discard_contract.violations import ContractViolation

GOOD_ERROR = {
    "success": False,
    "data": None,
    "error": {"code": "NOT_FOUND", "message": "No such instance.", "details": None},
    "traceId": "t-1",
}
GOOD_SUCCESS = {"success": True, "data": {"action": "discarded"}, "error": None, "traceId": "t-2"}


def answer(status: int, body: Any, content_type: str = "application/json", **headers: str) -> Exchange:
    """An answer as Schemathesis hands it over: header names lower-cased, each value a list."""
    fields = {"content-type": [content_type], **{name.replace("_", "-").lower(): [v] for name, v in headers.items()}}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange.of("POST", "/v1/accounts/a/campaigns/c/workflow-instances/w/discard", status, fields, content)


RATE_LIMITED = {**GOOD_ERROR, "error": {"code": "RATE_LIMITED", "message": "Slow down.", "details": None}}


@pytest.mark.parametrize(
    ("status", "body", "content_type", "headers"),
    [
        (404, GOOD_ERROR, "application/json", {}),
        (200, GOOD_SUCCESS, "application/json; charset=utf-8", {}),
        (400, {**GOOD_ERROR, "error": {"code": "VALIDATION_ERROR", "message": "m"}}, "Application/JSON", {}),
        (429, RATE_LIMITED, "application/json", {"Retry_After": "120"}),
        (429, RATE_LIMITED, "application/json", {"Retry_After": "Fri, 31 Dec 1999 23:59:59 GMT"}),
        (429, RATE_LIMITED, "application/json", {}),
    ],
)
def test_a_conforming_answer_passes_every_check(
    status: int, body: dict[str, Any], content_type: str, headers: dict[str, str]
) -> None:
    for check in ANSWER_CHECKS:
        check(answer(status, body, content_type, **headers))


JSON = "application/json"
BROKEN: list[tuple[Callable[[Exchange], None], Rule, Exchange]] = [
    (json_envelope, rules.ENVELOPE, answer(404, GOOD_ERROR, "text/html")),
    (json_envelope, rules.ENVELOPE, answer(404, b"<html>Not Found</html>")),
    (json_envelope, rules.ENVELOPE, answer(404, b"[1, 2]")),
    (json_envelope, rules.ENVELOPE, answer(404, {k: v for k, v in GOOD_ERROR.items() if k != "data"})),
    (success_means_2xx, rules.ENVELOPE, answer(404, {**GOOD_ERROR, "success": True})),
    (success_means_2xx, rules.ENVELOPE, answer(200, {**GOOD_SUCCESS, "success": False})),
    (success_means_2xx, rules.ENVELOPE, answer(302, {**GOOD_SUCCESS, "success": True})),
    (data_xor_error, rules.ENVELOPE, answer(200, {**GOOD_SUCCESS, "error": {"code": "X", "message": "m"}})),
    (data_xor_error, rules.ENVELOPE, answer(200, {**GOOD_SUCCESS, "data": None})),
    (data_xor_error, rules.ENVELOPE, answer(404, {**GOOD_ERROR, "data": {}})),
    (data_xor_error, rules.ENVELOPE, answer(404, {**GOOD_ERROR, "error": None})),
    (error_is_actionable, rules.ENVELOPE, answer(404, {**GOOD_ERROR, "error": {"code": "", "message": "m"}})),
    (error_is_actionable, rules.ENVELOPE, answer(404, {**GOOD_ERROR, "error": {"code": "X", "message": " "}})),
    (error_is_actionable, rules.ENVELOPE, answer(404, {**GOOD_ERROR, "error": {"message": "m"}})),
    (error_is_actionable, rules.ENVELOPE, answer(404, {**GOOD_ERROR, "error": {"code": 4, "message": "m"}})),
    (
        error_is_actionable,
        rules.ENVELOPE,
        answer(404, {**GOOD_ERROR, "error": {"code": "X", "message": "m", "details": 3}}),
    ),
    (trace_id_present, rules.ENVELOPE, answer(404, {**GOOD_ERROR, "traceId": ""})),
    (trace_id_present, rules.ENVELOPE, answer(200, {**GOOD_SUCCESS, "traceId": None})),
    (validation_error_code, rules.ENVELOPE, answer(400, GOOD_ERROR)),
    (content_type_is_json, rules.HEADERS, answer(404, GOOD_ERROR, "application/problem+json")),
    (content_type_is_json, rules.HEADERS, answer(404, GOOD_ERROR, "text/plain; a=application/json")),
    (retry_after_is_valid, rules.HEADERS, answer(429, RATE_LIMITED, JSON, Retry_After="soon")),
    (retry_after_is_valid, rules.HEADERS, answer(429, RATE_LIMITED, JSON, Retry_After="1.5")),
    (retry_after_is_valid, rules.HEADERS, answer(429, RATE_LIMITED, JSON, Retry_After="-1")),
]


@pytest.mark.parametrize(("check", "rule", "exchange"), BROKEN)
def test_each_check_fails_the_answer_that_breaks_its_rule(
    check: Callable[[Exchange], None], rule: Rule, exchange: Exchange
) -> None:
    with pytest.raises(ContractViolation) as raised:
        check(exchange)
    assert raised.value.rule is rule
    assert f"CONTRACT «{rule.section}»" in str(raised.value) and f"[{rule.id}]" in str(raised.value)


def test_a_header_counts_whatever_the_case_of_its_name() -> None:
    exchange = Exchange.of("POST", "/", 429, [("RETRY-AFTER", "soon"), ("Content-Type", JSON)], b"{}")
    with pytest.raises(ContractViolation, match="soon"):
        retry_after_is_valid(exchange)


def test_two_content_types_are_not_one_json_answer() -> None:
    exchange = Exchange.of("POST", "/", 404, [("Content-Type", JSON), ("content-type", "text/html")], b"{}")
    with pytest.raises(ContractViolation, match="once"):
        content_type_is_json(exchange)


LONG_PAGE = b"<html>" + b"x" * 300
WHAT_WAS_WRONG: list[tuple[Callable[[Exchange], None], Exchange, str]] = [
    (json_envelope, answer(404, GOOD_ERROR, "text/html"), "all bodies are JSON, but Content-Type is 'text/html'"),
    (
        json_envelope,
        Exchange.of("POST", "/", 404, [], json.dumps(GOOD_ERROR).encode()),
        "all bodies are JSON, but Content-Type is ''",
    ),
    (json_envelope, answer(404, LONG_PAGE), f"the body is not a JSON object: {LONG_PAGE[:200]!r}"),
    (json_envelope, answer(404, {"success": False, "error": {}}), "the body lacks data, traceId"),
    (
        success_means_2xx,
        answer(300, {**GOOD_SUCCESS, "success": True}),
        "success is True on a 300; it must be true exactly when the status is 2xx",
    ),
    (
        success_means_2xx,
        answer(299, {**GOOD_SUCCESS, "success": False}),
        "success is False on a 299; it must be true exactly when the status is 2xx",
    ),
    (
        data_xor_error,
        answer(200, {"success": True, "data": None}),
        "on success data must be an object and error null; got {'success': True, 'data': None}",
    ),
    (
        data_xor_error,
        answer(404, {"success": False, "data": {}, "error": None}),
        "on failure data must be null and error an object; got {'success': False, 'data': {}, 'error': None}",
    ),
    (
        error_is_actionable,
        answer(404, {**GOOD_ERROR, "error": {"code": 4, "message": "m"}}),
        "error.code must be a non-empty string; got 4",
    ),
    (
        error_is_actionable,
        answer(404, {**GOOD_ERROR, "error": {"code": "X", "message": " "}}),
        "error.message must be a non-empty string; got ' '",
    ),
    (
        error_is_actionable,
        answer(404, {**GOOD_ERROR, "error": {"code": "X", "message": "m", "details": ["a"]}}),
        "error.details must be a string or null; got ['a']",
    ),
    (trace_id_present, answer(404, {**GOOD_ERROR, "traceId": 7}), "traceId must be a non-empty string; got 7"),
    (validation_error_code, answer(400, GOOD_ERROR), "a 400 has error.code VALIDATION_ERROR; got 'NOT_FOUND'"),
    (
        content_type_is_json,
        answer(404, GOOD_ERROR, "text/plain"),
        "Content-Type must be application/json (once); got ['text/plain']",
    ),
    (
        retry_after_is_valid,
        answer(429, RATE_LIMITED, JSON, Retry_After="soon"),
        "Retry-After must be delay-seconds or an HTTP-date (RFC 9110); got 'soon'",
    ),
]


@pytest.mark.parametrize(("check", "exchange", "message"), WHAT_WAS_WRONG)
def test_each_violation_says_what_was_wrong_with_the_answer(
    check: Callable[[Exchange], None], exchange: Exchange, message: str
) -> None:
    with pytest.raises(ContractViolation) as raised:
        check(exchange)
    assert raised.value.message == message


@pytest.mark.parametrize("check", ENVELOPE_CHECKS[1:], ids=lambda check: check.__name__)
@pytest.mark.parametrize("body", [b"<html>Bad Gateway</html>", b"[]", b"{}"])
def test_a_body_without_the_field_a_check_reads_is_left_to_the_envelope_check(
    check: Callable[[Exchange], None], body: bytes
) -> None:
    """Only `json_envelope` judges whether the envelope is there; the others judge the fields they find."""
    exchange = answer(502, body)
    check(exchange)
    with pytest.raises(ContractViolation):
        json_envelope(exchange)


INSTANCE = InstanceIds("acme", "a" * 24, "b" * 24, "c" * 24)
DISCARDED = {
    "action": "discarded",
    "workflowInstanceId": INSTANCE.workflow_instance_id,
    "leadStatus": {
        "leadId": INSTANCE.lead_id,
        "workflowStatus": "stopped",
        "workflowInstanceId": INSTANCE.workflow_instance_id,
        "latestStep": "awaiting_approval",
        "workflowStopReason": "CONTENT_DISCARDED",
        "hasPendingApproval": False,
    },
}


def _discard_answer(data: Any) -> Exchange:
    return answer(200, {**GOOD_SUCCESS, "data": data})


def test_a_200_that_describes_the_instance_after_its_discard_passes() -> None:
    discarded_instance(_discard_answer(DISCARDED), INSTANCE)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"workflowInstanceId": "d" * 24}, "data.workflowInstanceId is 'dddd"),
        ({"leadStatus": {**DISCARDED["leadStatus"], "workflowInstanceId": "d" * 24}}, "leadStatus.workflowInstanceId"),
        ({"leadStatus": {**DISCARDED["leadStatus"], "leadId": "d" * 24}}, "leadStatus.leadId is 'dddd"),
        ({"leadStatus": {**DISCARDED["leadStatus"], "hasPendingApproval": True}}, "hasPendingApproval is True"),
        (
            {"leadStatus": {**DISCARDED["leadStatus"], "workflowStatus": "completed"}},
            "leadStatus.workflowStatus is 'completed': a discard must not pretend content was sent",
        ),
        ({"leadStatus": None}, "leadStatus.leadId is None, expected 'cccc"),
        ({"leadStatus": "stopped"}, "leadStatus.workflowInstanceId is None"),
    ],
)
def test_a_200_that_describes_something_else_breaks_discard_200(change: dict[str, Any], named: str) -> None:
    with pytest.raises(ContractViolation) as raised:
        discarded_instance(_discard_answer({**DISCARDED, **change}), INSTANCE)
    assert raised.value.rule is rules.DISCARD_200
    assert named in raised.value.message, raised.value.message


def test_every_problem_of_a_wrong_200_is_named_one_after_another() -> None:
    wrong = {**DISCARDED, "workflowInstanceId": "d" * 24, "leadStatus": {**DISCARDED["leadStatus"], "leadId": "e"}}
    with pytest.raises(ContractViolation) as raised:
        discarded_instance(_discard_answer(wrong), INSTANCE)
    assert raised.value.message == (
        f"data.workflowInstanceId is 'dddddddddddddddddddddddd', expected {INSTANCE.workflow_instance_id!r}; "
        f"leadStatus.leadId is 'e', expected {INSTANCE.lead_id!r}"
    )
    completed = {**DISCARDED, "leadStatus": {**DISCARDED["leadStatus"], "workflowStatus": "completed"}}
    with pytest.raises(ContractViolation) as raised:
        discarded_instance(_discard_answer(completed), INSTANCE)
    assert raised.value.message == (
        "leadStatus.workflowStatus is 'completed': a discard must not pretend content was sent"
    )
