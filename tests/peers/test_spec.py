"""The OpenAPI document: valid OpenAPI, lint-clean, and in agreement with the docs' examples.

The docs page's examples are kept as data in tests/data/docs_examples.json, so
the project does not need the page itself at run time.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from discard_contract.spec import DISCARD_OPERATION, SPEC_PATH, Spec

from ..support.helpers import EXECUTE_KEY, ROOT, iter_examples, load_json, node_tool

DOCS = load_json("docs_examples.json")
DOCUMENTED_STATUSES = (200, 400, 401, 403, 404, 409, 429, 500, 502)
SPECTRAL = ("node_modules", ".bin", "spectral")
SPECTRAL_ERROR = 0  # Spectral's JSON output: 0 error, 1 warning, 2 info, 3 hint


def test_the_docs_examples_file_holds_one_example_per_documented_status() -> None:
    """Guards the data file: an emptied or truncated copy would make the next test vacuous."""
    assert sorted(int(status) for status in DOCS["examples"]) == list(DOCUMENTED_STATUSES)


@pytest.mark.parametrize("status", DOCUMENTED_STATUSES)
def test_every_docs_example_validates_against_the_spec_schema_for_its_status(spec: Spec, status: int) -> None:
    """CONTRACT: every example in the docs must validate, including the odd "approved" one."""
    example = DOCS["examples"][str(status)]["example"]
    errors = [e.message for e in spec.response_validator(DISCARD_OPERATION, status).iter_errors(example)]
    assert errors == []


def test_the_spec_names_the_docs_schema_for_every_status(spec: Spec) -> None:
    """The docs name one schema per status; the spec's response must use the same one."""
    path, method = next(
        (p, m) for p, item in spec.document["paths"].items() for m, op in item.items() if isinstance(op, dict)
    )
    responses = spec.document["paths"][path][method]["responses"]
    for status, entry in DOCS["examples"].items():
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{entry['schema']}", status


def test_the_spec_documents_exactly_the_docs_statuses(spec: Spec) -> None:
    assert spec.operation().documented_statuses == DOCUMENTED_STATUSES


def test_every_spec_example_validates_against_its_own_status_schema(spec: Spec) -> None:
    """The mock serves these examples on request (Prefer), so each must be a valid answer."""
    examples = list(iter_examples(spec, DISCARD_OPERATION))
    assert {status for status, _, _ in examples} == set(DOCUMENTED_STATUSES), "every status needs an example"
    for status, name, value in examples:
        errors = [e.message for e in spec.response_validator(DISCARD_OPERATION, status).iter_errors(value)]
        assert errors == [], f"{status} {name}"


def test_the_spec_own_200_example_is_a_discard(spec: Spec) -> None:
    """CONTRACT: the spec's discard examples say "discarded" and show the stopped, gate-cleared instance."""
    for status, name, value in iter_examples(spec, DISCARD_OPERATION):
        if status == 200:
            status_doc = value["data"]["leadStatus"]
            assert value["data"]["action"] == "discarded", name
            assert status_doc["workflowStatus"] == "stopped", name
            assert status_doc["workflowStopReason"] == "CONTENT_DISCARDED", name
            assert status_doc["hasPendingApproval"] is False, name


def test_parameter_and_schema_examples_match_their_schemas(spec: Spec) -> None:
    """The examples Schemathesis and docs tools show must satisfy the inferred ID patterns."""
    components = spec.document["components"]
    checked = 0
    for parameter in components["parameters"].values():
        values = [parameter["example"]] if "example" in parameter else []
        values += [spec.resolve(example)["value"] for example in parameter.get("examples", {}).values()]
        for value in values:
            assert spec.validator(parameter["schema"]).is_valid(value), parameter["name"]
            checked += 1
    for name, schema in components["schemas"].items():
        for example in schema.get("examples", []):
            assert spec.validator(schema).is_valid(example), name
            checked += 1
    assert checked >= 3


def _request_examples(spec: Spec) -> dict[str, dict[str, Any]]:
    """Example name -> {path parameter: value}, from the path parameters' named examples."""
    named: dict[str, dict[str, Any]] = {}
    for parameter in spec.operation().parameters:
        raw = spec.resolve(spec.document["components"]["parameters"][parameter.name])
        for name, example in raw.get("examples", {}).items():
            named.setdefault(name, {})[parameter.name] = spec.resolve(example)["value"]
    return named


