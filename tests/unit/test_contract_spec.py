"""The spec's reader (discard_contract/spec.py), on a small document of its own and on the shipped file read afresh.

`Spec.shipped()` is parsed once per process; these tests read and compile their
documents themselves, so they exercise the reader, not a parse made before.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import discard_contract
from discard_contract.spec import DISCARD_OPERATION, SPEC_FILE, SPEC_PATH, ErrorAnswer, Spec, spec_path

OK = {"success": True, "data": {"n": 1}, "error": None, "traceId": "t"}
AGAIN = {"success": True, "data": {"n": 2}, "error": None, "traceId": "u"}


def failure(code: str, message: str, details: str | None = None) -> dict[str, Any]:
    return {"success": False, "data": None, "error": {"code": code, "message": message, "details": details}}


def json_answer(schema: dict[str, Any], examples: dict[str, Any]) -> dict[str, Any]:
    return {"description": "d", "content": {"application/json": {"schema": schema, "examples": examples}}}


MALFORMED = "Path parameter {parameter} must be {expectation}; got {value}!"


def document() -> dict[str, Any]:
    """Two operations on one path: parameters on the path and on the operation, responses and examples by $ref."""
    failure_schema = {"$ref": "#/components/schemas/Failure"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Things — ünïcode", "version": "1"},
        "paths": {
            "/v1/things/{thingId}/parts/{partId}": {
                "parameters": [{"$ref": "#/components/parameters/thingId"}],
                "get": {"operationId": "readPart", "responses": {"200": {"$ref": "#/components/responses/Done"}}},
                "post": {
                    "operationId": "touchPart",
                    "x-required-permissions": ["things:write", "things:touch"],
                    "parameters": [
                        {
                            "name": "partId",
                            "in": "path",
                            "required": True,
                            "schema": {"$ref": "#/components/schemas/a~1b~0c"},
                        },
                        {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
                    ],
                    "responses": {
                        "200": {"$ref": "#/components/responses/Done"},
                        "404": json_answer(
                            failure_schema,
                            {
                                "gone": {"$ref": "#/components/examples/Gone"},
                                "missing": {
                                    "x-message": "No part {partId} of thing {thingId}.",
                                    "value": failure("NOT_FOUND", "No part 123 of thing a.", "partId"),
                                },
                            },
                        ),
                        "400": json_answer(
                            failure_schema,
                            {
                                "body": {"value": failure("BAD_BODY", "No body.", "body")},
                                "malformed": {
                                    "x-message": MALFORMED,
                                    "x-details": "{parameter}",
                                    "value": failure("BAD_PATH", "Path parameter partId must be 3 digits; got 'x'!"),
                                },
                                "malformedToo": {
                                    "x-message": "Not {parameter}: {value}.",
                                    "value": failure("BAD_PATH", "Not partId: 'x'."),
                                },
                            },
                        ),
                        "500": {"description": "failed", "content": {"application/json": {"schema": failure_schema}}},
                    },
                },
            },
            "/v1/things/{thingId}": {
                "delete": {
                    "operationId": "dropThing",
                    "parameters": [{"$ref": "#/components/parameters/thingId"}],
                    "responses": {"200": {"$ref": "#/components/responses/Done"}},
                }
            },
        },
        "components": {
            "parameters": {
                "thingId": {
                    "name": "thingId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[a-z]+$"},
                }
            },
            "schemas": {
                "a/b~c": {"type": "string", "description": "3 digits", "pattern": "^[0-9]{3}$"},
                "Failure": {
                    "type": "object",
                    "required": ["success", "error"],
                    "properties": {
                        "success": {"const": False},
                        "error": {"anyOf": [{"$ref": "#/components/schemas/Error"}]},
                    },
                },
                "Error": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}},
            },
            "responses": {
                "Done": json_answer(
                    {"type": "object", "required": ["success"]}, {"done": {"value": OK}, "again": {"value": AGAIN}}
                )
            },
            "examples": {
                "Gone": {"$ref": "#/components/examples/GoneForGood"},
                "GoneForGood": {"value": failure("GONE", "Gone.")},
            },
        },
    }


@pytest.fixture
def spec() -> Spec:
    return Spec(document())


def test_an_operation_is_read_with_its_path_method_parameters_and_permissions(spec: Spec) -> None:
    operation = spec.operation("touchPart")
    assert (operation.path_template, operation.method, operation.operation_id) == (
        "/v1/things/{thingId}/parts/{partId}",
        "POST",
        "touchPart",
    )
    assert [p.name for p in operation.parameters] == ["thingId", "partId"]
    assert operation.required_permissions == ("things:write", "things:touch")
    assert spec.operation("readPart").required_permissions == ()
    assert spec.operation("readPart").method == "GET"


def test_an_operation_has_each_status_examples_by_name_with_references_followed(spec: Spec) -> None:
    operation = spec.operation("touchPart")
    assert operation.examples == {
        200: {"done": OK, "again": AGAIN},
        404: {"gone": failure("GONE", "Gone."), "missing": failure("NOT_FOUND", "No part 123 of thing a.", "partId")},
        400: {
            "body": failure("BAD_BODY", "No body.", "body"),
            "malformed": failure("BAD_PATH", "Path parameter partId must be 3 digits; got 'x'!"),
            "malformedToo": failure("BAD_PATH", "Not partId: 'x'."),
        },
        500: {},
    }
    assert operation.documented_statuses == (200, 400, 404, 500)
    assert operation.success_example() == OK


def test_each_error_example_is_an_answer_with_its_template_else_its_own_words(spec: Spec) -> None:
    operation = spec.operation("touchPart")
    assert operation.errors == {
        "gone": ErrorAnswer("gone", 404, "GONE", "Gone.", None),
        "missing": ErrorAnswer("missing", 404, "NOT_FOUND", "No part {partId} of thing {thingId}.", "partId"),
        "body": ErrorAnswer("body", 400, "BAD_BODY", "No body.", "body"),
        "malformed": ErrorAnswer("malformed", 400, "BAD_PATH", MALFORMED, "{parameter}"),
        "malformedToo": ErrorAnswer("malformedToo", 400, "BAD_PATH", "Not {parameter}: {value}.", None),
    }
    assert operation.error_codes == {404: "GONE", 400: "BAD_BODY"}, "a status's code is its first example's"


def test_an_error_answer_renders_its_values_and_its_pattern_matches_what_it_renders() -> None:
    answer = ErrorAnswer("missing", 404, "NOT_FOUND", "No part {partId} of thing {thingId}.", "{partId}")
    assert answer.render(partId="123", thingId="a") == ("No part 123 of thing a.", "123")
    assert ErrorAnswer("gone", 404, "GONE", "Gone.", None).render() == ("Gone.", None)
    pattern = answer.pattern()
    match = pattern.match("No part 1\n2 of thing a+b.")
    assert match is not None and match.groupdict() == {"partId": "1\n2", "thingId": "a+b"}
    for other in ("No part 1 of thing a", "No part 1 of thing a.\n", "No part  of thing a.", "A part 1 of thing a."):
        assert pattern.match(other) is None, other


def test_the_path_is_a_flask_rule_a_pattern_to_fullmatch_and_a_template_to_fill(spec: Spec) -> None:
    operation = spec.operation("touchPart")
    assert operation.flask_rule == "/v1/things/<thingId>/parts/<partId>"
    match = operation.path_pattern.fullmatch("/v1/things/a.b/parts/%20")
    assert match is not None and match.groupdict() == {"thingId": "a.b", "partId": "%20"}
    for other in ("/v1/things/a/b/parts/1", "/v1/things//parts/1", "/v1/things/a/parts/1/", "x/v1/things/a/parts/1"):
        assert operation.path_pattern.fullmatch(other) is None, other
    assert operation.path({"thingId": "a b", "partId": "{x}"}) == "/v1/things/a b/parts/{x}"


def test_a_path_parameter_says_what_is_wrong_with_a_value_in_the_first_template_of_the_spec(spec: Spec) -> None:
    thing, part = spec.operation("touchPart").parameters
    assert thing.problem("abc") is None and part.problem("123") is None
    assert thing.validator.is_valid("abc") and not thing.validator.is_valid("ABC")
    assert part.validator.is_valid("123") and not part.validator.is_valid("1234")
    assert thing.problem("ABC") == "Path parameter thingId must be a valid value; got 'ABC'!"
    assert part.problem("12") == "Path parameter partId must be 3 digits; got '12'!"
    assert part.problem("9" * 64) == f"Path parameter partId must be 3 digits; got '{'9' * 64}'!"
    assert part.problem("9" * 65) == f"Path parameter partId must be 3 digits; got '{'9' * 61}...'!"


def test_without_a_template_of_its_own_a_path_parameter_uses_the_default_words() -> None:
    doc = document()
    examples = doc["paths"]["/v1/things/{thingId}/parts/{partId}"]["post"]["responses"]["400"]["content"]
    for example in examples["application/json"]["examples"].values():
        example.pop("x-message", None)
    _, part = Spec(doc).operation("touchPart").parameters
    assert part.problem("x") == "Path parameter partId must be 3 digits; got 'x'."


def test_a_parameter_whose_schema_is_not_a_plain_string_is_checked_by_the_validator() -> None:
    doc = document()
    doc["components"]["parameters"]["thingId"]["schema"] = {"enum": ["bolt", "nut"]}
    thing, _ = Spec(doc).operation("touchPart").parameters
    assert thing.problem("nut") is None
    assert thing.problem("screw") == "Path parameter thingId must be a valid value; got 'screw'!"


def test_path_parameter_schemas_come_from_the_path_and_the_operation_references_followed(spec: Spec) -> None:
    assert spec.path_parameter_schemas("touchPart") == {
        "thingId": {"type": "string", "pattern": "^[a-z]+$"},
        "partId": {"type": "string", "description": "3 digits", "pattern": "^[0-9]{3}$"},
    }
    assert spec.path_parameter_schemas("readPart") == {"thingId": {"type": "string", "pattern": "^[a-z]+$"}}
    assert spec.path_parameter_schemas("dropThing") == {"thingId": {"type": "string", "pattern": "^[a-z]+$"}}
    assert [p.name for p in spec.operation("dropThing").parameters] == ["thingId"]


def test_references_are_followed_through_chains_and_escaped_names(spec: Spec) -> None:
    assert spec.resolve({"$ref": "#/components/examples/Gone"}) == {"value": failure("GONE", "Gone.")}
    assert spec.resolve({"$ref": "#/components/schemas/a~1b~0c"})["pattern"] == "^[0-9]{3}$"
    assert spec.resolve([1]) == [1] and spec.resolve({"a": 1}) == {"a": 1}
    assert spec.schema("Error")["required"] == ["code"]
    part_id = spec.string_check({"$ref": "#/components/schemas/a~1b~0c"})
    assert part_id is not None and part_id("123") and not part_id("12")
    assert spec.string_check({"$ref": "#/components/schemas/Error"}) is None
    with pytest.raises(ValueError) as remote:
        spec.resolve({"$ref": "other.yaml#/a"})
    assert str(remote.value) == "only local references are supported, got 'other.yaml#/a'"


def test_an_unknown_operation_is_a_key_error_that_names_it(spec: Spec) -> None:
    with pytest.raises(KeyError) as unknown:
        spec.operation("dropPart")
    assert unknown.value.args == ("no operation 'dropPart' in the spec",)


def test_validators_resolve_references_inside_the_spec(spec: Spec) -> None:
    validator = spec.validator({"$ref": "#/components/schemas/Failure"})
    assert validator.is_valid(failure("X", "m"))
    assert not validator.is_valid({**failure("X", "m"), "error": {"message": "no code"}})
    assert not validator.is_valid(OK)
    response = spec.response_validator("touchPart", 404)
    assert response.is_valid(failure("GONE", "Gone.")) and not response.is_valid(OK)
    assert spec.response_validator("touchPart", 200).is_valid(OK)
    assert spec.validator({"prefixItems": [{"$ref": "#/components/schemas/a~1b~0c"}]}).is_valid(["123"])


def test_a_document_built_in_code_is_served_as_yaml_and_json_in_its_own_order(spec: Spec) -> None:
    text = spec.yaml_text
    assert yaml.safe_load(text) == document() and list(yaml.safe_load(text)) == [
        "openapi",
        "info",
        "paths",
        "components",
    ]
    assert "Things — ünïcode" in text and spec.yaml_text is text
    assert json.loads(spec.json_text) == document() and spec.json_text.endswith("}\n")
    assert '\n  "info": {\n    "title": "Things — ünïcode",' in spec.json_text


def test_the_shipped_spec_read_afresh_is_the_file_as_it_is() -> None:
    text = Path(str(SPEC_PATH)).read_text(encoding="utf-8")
    fresh = Spec.load()
    assert fresh.yaml_text == text and fresh.document == yaml.safe_load(text)
    assert fresh.operation().operation_id == DISCARD_OPERATION
    assert fresh.workflow_statuses == tuple(fresh.document["components"]["schemas"]["WorkflowStatus"]["enum"])
    assert list(fresh.provider_states) == [
        "a workflow instance pending approval",
        "a workflow instance not pending approval",
    ]
    assert list(fresh.provider_states["a workflow instance not pending approval"]) == [
        "waiting",
        "completed",
        "stopped",
    ]
    assert fresh.validator(fresh.schema("ObjectId")).is_valid("507f1f77bcf86cd799439011")
    assert not fresh.validator({"$ref": "#/components/schemas/ObjectId"}).is_valid("507f1f77bcf86cd79943901")


def test_a_spec_file_is_read_from_the_path_given(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    for given in (path, str(path)):
        loaded = Spec.load(given)
        assert loaded.document == document() and loaded.yaml_text == path.read_text(encoding="utf-8")


def test_the_spec_file_is_the_one_inside_the_package_else_the_checkout_one(tmp_path: Path) -> None:
    checkout = Path(discard_contract.__file__).resolve().parent.parent / "openapi" / SPEC_FILE
    assert Path(str(spec_path(tmp_path))) == checkout == Path(str(SPEC_PATH))
    (tmp_path / "openapi").mkdir()
    (tmp_path / "openapi" / SPEC_FILE).write_text("openapi: 3.1.0\n", encoding="utf-8")
    assert spec_path(tmp_path) == tmp_path / "openapi" / SPEC_FILE


def test_installed_as_a_wheel_lays_it_out_the_package_reads_the_spec_it_ships(tmp_path: Path) -> None:
    """In a wheel the spec is inside the package (discard_contract/openapi/), with no checkout around it."""
    package = tmp_path / "site" / "discard_contract"
    shutil.copytree(Path(discard_contract.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "openapi").mkdir()
    shipped = yaml.safe_load(Path(str(SPEC_PATH)).read_text(encoding="utf-8"))
    shipped["info"]["title"] = "the copy in the package"
    (package / "openapi" / SPEC_FILE).write_text(yaml.safe_dump(shipped), encoding="utf-8")
    code = (
        "from discard_contract.spec import SPEC_PATH, Spec; print(SPEC_PATH); "
        "print(Spec.load().document['info']['title'])"
    )
    # -P: the working directory (a checkout, with its own discard_contract/) is not put first on the path.
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    done = subprocess.run([sys.executable, "-P", "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(package / "openapi" / SPEC_FILE), "the copy in the package"]
