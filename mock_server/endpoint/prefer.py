"""Prism-compatible response selection: any documented answer, on demand.

`Prefer: code=404, example=instanceNotFound` (or `?__code=404&__example=…`)
returns the spec's example for that status (with this request's traceId), touching no
state, so a frontend can render every error state without arranging it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from discard_contract.headers import RETRY_AFTER, retry_after_value
from discard_contract.spec import Operation

from ..envelope import ApiError
from ..faults import DEFAULT_RETRY_AFTER_SECONDS


@dataclass(frozen=True)
class Preference:
    code: str | None = None
    example: str | None = None


def read_preference(prefer_header: str | None, query: Mapping[str, str]) -> Preference | None:
    """The caller's choice, from the query string (first) or the Prefer header."""
    values: dict[str, str] = {}
    for part in (prefer_header or "").replace(";", ",").split(","):
        name, _, value = part.partition("=")
        if value.strip():
            values[name.strip().lower()] = value.strip().strip('"')
    for name in ("code", "example"):
        if f"__{name}" in query:
            values[name] = query[f"__{name}"]
    if "code" not in values and "example" not in values:
        return None
    return Preference(code=values.get("code"), example=values.get("example"))


def select_example(operation: Operation, preference: Preference) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, body, headers) of the chosen example; 400 naming the choices otherwise.

    The body is the example as the spec has it: the answer gets the request's own traceId in place of its.
    """
    documented = operation.documented_statuses
    if preference.code is not None:
        if not (preference.code.isascii() and preference.code.isdigit()) or int(preference.code) not in documented:
            raise ApiError(
                400,
                f"Prefer code={preference.code} is not a documented status of this operation; "
                f"choose one of {', '.join(map(str, documented))}.",
                details="Prefer",
            )
        statuses = [int(preference.code)]
    else:
        # Like Prism, a bare example name is looked up among the 200 examples
        # first; unlike Prism, the other statuses' examples are found too.
        statuses = sorted(documented, key=lambda s: s != 200)
    for status in statuses:
        examples = operation.examples[status]
        if preference.example is None:
            body = next(iter(examples.values()))
            return _answer(status, body)
        if preference.example in examples:
            return _answer(status, examples[preference.example])
    names = [name for status in statuses for name in operation.examples[status]]
    raise ApiError(
        400,
        f"No example {preference.example!r} for "
        f"{'status ' + preference.code if preference.code else 'this operation'}; "
        f"choose one of {', '.join(names)}.",
        details="Prefer",
    )


def _answer(status: int, example: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers = {RETRY_AFTER: retry_after_value(DEFAULT_RETRY_AFTER_SECONDS)} if status == 429 else {}
    return status, example, headers
