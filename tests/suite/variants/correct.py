"""Variants that keep the contract but decide CONTRACT.md's inferred points the other way,
and a target no run can judge."""

from __future__ import annotations

import gzip
import io
import json
import time
from dataclasses import replace
from typing import Any

from flask import Flask, Response

from mock_server.endpoint.keys import ApiKey, Keyring
from mock_server.envelope import ApiError

from .rate_limit import throttling
from .serving import (
    context_of,
    endpoint_of,
    rewrite_json,
)


def other_inferred_choices(app: Flask) -> None:
    """No ID formats checked (404 instead of 400), 404 for an inaccessible account group,
    bodies ignored, other error codes (VALIDATION_ERROR kept for 400), no error details."""
    ctx = context_of(app)
    endpoint = endpoint_of(app)
    endpoint.operation = replace(endpoint.operation, parameters=())

    class NotFoundForOtherGroups(Keyring):
        @staticmethod
        def require_account_group(key: ApiKey, account_group_id: str) -> None:
            if account_group_id not in key.account_groups:
                raise ApiError(404, f"No account group {account_group_id}.")

    endpoint.keyring = NotFoundForOtherGroups(ctx.seed.api_keys)

    def ignore_body(environ: dict[str, Any], start_response: Any, wsgi_app: Any = app.wsgi_app) -> Any:
        if environ.get("PATH_INFO", "").startswith("/v1/"):
            environ["CONTENT_LENGTH"] = "0"
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["wsgi.input"] = io.BytesIO(b"")
        return wsgi_app(environ, start_response)

    app.wsgi_app = ignore_body  # type: ignore[method-assign]

    def recode(body: dict[str, Any], status: int) -> None:
        if status >= 400:
            body["error"].pop("details", None)
            if status != 400:
                body["error"]["code"] = f"E{status}"

    rewrite_json(app, recode)


def approved_action(app: Flask) -> None:
    """Answers a discard with action 'approved', as the docs' example does: only `inferred` checks object."""
    rewrite_json(app, lambda body, status: body["data"].update(action="approved") if status == 200 else None)


throttled = throttling(retry_after=("0", None))  # with Retry-After and without, in turn


def every_request_unauthorized(app: Flask) -> None:
    """Rejects every key: a run that only ever sees 401s must not pass."""

    class NoKeyring(Keyring):
        def authenticate(self, authorization: str | None) -> ApiKey:
            raise ApiError(401, "The API key is unknown or has been revoked.")

    endpoint_of(app).keyring = NoKeyring(())


WAN_LATENCY_SECONDS = 0.015


def behind_a_wan_with_gzip_and_connection_close(app: Flask) -> None:
    """The shipped mock 15 ms away, its answers gzip-compressed, every connection closed after one
    answer (a proxy that keeps no connection alive): nothing of this is the contract's business."""
    wsgi_app = app.wsgi_app

    def wan(environ: dict[str, Any], start_response: Any) -> Any:
        time.sleep(WAN_LATENCY_SECONDS)
        response = Response.from_app(wsgi_app, environ)
        body = response.get_data()
        if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            response.set_data(gzip.compress(body))
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Connection"] = "close"
        return response(environ, start_response)

    app.wsgi_app = wan  # type: ignore[method-assign]


def provider_states_that_ignore_where(app: Flask) -> None:
    """Provider states that take no params.campaignId or params.accountGroupId (CONTRACT.md: a target
    may ignore them): every instance comes in a campaign of its own."""
    wsgi_app = app.wsgi_app

    def ignore(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/__mock/provider-states" and environ.get("REQUEST_METHOD") == "POST":
            body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
            params = {k: v for k, v in (body.get("params") or {}).items() if k not in ("campaignId", "accountGroupId")}
            data = json.dumps({**body, "params": params}).encode()
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(data), str(len(data))
        return wsgi_app(environ, start_response)

    app.wsgi_app = ignore  # type: ignore[method-assign]
