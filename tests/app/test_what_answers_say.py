"""What the endpoint's answers say, word for word: the request's own values in each refusal's message,
the 429's wait, the stop reason a discard leaves, and whose rate-limit bucket a request draws from.

The spec's templates (x-message) are the source of these words; the tests write them out, so an
answer that named the wrong value, or none, fails here.
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mock_server import create_app

from ..support.helpers import (
    ACME,
    ACME_CAMPAIGN,
    DOCS_INSTANCE,
    NOT_PENDING_SEEDED,
    UNKNOWN_INSTANCE,
    assert_discarded,
    assert_error_envelope,
    bearer,
    discard_path,
)


def refusal(response: TestResponse, status: int) -> dict[str, Any]:
    """The answer's error, once its status and envelope are as they should be."""
    body = response.get_json()
    assert response.status_code == status, body
    assert_error_envelope(body, status)
    error: dict[str, Any] = body["error"]
    return error


def test_a_404_names_the_instance_campaign_and_account_group_of_the_path(client: FlaskClient) -> None:
    error = refusal(client.post(discard_path(ACME, ACME_CAMPAIGN, UNKNOWN_INSTANCE), headers=bearer()), 404)
    assert error == {
        "code": "NOT_FOUND",
        "message": f"No workflow instance {UNKNOWN_INSTANCE} in campaign {ACME_CAMPAIGN} of account group {ACME}.",
        "details": "workflowInstanceId",
    }


def test_a_409_names_the_instance_and_the_status_it_is_in(client: FlaskClient) -> None:
    assert client.post(discard_path(), headers=bearer()).status_code == 200
    error = refusal(client.post(discard_path(), headers=bearer()), 409)
    assert error == {
        "code": "CONFLICT",
        "message": f"Workflow instance {DOCS_INSTANCE} is not pending approval (status: stopped); nothing was "
        "discarded. Check its state before retrying.",
        "details": "stopped",
    }
    group, campaign, waiting, status = NOT_PENDING_SEEDED[0]
    error = refusal(client.post(discard_path(group, campaign, waiting), headers=bearer()), 409)
    assert error["message"] == (
        f"Workflow instance {waiting} is not pending approval (status: {status}); nothing was discarded. "
        "Check its state before retrying."
    )
    assert error["details"] == status == "waiting"


def test_a_429_says_how_long_to_wait_as_its_retry_after_does() -> None:
    client = create_app({"RATE_LIMIT": "1/h", "CLOCK": lambda: 1_000.0}).test_client()
    assert client.post(discard_path(), headers=bearer()).status_code == 200
    response = client.post(discard_path(), headers=bearer())
    error = refusal(response, 429)
    assert error == {
        "code": "RATE_LIMITED",
        "message": "Rate limit exceeded for this API key; retry after 3600 second(s).",
        "details": None,
    }
    assert response.headers["Retry-After"] == "3600"


def test_a_request_with_several_malformed_ids_is_told_of_each(client: FlaskClient) -> None:
    error = refusal(client.post(discard_path(ACME, "x", "y" * 70), headers=bearer()), 400)
    assert error == {
        "code": "VALIDATION_ERROR",
        "message": "Path parameter campaignId must be 24 hexadecimal characters; got 'x'. "
        f"Path parameter workflowInstanceId must be 24 hexadecimal characters; got '{'y' * 61}...'.",
        "details": "campaignId, workflowInstanceId",
    }


def test_a_discarded_instance_reads_back_stopped_for_content_discarded(client: FlaskClient) -> None:
    data = client.post(discard_path(), headers=bearer()).get_json()["data"]
    assert data["leadStatus"]["workflowStopReason"] == "CONTENT_DISCARDED"
    stored = client.get(f"/__mock/instances/{DOCS_INSTANCE}").get_json()
    assert_discarded(stored)
    assert stored == {**stored, **data["leadStatus"]}, "the answer shows the instance as it is stored"


def test_each_anonymous_client_address_draws_from_a_bucket_of_its_own() -> None:
    client = create_app({"RATE_LIMIT": "1/h", "CLOCK": lambda: 1_000.0}).test_client()

    def anonymous(address: str) -> int:
        return client.post(discard_path(), environ_base={"REMOTE_ADDR": address}).status_code

    assert [anonymous("192.0.2.1"), anonymous("192.0.2.1")] == [401, 429]
    assert [anonymous("192.0.2.2"), anonymous("192.0.2.2")] == [401, 429]
    assert client.post(discard_path(), headers=bearer(), environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200