def test_every_request_example_names_a_response_example_and_fills_every_path_parameter(spec: Spec) -> None:
    """Example-driven tools (Specmatic) pair a request example with the response example of the same name."""
    responses = {name: (status, value) for status, name, value in iter_examples(spec, DISCARD_OPERATION)}
    requests = _request_examples(spec)
    assert "discarded" in requests, "the 200 example needs a request beside it: a positive case"
    for name, values in requests.items():
        assert name in responses, f"request example {name!r} has no response example of that name"
        assert set(values) == {p.name for p in spec.operation().parameters}, name
        status, body = responses[name]
        if status == 200:
            assert body["data"]["workflowInstanceId"] == values["workflowInstanceId"], name


def test_the_request_example_is_a_positive_case_against_the_shipped_data(spec: Spec, client: FlaskClient) -> None:
    """The paired request really gets its 200 from a fresh mock, and the answer is its example's instance."""
    values = _request_examples(spec)["discarded"]
    path = spec.operation().path_template.format(**values)
    answer = client.post(path, headers={"Authorization": f"Bearer {EXECUTE_KEY}"})
    assert answer.status_code == 200, answer.get_json()
    example = {name: value for _, name, value in iter_examples(spec, DISCARD_OPERATION)}["discarded"]
    assert answer.get_json()["data"]["leadStatus"]["leadId"] == example["data"]["leadStatus"]["leadId"]


RFC_9110_RETRY_AFTER = {
    "delay-seconds": ["0", "1", "120"],
    "IMF-fixdate": ["Sun, 06 Nov 1994 08:49:37 GMT"],
    "rfc850-date": ["Sunday, 06-Nov-94 08:49:37 GMT"],
    "asctime-date": ["Sun Nov  6 08:49:37 1994", "Sun Nov 16 08:49:37 1994"],
}


def _retry_after_validator(spec: Spec) -> Any:
    path, method = spec.operation().path_template, spec.operation().method.lower()
    header = spec.document["paths"][path][method]["responses"]["429"]["headers"]["Retry-After"]
    assert header.get("x-inferred") is True and header.get("x-inferred-reason"), "the header is an inferred rule"
    return spec.validator(header["schema"])


@pytest.mark.parametrize("form", sorted(RFC_9110_RETRY_AFTER))
def test_retry_after_takes_every_rfc_9110_form_as_text_and_seconds_as_a_number(spec: Spec, form: str) -> None:
    """Tools validate a header either as its text or as a number read from it: both must pass."""
    validator = _retry_after_validator(spec)
    for text in RFC_9110_RETRY_AFTER[form]:
        assert validator.is_valid(text), text
        if text.isdigit():
            assert validator.is_valid(int(text)), text


