"""The envelope every answer wears (mock_server/envelope.py), including the mock's own failures."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from flask import Flask

from discard_contract.spec import DISCARD_OPERATION, Spec
from mock_server import create_app
from mock_server.domain import ConditionalUpdate, Instance
from mock_server.envelope import ApiError, encode, error_body, new_trace_id
from mock_server.storage import Storage
from mock_server.storage.memory import MemoryBuckets, MemoryFaultRegistry, MemoryInstanceStore

from ..support.helpers import assert_error_envelope, bearer, discard_path, is_json_content_type


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "VALIDATION_ERROR"), (401, "UNAUTHORIZED"), (403, "FORBIDDEN"), (404, "NOT_FOUND"), (409, "CONFLICT")],
)
def test_api_errors_get_the_spec_code_for_their_status(status: int, code: str, spec: Spec) -> None:
    assert ApiError(status, "m").code == code == spec.operation().error_codes[status]


def test_an_explicit_code_wins_and_unknown_statuses_get_a_generic_one() -> None:
    assert ApiError(400, "m", code="CUSTOM").code == "CUSTOM"
    assert ApiError(418, "m").code == "ERROR"


def test_error_body_is_the_documented_envelope(spec: Spec) -> None:
    body = error_body(400, "bad", "workflowInstanceId", "t-1")
    assert body == {
        "success": False,
        "data": None,
        "error": {"code": "VALIDATION_ERROR", "message": "bad", "details": "workflowInstanceId"},
        "traceId": "t-1",
    }
    assert spec.response_validator(DISCARD_OPERATION, 400).is_valid(body)


def test_trace_ids_are_unique() -> None:
    assert len({new_trace_id() for _ in range(1000)}) == 1000


def test_trace_ids_are_version_4_uuids_in_hex() -> None:
    for _ in range(200):
        trace_id = new_trace_id()
        parsed = uuid.UUID(hex=trace_id)
        assert (parsed.version, parsed.variant, parsed.hex) == (4, uuid.RFC_4122, trace_id)


def test_what_orjson_refuses_is_still_encoded() -> None:
    body = {"count": 2**70, "name": "é"}
    assert json.loads(encode(body)) == body


class ExplodingStore(MemoryInstanceStore):
    """A store whose discard fails the way a broken database would."""

    def update_if(self, update: ConditionalUpdate) -> tuple[Instance | None, bool]:
        raise RuntimeError("database is on fire")


@pytest.fixture
def broken_app() -> Flask:
    return create_app({"STORE": lambda seed: Storage(ExplodingStore(seed), MemoryFaultRegistry(), MemoryBuckets())})


def test_an_unexpected_failure_is_a_500_envelope_not_a_traceback(broken_app: Flask, spec: Spec) -> None:
    response = broken_app.test_client().post(discard_path(), headers=bearer())
    assert response.status_code == 500
    assert is_json_content_type(response.headers["Content-Type"])
    body: Any = response.get_json()
    assert_error_envelope(body)
    assert "database is on fire" not in response.get_data(as_text=True), "internals stay in the log"
    assert "Traceback" not in response.get_data(as_text=True)
    assert spec.response_validator(DISCARD_OPERATION, 500).is_valid(body)


def test_the_log_names_the_trace_id_the_500_answer_gave(broken_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """The 500 message says "see its log for this traceId": the log must carry that very ID."""
    with caplog.at_level(logging.ERROR, logger="discard_mock"):
        response = broken_app.test_client().post(discard_path(), headers=bearer())
    trace_id = response.get_json()["traceId"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors, "the failure must be logged"
    assert any(trace_id in r.getMessage() and r.exc_info for r in errors)
