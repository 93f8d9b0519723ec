"""The control API's own routes: provider states, reset, instances, journal."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Blueprint, Response, current_app, request

from ..context import mock_context
from ..domain import Instance
from ..envelope import ApiError, json_response
from ..har import har
from ..request_parts import json_body
from ..storage import DuplicateInstance

bp = Blueprint("control", __name__)


@bp.post("/provider-states")
def provider_states() -> Response:
    ctx = mock_context()
    change = ctx.provider_states.parse(json_body(request, optional=True), request.args.to_dict())
    return json_response(ctx.provider_states.apply(change))


@bp.post("/reset")
def reset() -> Response:
    ctx = mock_context()
    ctx.instances.replace_all(ctx.seed.instances)
    return json_response({"reset": True, "instances": len(ctx.seed.instances)})


# The filters GET /__mock/instances takes: query parameter -> Instance field.
INSTANCE_FILTERS = {
    "accountGroupId": "account_group_id",
    "campaignId": "campaign_id",
    "workflowStatus": "workflow_status",
    "hasPendingApproval": "has_pending_approval",
}


@bp.get("/instances")
def list_instances() -> Response:
    """The instances that match every filter given, in store order; `limit` keeps the first N, `total` counts all."""
    wanted = {
        field: _flag(value) if name == "hasPendingApproval" else value
        for name, field in INSTANCE_FILTERS.items()
        if (value := request.args.get(name)) is not None
    }
    limit = _limit()
    matches = [i for i in mock_context().instances.instances() if all(getattr(i, f) == v for f, v in wanted.items())]
    kept = matches if limit is None else matches[:limit]
    return json_response({"instances": [i.to_json() for i in kept], "total": len(matches)})


@bp.get("/instances/<workflow_instance_id>")
def get_instance(workflow_instance_id: str) -> Response:
    instance = mock_context().instances.get(workflow_instance_id)
    if instance is None:
        raise ApiError(404, f"No workflow instance {workflow_instance_id} in the mock.")
    return json_response(instance.to_json())


@bp.post("/instances")
def create_instance() -> Response:
    """Creates one instance; IDs left out are generated, the status and its fields default as the spec's states say."""
    ctx = mock_context()
    body = json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Send the instance as a JSON object.", details="body")
    doc = {
        "workflowInstanceId": secrets.token_hex(12),
        "accountGroupId": ctx.seed.account_groups[0],
        "campaignId": secrets.token_hex(12),
        "leadId": secrets.token_hex(12),
        **ctx.provider_states.defaults(body.get("workflowStatus")),
        **body,
    }
    problems = [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in ctx.instance_validator.iter_errors(doc)
    ]
    problems += [
        f"{name}: holds a lone surrogate ({value.encode('utf-8', 'backslashreplace').decode('ascii')[:40]}…), "
        "which is not Unicode text"
        for name, value in doc.items()
        if isinstance(value, str) and not _is_unicode(value)
    ]
    if problems:
        raise ApiError(400, "Invalid instance: " + "; ".join(problems), details="body")
    instance = Instance.from_json(doc)
    try:
        ctx.instances.add(instance)
    except DuplicateInstance:
        raise ApiError(409, f"Workflow instance {instance.workflow_instance_id} exists already.") from None
    return json_response(instance.to_json(), 201)


HEALTH_PATH = "/health"


@bp.get(HEALTH_PATH)
def health() -> Response:
    """200 while the store answers, else 503 with why: what a load balancer's health check asks."""
    storage = mock_context().storage
    problem = storage.health()
    store = {**storage.about, "ok": problem is None, "error": problem}
    return json_response({"ok": problem is None, "store": store}, 200 if problem is None else 503)


@bp.get("/requests")
def list_requests() -> Response:
    """The journal, newest last; `format=har` gives it as a HAR 1.2 log."""
    journal = mock_context().journal
    form = request.args.get("format", "json")
    if form not in ("json", "har"):
        raise ApiError(400, f"format must be json or har; got {form!r}.", details="format")
    if form == "har":
        return json_response(har(journal.entries(_limit()), request.host_url.rstrip("/")))
    body: dict[str, Any] = {"capacity": journal.capacity, "requests": journal.entries(_limit())}
    workers = current_app.config.get("WORKERS", 1)
    if workers > 1:
        # Each worker process keeps its own journal; the store is what they share.
        body["scope"] = f"worker process {os.getpid()}, one of {workers}: each keeps its own journal"
    return json_response(body)


@bp.delete("/requests")
def clear_requests() -> Response:
    mock_context().journal.clear()
    return json_response({"cleared": True})


def _is_unicode(text: str) -> bool:
    """False for JSON's lone surrogates (`"\\ud800"`): the memory store took them, SQLite's UTF-8 could not."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _limit() -> int | None:
    """The `limit` query parameter: a whole number, or None when absent."""
    limit = request.args.get("limit", "")
    if limit and not (limit.isascii() and limit.isdigit()):
        raise ApiError(400, f"limit must be a whole number; got {limit!r}.", details="limit")
    return int(limit) if limit else None


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ApiError(400, f"hasPendingApproval must be true or false; got {value!r}.", details="hasPendingApproval")
