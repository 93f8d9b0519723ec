"""The public endpoint: POST …/workflow-instances/{id}/discard.

Checks run in CONTRACT.md's order, so a request that breaks several rules
gets the answer for the first: the rate limit and injected faults (traffic.py,
before this view), then authentication (401), permission (403), request
validation (400), account-group access (403), scope (404), state (409).
"""

from __future__ import annotations

from flask import Blueprint, Request, Response, request

from sonarly_openapi.spec import Operation

from .context import mock_context
from .domain import NotFound, NotPendingApproval, discard_result
from .envelope import ApiError, json_response, success
from .prefer import read_preference, select_example

_NO_QUERY: dict[str, str] = {}


def discard_blueprint(operation: Operation) -> Blueprint:
    """The route comes from the spec's path template and method."""
    blueprint = Blueprint("discard_api", __name__)
    blueprint.add_url_rule(
        operation.flask_rule, endpoint=operation.operation_id, view_func=discard, methods=[operation.method]
    )
    return blueprint


def discard(accountGroupId: str, campaignId: str, workflowInstanceId: str) -> Response:
    ctx = mock_context()
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    headers = req.headers
    # Without a query string there is nothing to parse into `args`.
    preference = read_preference(headers.get("Prefer"), req.args if req.query_string else _NO_QUERY)
    if preference is not None:
        status, body, answer_headers = select_example(ctx.operation, preference)
        return json_response(body, status, answer_headers)

    key = ctx.keyring.authenticate(headers.get("Authorization"))
    ctx.keyring.require_permissions(key, ctx.operation.required_permissions)
    _validate(ctx.operation, req)
    ctx.keyring.require_account_group(key, accountGroupId)
    try:
        instance = ctx.store.discard(accountGroupId, campaignId, workflowInstanceId)
    except NotFound:
        raise ApiError(
            404,
            f"No workflow instance {workflowInstanceId} in campaign {campaignId} of account group {accountGroupId}.",
            details="workflowInstanceId",
        ) from None
    except NotPendingApproval as refused:
        status = refused.instance.workflow_status
        raise ApiError(
            409,
            f"Workflow instance {workflowInstanceId} is not pending approval (status: {status}); "
            "nothing was discarded. Check its state before retrying.",
            details=status,
        ) from None
    return success(discard_result(instance))


def _validate(operation: Operation, req: Request) -> None:
    problems = [
        (param.name, problem)
        for param in operation.parameters
        if (problem := param.problem(req.view_args.get(param.name, ""))) is not None
    ]
    if problems:
        raise ApiError(400, " ".join(message for _, message in problems), details=", ".join(n for n, _ in problems))
    if _has_body(req):
        raise ApiError(400, "This endpoint takes no request body; send the request without one.", details="body")


def _has_body(req: Request) -> bool:
    """True for any body at all, without reading more than one byte of it."""
    if req.content_length:
        return True
    if "chunked" in req.headers.get("Transfer-Encoding", "").lower():
        if not req.environ.get("wsgi.input_terminated"):
            return True  # the server left it undecoded, so the stream reads empty: count it as a body
        try:
            return bool(req.stream.read(1))
        except Exception:  # a body the server cannot decode (bad chunk sizes) is still a body
            return True
    return False
