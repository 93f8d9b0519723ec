"""The OpenAPI document, read once and compiled into what the mock serves and the suite checks.

Routes, path-parameter validation, permissions, documented statuses and the
example bodies all come from here, so neither the mock nor the suite can drift
from the spec.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .schemas import EcmaValidator, string_check

SPEC_FILE = "discard.openapi.yaml"
# libyaml's parser when PyYAML was built with it (the wheels are): the same documents, read ten times
# faster, and every mock and every suite run reads the spec as it starts.
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def spec_path(package: Traversable) -> Traversable:
    """The spec file of this package, found at `package`: inside it (`openapi/`) as the distribution
    ships it, and the checkout's top-level `openapi/` otherwise (an editable install, or the checkout
    on sys.path)."""
    packaged = package / "openapi" / SPEC_FILE
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "openapi" / SPEC_FILE


SPEC_PATH = spec_path(files(__package__))
SPEC_URI = "urn:sonarly:discard-openapi"
DISCARD_OPERATION = "discardWorkflowInstance"


@dataclass(frozen=True)
class PathParameter:
    """A path parameter with its compiled schema."""

    name: str
    validator: Draft202012Validator
    expectation: str  # the schema's description: what a valid value looks like
    accepts: Callable[[str], bool]  # validator.is_valid, or the same answer in plain Python (see string_check)
    # The spec's message for a malformed parameter (the 400 example whose x-message names {parameter}).
    template: str = "Path parameter {parameter} must be {expectation}; got {value}."

    def problem(self, value: str) -> str | None:
        """Why `value` is not acceptable, for a person; None when it is."""
        if self.accepts(value):
            return None
        shown = value if len(value) <= 64 else value[:61] + "..."
        return self.template.format(parameter=self.name, expectation=self.expectation, value=repr(shown))


@dataclass(frozen=True)
class ErrorAnswer:
    """One of the spec's error examples, as an answer the mock gives.

    Where the example's message names values of the request, its `x-message`
    (and `x-details`) template says where they go (`{workflowInstanceId}`);
    otherwise the example's own message is the answer's, word for word.
    """

    name: str
    status: int
    code: str
    message: str  # a str.format template; a static message has no fields
    details: str | None  # the same, for error.details

    def render(self, **values: Any) -> tuple[str, str | None]:
        """(message, details) with `values` put in place."""
        return self.message.format(**values), None if self.details is None else self.details.format(**values)

    def pattern(self) -> re.Pattern[str]:
        """A regex that every message rendered from the template matches (the example's own must, too)."""
        return re.compile(_template_regex(self.message, ".+?") + r"\Z", re.DOTALL)


def _template_regex(template: str, field: str) -> str:
    """`template`'s text escaped, each {name} in it a group of that name matching `field`."""
    parts = re.split(r"\{(\w+)\}", template)
    return "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>{field})" for i, part in enumerate(parts))


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, as the mock serves it."""

    path_template: str
    method: str
    operation_id: str
    parameters: tuple[PathParameter, ...]
    required_permissions: tuple[str, ...]
    examples: dict[int, dict[str, Any]]  # status -> example name -> body
    errors: dict[str, ErrorAnswer] = field(default_factory=dict)  # example name -> answer, for statuses >= 400

    @property
    def flask_rule(self) -> str:
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path_template)

    @cached_property
    def path_pattern(self) -> re.Pattern[str]:
        """The paths `flask_rule` matches (each parameter one or more characters other than '/'), to fullmatch."""
        return re.compile(_template_regex(self.path_template, "[^/]+"))

    def path(self, parameters: Mapping[str, str]) -> str:
        """The path with these parameters in place (as given: no encoding)."""
        return self.path_template.format_map(parameters)

    @property
    def documented_statuses(self) -> tuple[int, ...]:
        return tuple(sorted(self.examples))

    @property
    def error_codes(self) -> dict[int, str]:
        """Each documented error status's code, as its first example gives it."""
        codes: dict[int, str] = {}
        for answer in self.errors.values():
            codes.setdefault(answer.status, answer.code)
        return codes

    def success_example(self) -> dict[str, Any]:
        """The first example of the 200 answer: what a discard does, as the spec shows it."""
        return next(iter(self.examples[200].values()))


