"""JSON Schema as the spec uses it (discard_contract/schemas.py): patterns read as ECMA-262 reads them, and string
schemas as plain checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from discard_contract.schemas import EcmaValidator, ecma_pattern, string_check

DOCUMENT: dict[str, Any] = {
    "Id": {"type": "string", "pattern": "^[a-f]+$", "minLength": 2, "maxLength": 6},
    "Short": {"$ref": "#/Id", "maxLength": 4},
    "Long": {"$ref": "#/Short", "minLength": 3, "maxLength": 9},
    "Number": {"type": "integer"},
    "Remote": {"$ref": "https://example.com/schemas#/Id"},
    "Broken": "not a schema",
}


def pointer(ref: str) -> Any:
    """`#/Name` in DOCUMENT, as the spec resolves its local references."""
    return DOCUMENT[ref.removeprefix("#/")]


def check(schema: Any) -> Callable[[Any], bool]:
    found = string_check(schema, pointer)
    assert found is not None, f"no plain check for {schema!r}"
    return found


def test_a_final_dollar_is_the_end_of_the_input_as_in_ecma_262() -> None:
    assert ecma_pattern("^[a-z-]+$") == r"^[a-z-]+\Z"
    assert ecma_pattern(r"^costs \$") == r"^costs \$"
    assert ecma_pattern("^[a-z]+") == "^[a-z]+"
    assert EcmaValidator({"pattern": "^[a-z]+$"}).is_valid("acme")
    assert not EcmaValidator({"pattern": "^[a-z]+$"}).is_valid("acme\n")
    assert EcmaValidator({"pattern": "^[a-z]+$"}).is_valid(7), "a pattern says nothing of what is not a string"
    errors = list(EcmaValidator({"pattern": "^[a-z]+$"}).iter_errors("Acme"))
    assert [error.message for error in errors] == ["'Acme' does not match '^[a-z]+$'"]


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("ab", True), ("abcdef", True), ("a", False), ("abcdefa", False), ("abx", False), ("ab\n", False), (None, False)],
)
def test_a_string_schema_is_a_plain_check_that_answers_as_the_validator(value: Any, accepted: bool) -> None:
    schema = DOCUMENT["Id"]
    assert check(schema)(value) is accepted
    assert EcmaValidator(schema).is_valid(value) is accepted
    assert check({"type": "string", "pattern": "b", "minLength": 0})(value) is (isinstance(value, str) and "b" in value)


def test_every_pattern_and_the_tightest_lengths_of_its_references_apply() -> None:
    short, long = check({"$ref": "#/Short"}), check({"$ref": "#/Long"})
    assert [short(v) for v in ("ab", "abcd", "abcde")] == [True, True, False]
    assert [long(v) for v in ("ab", "abc", "abcd", "abcde")] == [False, True, True, False]
    both = check({"$ref": "#/Id", "pattern": "c"})
    assert [both(v) for v in ("abc", "ab", "xc")] == [True, False, False]


def test_without_a_maximum_a_string_may_be_as_long_as_it_likes() -> None:
    assert check({"type": "string", "minLength": 1})("x" * 10_000)
    assert not check({"type": "string", "minLength": 1})("")
    assert check({"type": "string"})("")


def test_annotations_and_extensions_do_not_stop_a_plain_check() -> None:
    annotated = {
        "type": "string",
        "description": "#/not/a/reference",
        "title": "t",
        "examples": ["ab"],
        "example": "ab",
        "default": "ab",
        "deprecated": False,
        "$comment": "c",
        "x-inferred": True,
    }
    assert check(annotated)("anything")


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer"},
        {"pattern": "^a"},
        {"type": "string", "format": "email"},
        {"type": "string", "enum": ["a"]},
        {"type": "string", "maxLength": "4"},
        {"type": "string", "minLength": 1.5},
        {"type": "string", "pattern": 7},
        {"type": ["string", "null"]},
        {"$ref": "#/Number"},
        {"$ref": "#/Number", "type": "string"},
        {"type": "string", "$ref": "#/Number"},
        {"type": "string", "$ref": "#/Broken"},
        {"$ref": "#/Remote"},
        {"type": "string", "$ref": 7},
        "string",
        None,
    ],
)
def test_any_other_schema_is_left_to_the_validator(schema: Any) -> None:
    assert string_check(schema, pointer) is None


def test_references_are_followed_sixteen_deep_and_no_deeper() -> None:
    def chain(depth: int) -> Callable[[str], Any]:
        """#/0 -> #/1 -> ... -> #/depth, which is a string schema."""
        return lambda ref: {"type": "string"} if int(ref[2:]) == depth else {"$ref": f"#/{int(ref[2:]) + 1}"}

    assert string_check({"$ref": "#/1"}, chain(16)) is not None
    assert string_check({"$ref": "#/1"}, chain(17)) is None
    assert string_check({"type": "string", "$ref": "#/1"}, chain(17)) is None
