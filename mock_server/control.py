"""The control API under /__mock: provider states, reset, instances, journal.

It is off the public spec and off `/v1`; `--no-control` leaves it out.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Blueprint, Response, current_app, request

from .context import mock_context
from .domain import Instance
from .envelope import ApiError, json_response
from .provider_states import parse_state_change
from .seed import instance_validator
from .store import DuplicateInstance

bp = Blueprint("control", __name__, url_prefix="/__mock")

MAX_CONTROL_BODY = 64 * 1024


@bp.post("/provider-states")
def provider_states() -> Response:
    ctx = mock_context()
    change = parse_state_change(_json_body(optional=True), request.args.to_dict())
    return json_response(ctx.provider_states.apply(change))


@bp.post("/reset")
def reset() -> Response:
    ctx = mock_context()
    ctx.store.replace_all(ctx.seed.instances)
    return json_response({"reset": True, "instances": len(ctx.seed.instances)})


@bp.get("/instances")
def list_instances() -> Response:
    filters = {
        "accountGroupId": request.args.get("accountGroupId"),
        "campaignId": request.args.get("campaignId"),
        "workflowStatus": request.args.get("workflowStatus"),
        "hasPendingApproval": _flag(request.args.get("hasPendingApproval")),
    }
    wanted = {name: value for name, value in filters.items() if value is not None}
    docs = [i.to_json() for i in mock_context().store.instances()]
    return json_response({"instances": [d for d in docs if all(d[name] == value for name, value in wanted.items())]})


@bp.get("/instances/<workflow_instance_id>")
def get_instance(workflow_instance_id: str) -> Response:
    instance = mock_context().store.get(workflow_instance_id)
    if instance is None:
        raise ApiError(404, f"No workflow instance {workflow_instance_id} in the mock.")
    return json_response(instance.to_json())


@bp.post("/instances")
def create_instance() -> Response:
    """Creates one instance; IDs left out are generated, status defaults to pending."""
    ctx = mock_context()
    body = _json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "Send the instance as a JSON object.", details="body")
    status = body.get("workflowStatus", "pending")
    doc = {
        "workflowInstanceId": secrets.token_hex(12),
        "accountGroupId": ctx.seed.account_groups[0],
        "campaignId": secrets.token_hex(12),
        "leadId": secrets.token_hex(12),
        "workflowStatus": status,
        "latestStep": "awaiting_approval" if status == "pending" else "",
        "workflowStopReason": None,
        "hasPendingApproval": status == "pending",
        **body,
    }
    problems = [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in instance_validator(ctx.spec).iter_errors(doc)
    ]
    if problems:
        raise ApiError(400, "Invalid instance: " + "; ".join(problems), details="body")
    instance = Instance.from_json(doc)
    try:
        ctx.store.add(instance)
    except DuplicateInstance:
        raise ApiError(409, f"Workflow instance {instance.workflow_instance_id} exists already.") from None
    return json_response(instance.to_json(), 201)


@bp.get("/requests")
def list_requests() -> Response:
    limit = request.args.get("limit", "")
    if limit and not (limit.isascii() and limit.isdigit()):
        raise ApiError(400, f"limit must be a whole number; got {limit!r}.", details="limit")
    journal = mock_context().journal
    body: dict[str, Any] = {"capacity": journal.capacity, "requests": journal.entries(int(limit) if limit else None)}
    workers = current_app.config.get("WORKERS", 1)
    if workers > 1:
        # Each worker process keeps its own journal; the store is what they share.
        body["scope"] = f"worker process {os.getpid()}, one of {workers}: each keeps its own journal"
    return json_response(body)


@bp.delete("/requests")
def clear_requests() -> Response:
    mock_context().journal.clear()
    return json_response({"cleared": True})


def _json_body(optional: bool = False) -> Any:
    if not request.content_length and "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        if optional:
            return None
        raise ApiError(400, "Send a JSON body.", details="body")
    try:
        data = request.stream.read(MAX_CONTROL_BODY + 1)
    except Exception:  # a body the server cannot decode (bad chunk sizes)
        raise ApiError(400, "The body could not be read: malformed chunked encoding.", details="body") from None
    if len(data) > MAX_CONTROL_BODY:
        raise ApiError(413, f"Control API bodies are limited to {MAX_CONTROL_BODY} bytes.", details="body")
    try:
        return request.json_module.loads(data) if data else None
    except ValueError as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}.", details="body") from None
    except RecursionError:
        raise ApiError(400, "The body is not valid JSON: it is nested too deeply.", details="body") from None


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ApiError(400, f"hasPendingApproval must be true or false; got {value!r}.", details="hasPendingApproval")