@pytest.mark.parametrize(
    "text", ["-1", "1.5", "", "soon", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC"]
)
def test_retry_after_refuses_what_rfc_9110_does_not_allow(spec: Spec, text: str) -> None:
    assert not _retry_after_validator(spec).is_valid(text)


def test_a_wrong_example_fails_validation(spec: Spec) -> None:
    """The validators above really check: a 200 body with an unknown action is rejected."""
    example = copy.deepcopy(DOCS["examples"]["200"]["example"])
    example["data"]["action"] = "edited"
    assert not spec.response_validator(DISCARD_OPERATION, 200).is_valid(example)
    assert not spec.response_validator(DISCARD_OPERATION, 400).is_valid(DOCS["examples"]["401"]["example"])


def test_the_spec_is_valid_openapi() -> None:
    validate(yaml.safe_load(Path(str(SPEC_PATH)).read_text(encoding="utf-8")))


def test_the_openapi_validator_rejects_a_broken_document() -> None:
    """Proves the validity check above can fail: a path parameter that is not required is invalid."""
    document = yaml.safe_load(Path(str(SPEC_PATH)).read_text(encoding="utf-8"))
    document["components"]["parameters"]["campaignId"]["required"] = False
    with pytest.raises(OpenAPIValidationError):
        validate(document)


def _spectral_errors(document_path: Path, tmp_path: Path) -> list[dict[str, Any]]:
    spectral = node_tool(*SPECTRAL)
    report = tmp_path / "spectral.json"
    result = subprocess.run(
        [str(spectral), "lint", str(document_path), "--ruleset", str(ROOT / ".spectral.yaml"),
         "--format", "json", "--output", str(report), "--fail-severity", "error"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert report.exists(), f"Spectral wrote no report (exit {result.returncode}): {result.stderr}"
    findings = json.loads(report.read_text(encoding="utf-8") or "[]")
    errors = [f for f in findings if f["severity"] == SPECTRAL_ERROR]
    assert (result.returncode != 0) == bool(errors), result.stderr
    return errors


def test_spectral_oas_ruleset_finds_no_errors(tmp_path: Path) -> None:
    errors = _spectral_errors(Path(str(SPEC_PATH)), tmp_path)
    assert errors == [], [(e["code"], ".".join(map(str, e["path"])), e["message"]) for e in errors]


def test_spectral_reports_errors_in_a_broken_document(tmp_path: Path) -> None:
    """Proves the lint test can fail: the ruleset is loaded and an error is reported as one."""
    document = yaml.safe_load(Path(str(SPEC_PATH)).read_text(encoding="utf-8"))
    document["paths"]["/v1/broken/{id}"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    broken = tmp_path / "broken.openapi.yaml"
    broken.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    errors = _spectral_errors(broken, tmp_path)
    assert any(e["code"] == "path-params" for e in errors), errors


def _nodes_where(
    keep: Callable[[dict[str, Any]], bool], node: Any, where: str = ""
) -> list[tuple[str, dict[str, Any]]]:
    """Every object in the document that `keep` accepts, with its JSON pointer."""
    found = []
    if isinstance(node, dict):
        if keep(node):
            found.append((where, node))
        for key, value in node.items():
            found += _nodes_where(keep, value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _nodes_where(keep, value, f"{where}/{index}")
    return found


def test_every_inferred_constraint_says_why(spec: Spec) -> None:
    """CONTRACT: inferred constraints carry `x-inferred: true` and a one-line reason, the header's included."""
    nodes = _nodes_where(lambda node: "x-inferred" in node or "x-inferred-reason" in node, spec.document)
    assert {where.rsplit("/", 1)[-1] for where, _ in nodes} >= {"Retry-After", "ObjectId", "ApprovalAction", "details"}
    for where, node in nodes:
        reason = node.get("x-inferred-reason")
        assert node.get("x-inferred") is True and isinstance(reason, str) and reason.strip(), where
        assert "\n" not in reason.strip(), where


def _error_body(**error: Any) -> dict[str, Any]:
    return {"success": False, "data": None, "error": {"code": "NOT_FOUND", "message": "No such instance.", **error},
            "traceId": "t-1"}  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        _error_body(),
        _error_body(details=None),
        _error_body(details="workflowInstanceId", hint="an extra member of the error"),
        {**_error_body(), "requestId": "an extra member of the envelope"},
    ],
    ids=["details absent", "details null", "extra error member", "extra envelope member"],
)
def test_the_error_envelope_is_no_stricter_than_the_contract(spec: Spec, body: dict[str, Any]) -> None:
    """CONTRACT: `details` may be null or absent, and nothing forbids members the envelope does not name."""
    for status in (404, 429, 400):
        if status == 400:
            body = {**body, "error": {**body["error"], "code": "VALIDATION_ERROR"}}
        assert spec.response_validator(DISCARD_OPERATION, status).is_valid(body), status


def test_a_result_may_carry_members_the_envelope_does_not_name(spec: Spec) -> None:
    example = copy.deepcopy(DOCS["examples"]["200"]["example"])
    example["meta"] = {"region": "eu"}
    example["data"]["leadStatus"]["campaignId"] = "507f191e810c19729de860ea"
    assert spec.response_validator(DISCARD_OPERATION, 200).is_valid(example)
    example["error"] = {"code": "X", "message": "a success carries no error"}
    assert not spec.response_validator(DISCARD_OPERATION, 200).is_valid(example)


def test_every_object_schema_says_it_is_open(spec: Spec) -> None:
    """JSON Schema leaves objects open by default, but Specmatic reads an object without
    `additionalProperties` as closed and fails a deployment that adds a member."""
    objects = _nodes_where(lambda node: node.get("type") == "object", spec.document["components"]["schemas"])
    assert len(objects) >= 8
    assert [where for where, schema in objects if schema.get("additionalProperties") is not True] == []
