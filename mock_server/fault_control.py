"""Faults through the control API: /__mock/faults.

POST adds one, GET lists them, DELETE clears them all, DELETE /<id> removes
one. With a shared store the faults live in its file, so every worker
process applies the same ones.
"""

from __future__ import annotations

from flask import Blueprint, Response

from .context import mock_context
from .control import _json_body
from .envelope import ApiError, json_response
from .fault_registry import FaultRegistry
from .faults import FaultError, parse_fault

bp = Blueprint("faults", __name__, url_prefix="/__mock")


@bp.get("/faults")
def list_faults() -> Response:
    return json_response({"faults": [fault.to_json() for fault in _registry().faults()]})


@bp.post("/faults")
def add_fault() -> Response:
    ctx = mock_context()
    try:
        fault = parse_fault(_json_body(), error_statuses(ctx.operation.documented_statuses))
    except FaultError as exc:
        raise ApiError(400, str(exc), details="body") from None
    _registry().add(fault)
    return json_response(fault.to_json(), 201)


@bp.delete("/faults")
def clear_faults() -> Response:
    return json_response({"cleared": _registry().clear()})


@bp.delete("/faults/<fault_id>")
def remove_fault(fault_id: str) -> Response:
    if not _registry().remove(fault_id):
        raise ApiError(404, f"No fault {fault_id} in the mock.", details="faultId")
    return json_response({"removed": fault_id})


def error_statuses(documented: tuple[int, ...]) -> tuple[int, ...]:
    """The statuses a fault may answer with: the endpoint's documented errors."""
    return tuple(status for status in documented if status >= 400)


def _registry() -> FaultRegistry:
    faults = mock_context().faults
    if faults is None:  # create_app always sets one when this blueprint is registered
        raise ApiError(500, "The mock has no fault registry.")
    return faults
