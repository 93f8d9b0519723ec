"""Faults through the control API: /__mock/faults.

POST adds one, GET lists them, DELETE clears them all, DELETE /<id> removes
one. With a shared store the faults live in its file, so every worker
process applies the same ones. A fault that breaks connections on a server
that cannot is a 409 naming the option to restart with.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from ..context import mock_context
from ..envelope import ApiError, json_response
from ..faults import FaultError, error_statuses
from ..request_parts import json_body
from ..wire_faults import ServerCannotBreak, usable_fault

bp = Blueprint("faults", __name__)


@bp.get("/faults")
def list_faults() -> Response:
    return json_response({"faults": [fault.to_json() for fault in mock_context().faults.faults()]})


@bp.post("/faults")
def add_fault() -> Response:
    ctx = mock_context()
    documented = error_statuses(ctx.operation.documented_statuses)
    try:
        fault = usable_fault(json_body(request), documented, current_app.config["BREAKS_CONNECTIONS"])
    except ServerCannotBreak as exc:  # a fine fault, for another server mode
        raise ApiError(409, str(exc), details="kind") from None
    except FaultError as exc:
        raise ApiError(400, str(exc), details="body") from None
    mock_context().faults.add(fault)
    return json_response(fault.to_json(), 201)


@bp.delete("/faults")
def clear_faults() -> Response:
    return json_response({"cleared": mock_context().faults.clear()})


@bp.delete("/faults/<fault_id>")
def remove_fault(fault_id: str) -> Response:
    if not mock_context().faults.remove(fault_id):
        raise ApiError(404, f"No fault {fault_id} in the mock.", details="faultId")
    return json_response({"removed": fault_id})
