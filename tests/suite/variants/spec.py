"""spec broken: an undocumented status (a 500) for a malformed ID."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from discard_contract import rules

from .bug import Bug
from .serving import (
    endpoint_of,
)


def server_error_on_malformed_ids(app: Flask) -> None:
    endpoint = endpoint_of(app)
    validate = endpoint.validate

    def crash(environ: dict[str, Any], params: Mapping[str, str]) -> None:
        if len(params["workflowInstanceId"]) != 24:
            raise RuntimeError("unexpected ID length")
        validate(environ, params)

    endpoint.validate = crash  # type: ignore[method-assign]


BUGS = {
    "500 on malformed IDs": Bug(
        server_error_on_malformed_ids, ("test_a_malformed_id_is_refused_with_an_error_envelope",), rules.SPEC
    ),
}
