"""The proxy's own control calls, beside the mock's journal, faults and console: violations, report, record."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from ..envelope import ApiError, json_response
from .judge import Judge

bp = Blueprint("proxy", __name__)
EXTENSION_KEY = "discard_proxy"


def judge() -> Judge:
    found: Judge = current_app.extensions[EXTENSION_KEY]
    return found


@bp.get("/violations")
def violations() -> Response:
    """Every violation the relayed traffic showed (the newest 1000), with counts by rule."""
    return json_response(judge().watch.violations())


@bp.get("/report")
def report() -> Response:
    """The verdicts so far, in the contract suite's report shape."""
    return json_response(judge().watch.report())


@bp.post("/record")
def record() -> Response:
    """Writes the --record-data file now, and answers what it wrote."""
    doc = judge().write_record()
    if doc is None:
        raise ApiError(
            409, "This proxy records no data: start it with --record-data FILE.", details="record-data", code="CONFLICT"
        )
    return json_response(doc)
