"""JSON Schema as the spec uses it: patterns read as ECMA-262 reads them, and string schemas as plain checks.

Every request checks three path parameters against their schemas, so the
common case (a string with patterns and lengths) compiles to plain Python that
answers exactly as the jsonschema validator does.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from jsonschema import Draft202012Validator, ValidationError, validators

# Keywords that only annotate: a check ignores them.
ANNOTATIONS = frozenset({"description", "title", "examples", "example", "default", "deprecated", "$comment"})


def ecma_pattern(pattern: str) -> str:
    """A JSON Schema pattern (an ECMA-262 regex) for Python's `re`.

    In ECMA-262 a final `$` ends the input; in Python it also matches before a
    final newline, so `^[a-z-]+$` let `acme-retail\\n` through. `\\Z` is
    the end of the input in Python.
    """
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern[:-1] + "\\Z"
    return pattern


def _ecma_pattern_keyword(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not re.search(ecma_pattern(pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Draft 2020-12 with its `pattern` keyword read as ECMA-262 reads it (see ecma_pattern).
EcmaValidator = cast(
    "type[Draft202012Validator]",
    validators.extend(Draft202012Validator, {"pattern": _ecma_pattern_keyword}),  # type: ignore[no-untyped-call]
)


@dataclass
class _StringRules:
    """What a string schema asks, gathered through its `$ref`s."""

    typed: bool = False
    patterns: list[re.Pattern[str]] = field(default_factory=list)
    min_length: int = 0
    max_length: int | None = None


def string_check(schema: Any, pointer: Callable[[str], Any]) -> Callable[[Any], bool] | None:
    """The schema as a plain-Python check, when it is a string type with patterns and lengths only.

    It answers exactly as the jsonschema validator does (`re.search` for a
    pattern, read as ECMA-262 reads it, `len` for the lengths, local `$ref`s followed with their
    siblings applied too) at a fraction of the cost: every request checks
    three path parameters. None for any other schema: the validator then.
    """
    rules = _StringRules()
    if not _collect(schema, rules, 0, pointer) or not rules.typed:
        return None
    shortest, longest = rules.min_length, rules.max_length if rules.max_length is not None else sys.maxsize
    searches = tuple(pattern.search for pattern in rules.patterns)
    if len(searches) == 1:  # the usual schema, one pattern: no generator for it (three run per request)
        [search] = searches

        def accepts_one(value: Any) -> bool:
            return isinstance(value, str) and shortest <= len(value) <= longest and search(value) is not None

        return accepts_one

    def accepts(value: Any) -> bool:
        if not isinstance(value, str) or not shortest <= len(value) <= longest:
            return False
        return all(search(value) for search in searches)

    return accepts


def _collect(schema: Any, rules: _StringRules, depth: int, pointer: Callable[[str], Any]) -> bool:
    """Adds the schema's rules to `rules`; False when it holds anything else."""
    if not isinstance(schema, dict) or depth > 16:
        return False
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
            if not _collect(pointer(value), rules, depth + 1, pointer):
                return False
        elif key == "type" and value == "string":
            rules.typed = True
        elif key == "pattern" and isinstance(value, str):
            rules.patterns.append(re.compile(ecma_pattern(value)))
        elif key == "minLength" and type(value) is int:
            rules.min_length = max(rules.min_length, value)
        elif key == "maxLength" and type(value) is int:
            rules.max_length = value if rules.max_length is None else min(rules.max_length, value)
        elif key not in ANNOTATIONS and not key.startswith("x-"):
            return False
    return True