class Spec:
    """The parsed document, and validators over its schemas."""

    def __init__(self, document: dict[str, Any], text: str | None = None) -> None:
        self.document = document
        self._text = text
        self._registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(document, default_specification=DRAFT202012)
        )

    @classmethod
    def load(cls, path: str | Path | None = None) -> Spec:
        source = Path(path) if path else SPEC_PATH
        text = source.read_text(encoding="utf-8")
        return cls(yaml.load(text, Loader=YAML_LOADER), text)

    @property
    def yaml_text(self) -> str:
        """The document as YAML: the very file it was read from (comments, order and quoting kept),
        so what the mock serves is what it runs on; a document built in code is dumped."""
        if self._text is None:
            self._text = yaml.safe_dump(self.document, sort_keys=False, allow_unicode=True)
        return self._text

    @cached_property
    def json_text(self) -> str:
        """The same document as JSON, for tools that take only JSON (`/__mock/openapi.json`)."""
        return json.dumps(self.document, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    @cache
    def shipped(cls) -> Spec:
        """The spec in the package, parsed once per process (parsing is most of an app's start-up)."""
        return cls.load()

    def resolve(self, node: Any) -> Any:
        """Follows a local `$ref` (of this object, not of its children)."""
        while isinstance(node, dict) and "$ref" in node:
            node = self._pointer(node["$ref"])
        return node

    def schema(self, name: str) -> dict[str, Any]:
        schema: dict[str, Any] = self.document["components"]["schemas"][name]
        return schema

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        """A compiled validator whose `$ref`s resolve inside the spec (patterns read as ECMA-262's)."""
        return EcmaValidator(_rebased(schema), registry=self._registry)

    def response_validator(self, operation_id: str, status: int) -> Draft202012Validator:
        path, method = self._locate(operation_id)
        response = self.resolve(self.document["paths"][path][method]["responses"][str(status)])
        return self.validator(response["content"]["application/json"]["schema"])

    @cached_property
    def provider_states(self) -> dict[str, dict[str, dict[str, Any]]]:
        """State name -> workflowStatus -> the instance's other leadStatus fields (`x-provider-states`)."""
        path, method = self._locate(DISCARD_OPERATION)
        operation = self.document["paths"][path][method]
        states: dict[str, dict[str, dict[str, Any]]] = operation["x-provider-states"]["states"]
        return states

    @cached_property
    def workflow_statuses(self) -> tuple[str, ...]:
        return tuple(self.schema("WorkflowStatus")["enum"])

    def path_parameter_schemas(self, operation_id: str = DISCARD_OPERATION) -> dict[str, dict[str, Any]]:
        """Each path parameter's schema, its top-level `$ref` followed (for schemas built elsewhere)."""
        path, method = self._locate(operation_id)
        item = self.document["paths"][path]
        params = [self.resolve(p) for p in item.get("parameters", []) + item[method].get("parameters", [])]
        return {p["name"]: self.resolve(p["schema"]) for p in params if p["in"] == "path"}

    def operation(self, operation_id: str = DISCARD_OPERATION) -> Operation:
        path, method = self._locate(operation_id)
        path_item = self.document["paths"][path]
        op = path_item[method]
        params = [self.resolve(p) for p in path_item.get("parameters", []) + op.get("parameters", [])]
        named = {
            int(status): {
                name: self.resolve(example)
                for name, example in self.resolve(response)["content"]["application/json"].get("examples", {}).items()
            }
            for status, response in op["responses"].items()
        }
        malformed = [
            example["x-message"]
            for example in named.get(400, {}).values()
            if "{parameter}" in example.get("x-message", "")
        ]
        return Operation(
            path_template=path,
            method=method.upper(),
            operation_id=operation_id,
            parameters=tuple(self._path_parameter(p, *malformed[:1]) for p in params if p["in"] == "path"),
            required_permissions=tuple(op.get("x-required-permissions", ())),
            examples={
                status: {name: example["value"] for name, example in by_name.items()}
                for status, by_name in named.items()
            },
            errors={
                name: ErrorAnswer(
                    name=name,
                    status=status,
                    code=example["value"]["error"]["code"],
                    message=example.get("x-message", example["value"]["error"]["message"]),
                    details=example.get("x-details", example["value"]["error"].get("details")),
                )
                for status, by_name in named.items()
                if status >= 400
                for name, example in by_name.items()
            },
        )

    def _path_parameter(self, parameter: dict[str, Any], *template: str) -> PathParameter:
        validator = self.validator(parameter["schema"])
        return PathParameter(
            parameter["name"],
            validator,
            self.resolve(parameter["schema"]).get("description", "a valid value"),
            self.string_check(parameter["schema"]) or validator.is_valid,
            *template,
        )

    def string_check(self, schema: Any) -> Callable[[Any], bool] | None:
        """The schema as a plain-Python check, or None (see `schemas.string_check`)."""
        return string_check(schema, self._pointer)

    def _locate(self, operation_id: str) -> tuple[str, str]:
        for path, item in self.document["paths"].items():
            for method, op in item.items():
                if isinstance(op, dict) and op.get("operationId") == operation_id:
                    return path, method
        raise KeyError(f"no operation {operation_id!r} in the spec")

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, got {ref!r}")
        node: Any = self.document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node


def _rebased(schema: Any) -> Any:
    """Points the local `$ref`s of a schema fragment into the spec."""
    if isinstance(schema, dict):
        return {
            key: (SPEC_URI + value if key == "$ref" and value.startswith("#") else _rebased(value))
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_rebased(item) for item in schema]
    return schema
