"""Choosing a documented answer on demand (mock_server/endpoint/prefer.py), as Prism's `Prefer` does.

`Prefer: code=NNN`, `example=NAME` (or `?__code=` / `?__example=`) return the
spec's example for that status with a fresh traceId and change no state, so a
frontend can render every documented state without arranging it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from discard_contract.spec import DISCARD_OPERATION, Spec
from mock_server.context import MockContext
from mock_server.endpoint.prefer import Preference, read_preference, select_example
from mock_server.envelope import ApiError
from mock_server.faults import DEFAULT_RETRY_AFTER_SECONDS

from ..support.helpers import assert_error_envelope, bearer, discard_path, is_json_content_type, iter_examples

DOCUMENTED = (200, 400, 401, 403, 404, 409, 429, 500, 502)


# --- reading the preference ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "query", "expected"),
    [
        (None, {}, None),
        ("return=minimal", {}, None),
        ("code=", {}, None),
        ("code=404", {}, Preference(code="404")),
        ("Code = 404", {}, Preference(code="404")),
        ('example="unknownKey"', {}, Preference(example="unknownKey")),
        ("code=401, example=unknownKey", {}, Preference(code="401", example="unknownKey")),
        ("code=401; example=unknownKey", {}, Preference(code="401", example="unknownKey")),
        ("dynamic=false, code=500", {}, Preference(code="500")),
        (None, {"__code": "409"}, Preference(code="409")),
        (None, {"__example": "rateLimited"}, Preference(example="rateLimited")),
        ("code=404", {"__code": "409"}, Preference(code="409")),
        ("code=404", {"__example": "instanceNotFound"}, Preference(code="404", example="instanceNotFound")),
    ],
)
def test_read_preference(header: str | None, query: dict[str, str], expected: Preference | None) -> None:
    """The query string wins over the header, key by key."""
    assert read_preference(header, query) == expected


# --- selecting the example (in a request context: the answer carries the request's traceId) -------


def test_every_spec_example_can_be_selected_by_code_and_name(app: Flask, ctx: MockContext, spec: Spec) -> None:
    with app.test_request_context():
        for status, name, value in iter_examples(spec, DISCARD_OPERATION):
            chosen_status, body, _ = select_example(ctx.operation, Preference(code=str(status), example=name))
            assert chosen_status == status
            assert {**body, "traceId": value["traceId"]} == value


def test_an_example_name_alone_is_found_under_any_status(app: Flask, ctx: MockContext) -> None:
    with app.test_request_context():
        assert select_example(ctx.operation, Preference(example="rateLimited"))[0] == 429
        assert select_example(ctx.operation, Preference(example="discarded"))[0] == 200


def test_only_429_carries_retry_after(app: Flask, ctx: MockContext) -> None:
    with app.test_request_context():
        for status in DOCUMENTED:
            headers = select_example(ctx.operation, Preference(code=str(status)))[2]
            assert ("Retry-After" in headers) == (status == 429), status
        rate_limited = select_example(ctx.operation, Preference(code="429"))
        assert rate_limited[2]["Retry-After"] == str(DEFAULT_RETRY_AFTER_SECONDS)


# "\u00b2" and "\u0664\u0660\u0664" pass str.isdigit() but are not HTTP status digits.
@pytest.mark.parametrize("code", ["418", "201", "abc", "", "4O4", "\u00b2", "\u0664\u0660\u0664", "-400"])
def test_an_undocumented_code_is_400_listing_the_documented_ones(app: Flask, ctx: MockContext, code: str) -> None:
    with app.test_request_context(), pytest.raises(ApiError) as error:
        select_example(ctx.operation, Preference(code=code))
    assert error.value.status == 400
    assert all(str(status) in error.value.message for status in DOCUMENTED)


def test_an_unknown_example_is_400_listing_the_example_names(app: Flask, ctx: MockContext, spec: Spec) -> None:
    with app.test_request_context(), pytest.raises(ApiError) as error:
        select_example(ctx.operation, Preference(example="noSuchExample"))
    assert error.value.status == 400
    assert all(name in error.value.message for _, name, _ in iter_examples(spec, DISCARD_OPERATION))


def test_an_example_of_another_status_is_400_listing_that_status_names(app: Flask, ctx: MockContext) -> None:
    with app.test_request_context(), pytest.raises(ApiError) as error:
        select_example(ctx.operation, Preference(code="401", example="rateLimited"))
    assert error.value.status == 400
    assert "missingKey" in error.value.message and "unknownKey" in error.value.message


# --- over HTTP -----------------------------------------------------------------------------------


def test_prefer_code_returns_the_documented_example_with_a_fresh_trace_id(
    client: FlaskClient, spec: Spec, snapshot: Callable[[], list[Any]]
) -> None:
    before = snapshot()
    examples = {status: value for status, _, value in reversed(list(iter_examples(spec, DISCARD_OPERATION)))}
    for status in DOCUMENTED:
        response = client.post(discard_path(), headers={**bearer(), "Prefer": f"code={status}"})
        assert response.status_code == status
        assert is_json_content_type(response.headers["Content-Type"])
        body = response.get_json()
        assert body["traceId"] != examples[status]["traceId"], "the traceId must be this request's"
        assert {**body, "traceId": examples[status]["traceId"]} == examples[status]
        assert spec.response_validator(DISCARD_OPERATION, status).is_valid(body)
    assert snapshot() == before


def test_prefer_example_by_name(client: FlaskClient) -> None:
    response = client.post(discard_path(), headers={"Prefer": "example=unknownKey"})
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "The API key is unknown or has been revoked."


def test_prefer_code_and_example_combined(client: FlaskClient) -> None:
    response = client.post(discard_path(), headers={"Prefer": "code=403, example=noAccountGroupAccess"})
    assert response.status_code == 403
    assert response.get_json()["error"]["details"] == "accountGroupId"


def test_query_forms(client: FlaskClient) -> None:
    assert client.post(discard_path() + "?__code=502").status_code == 502
    response = client.post(discard_path(), query_string={"__code": "400", "__example": "unexpectedBody"})
    assert response.status_code == 400
    assert response.get_json()["error"]["details"] == "body"
    assert client.post(discard_path(), query_string={"__example": "notPendingApproval"}).status_code == 409


def test_prefer_200_changes_no_state(client: FlaskClient, snapshot: Callable[[], list[Any]]) -> None:
    """The 200 example shows a discard, but nothing is discarded: the instance stays pending."""
    before = snapshot()
    response = client.post(discard_path(), headers={**bearer(), "Prefer": "code=200"})
    assert response.status_code == 200
    assert response.get_json()["data"]["action"] == "discarded"
    assert snapshot() == before
    assert client.post(discard_path(), headers=bearer()).status_code == 200, "the real discard still works"


def test_each_prefer_answer_has_its_own_trace_id(client: FlaskClient) -> None:
    trace_ids = {client.post(discard_path(), headers={"Prefer": "code=404"}).get_json()["traceId"] for _ in range(20)}
    assert len(trace_ids) == 20


def test_429_example_carries_retry_after(client: FlaskClient) -> None:
    response = client.post(discard_path(), headers={"Prefer": "code=429"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(DEFAULT_RETRY_AFTER_SECONDS)
    assert_error_envelope(response.get_json())


@pytest.mark.parametrize(
    "prefer", ["code=418", "code=2OO", "code=\u00b2", "example=nope", "code=404, example=rateLimited", "code=-1"]
)
def test_bad_preferences_are_400_listing_the_choices(
    client: FlaskClient, snapshot: Callable[[], list[Any]], prefer: str
) -> None:
    before = snapshot()
    response = client.post(discard_path(), headers={**bearer(), "Prefer": prefer})
    assert response.status_code == 400
    body = response.get_json()
    assert_error_envelope(body, 400)
    assert body["error"]["details"] == "Prefer"
    assert snapshot() == before


@pytest.mark.parametrize("query", ["__code=418", "__code=%C2%B2", "__code=", "__example=nope"])
def test_bad_query_preferences_are_400(client: FlaskClient, query: str) -> None:
    response = client.post(f"{discard_path()}?{query}", headers=bearer())
    assert response.status_code == 400
    assert_error_envelope(response.get_json(), 400)
