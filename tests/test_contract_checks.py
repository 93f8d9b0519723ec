"""Each envelope check of the suite fails on an answer that breaks its rule, and only then."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from contract_tests.checks import (
    ENVELOPE_CHECKS,
    data_xor_error,
    error_is_actionable,
    json_envelope,
    success_means_2xx,
    trace_id_present,
    validation_error_code,
)

GOOD_ERROR = {
    "success": False,
    "data": None,
    "error": {"code": "NOT_FOUND", "message": "No such instance.", "details": None},
    "traceId": "t-1",
}
GOOD_SUCCESS = {"success": True, "data": {"action": "discarded"}, "error": None, "traceId": "t-2"}


def answer(status: int, body: Any, content_type: str = "application/json") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers["Content-Type"] = content_type
    return response


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, GOOD_ERROR),
        (200, GOOD_SUCCESS),
        (400, {**GOOD_ERROR, "error": {"code": "VALIDATION_ERROR", "message": "m"}}),
    ],
)
def test_a_conforming_answer_passes_every_check(status: int, body: dict[str, Any]) -> None:
    for check in ENVELOPE_CHECKS:
        check(None, answer(status, body), None)


BROKEN: list[tuple[Callable[..., None], int, Any, str]] = [
    (json_envelope, 404, GOOD_ERROR, "text/html"),
    (json_envelope, 404, b"<html>Not Found</html>", "application/json"),
    (json_envelope, 404, {k: v for k, v in GOOD_ERROR.items() if k != "data"}, "application/json"),
    (success_means_2xx, 404, {**GOOD_ERROR, "success": True}, "application/json"),
    (success_means_2xx, 200, {**GOOD_SUCCESS, "success": False}, "application/json"),
    (data_xor_error, 200, {**GOOD_SUCCESS, "error": {"code": "X", "message": "m"}}, "application/json"),
    (data_xor_error, 404, {**GOOD_ERROR, "data": {}}, "application/json"),
    (error_is_actionable, 404, {**GOOD_ERROR, "error": {"code": "", "message": "m"}}, "application/json"),
    (error_is_actionable, 404, {**GOOD_ERROR, "error": {"code": "X", "message": " "}}, "application/json"),
    (
        error_is_actionable,
        404,
        {**GOOD_ERROR, "error": {"code": "X", "message": "m", "details": 3}},
        "application/json",
    ),
    (trace_id_present, 404, {**GOOD_ERROR, "traceId": ""}, "application/json"),
    (trace_id_present, 200, {**GOOD_SUCCESS, "traceId": None}, "application/json"),
    (validation_error_code, 400, GOOD_ERROR, "application/json"),
]


@pytest.mark.parametrize(("check", "status", "body", "content_type"), BROKEN)
def test_each_check_fails_the_answer_that_breaks_its_rule(
    check: Callable[..., None], status: int, body: Any, content_type: str
) -> None:
    with pytest.raises(AssertionError, match="CONTRACT «The envelope»"):
        check(None, answer(status, body, content_type), None)
