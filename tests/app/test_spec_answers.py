"""The mock's error answers are the spec's: every error it can produce, compared with the spec's example.

The spec is the one source of codes and messages (mock_server/envelope.py).
These tests make a hand edit on either side fail: an example message that no
longer fits its template, or a live answer whose code or message differs from
the example for its case.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from discard_contract.spec import ErrorAnswer, Spec
from mock_server import create_app

from ..support.helpers import ACME, ACME_CAMPAIGN, bearer, discard_path

OPERATION = Spec.shipped().operation()
ANSWERS = OPERATION.errors


@pytest.mark.parametrize("name", ANSWERS)
def test_each_example_message_is_its_template_filled_in(name: str) -> None:
    """An x-message template and the example beside it say the same thing (or the example is stale)."""
    answer = ANSWERS[name]
    example = OPERATION.examples[answer.status][name]["error"]
    match = answer.pattern().match(example["message"])
    assert match, f"{name}: example message {example['message']!r} does not fit {answer.message!r}"
    if answer.details is not None:
        assert answer.details.format(**match.groupdict()) == example["details"]


def test_a_hand_edited_example_no_longer_fits_its_template() -> None:
    """The check above can fail: a message edited by hand in the example is caught."""
    answer = ANSWERS["instanceNotFound"]
    assert not answer.pattern().match("No such workflow instance 0 in campaign 1 of account group 2.")
    assert not ErrorAnswer("x", 409, "C", "static text", None).pattern().match("static text, edited")


def _live_cases() -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """Example name -> (a request to the mock that must get that answer, the values its template takes)."""
    unknown = "0" * 24
    docs = discard_path()
    return {
        "malformedWorkflowInstanceId": (
            {"path": discard_path(ACME, ACME_CAMPAIGN, "abc"), "headers": bearer()},
            {"parameter": "workflowInstanceId", "value": "'abc'"},
        ),
        "unexpectedBody": ({"path": docs, "headers": bearer(), "data": b"x"}, {}),
        "missingKey": ({"path": docs}, {}),
        "malformedKey": (
            {"path": docs, "headers": {"Authorization": "Basic abc"}},
            {},
        ),
        "unknownKey": ({"path": docs, "headers": bearer("sk_nope")}, {}),
        "missingPermission": (
            {"path": docs, "headers": bearer("sk_test_readonly")},
            {"permissions": "campaigns:execute"},
        ),
        "noAccountGroupAccess": (
            {"path": docs, "headers": bearer("sk_test_other_group")},
            {"accountGroupId": ACME},
        ),
        "instanceNotFound": (
            {"path": discard_path(ACME, ACME_CAMPAIGN, unknown), "headers": bearer()},
            {"workflowInstanceId": unknown, "campaignId": ACME_CAMPAIGN, "accountGroupId": ACME},
        ),
    }


LIVE = _live_cases()


@pytest.mark.parametrize("name", LIVE)
def test_the_mock_answers_each_case_as_the_spec_example_shows(name: str) -> None:
    request, values = LIVE[name]
    client: FlaskClient = create_app().test_client()
    response = client.post(request["path"], headers=request.get("headers", {}), data=request.get("data"))
    answer = ANSWERS[name]
    error = response.get_json()["error"]
    assert response.status_code == answer.status
    assert error["code"] == answer.code
    match = answer.pattern().match(error["message"])
    assert match, f"{name}: the mock said {error['message']!r}; the spec's template is {answer.message!r}"
    for field, value in values.items():
        assert match[field] == value
    if "{" not in answer.message:
        assert error["message"] == OPERATION.examples[answer.status][name]["error"]["message"]


def test_the_conflict_and_rate_limit_answers_are_the_spec_examples() -> None:
    """The two answers that need state or a limit to arrange: a repeated discard, and a throttled key."""
    client = create_app({"RATE_LIMIT": "1/h"}).test_client()
    path = discard_path()
    assert client.post(path, headers=bearer()).status_code == 200
    throttled = client.post(path, headers=bearer())
    repeat = create_app().test_client()
    repeat.post(path, headers=bearer())
    conflict = repeat.post(path, headers=bearer())
    for response, name in ((conflict, "notPendingApproval"), (throttled, "rateLimited")):
        answer = ANSWERS[name]
        error = response.get_json()["error"]
        assert (response.status_code, error["code"]) == (answer.status, answer.code)
        assert answer.pattern().match(error["message"]), (name, error["message"])
    assert conflict.get_json()["error"]["details"] == "stopped"


def test_every_documented_error_status_has_an_example_and_a_code() -> None:
    assert set(OPERATION.error_codes) == {s for s in OPERATION.documented_statuses if s >= 400}
