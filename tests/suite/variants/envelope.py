"""envelope broken: answers that are not the envelope."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response

from discard_contract import rules

from .bug import Bug
from .serving import (
    context_of,
    rewrite_json,
)

GATEWAY_401 = b"<html><head><title>401 Authorization Required</title></head><body><h1>401</h1></body></html>"


def trace_id_missing_on_errors(app: Flask) -> None:
    rewrite_json(app, lambda body, status: body.pop("traceId", None) if status >= 400 else None)


def success_flag_on_errors(app: Flask) -> None:
    rewrite_json(app, lambda body, status: body.update(success=True) if status == 404 else None)


def gateway_401_in_html(app: Flask) -> None:
    """An auth gateway in front of the API refuses requests without a known key itself, with an HTML page:
    the path is served (it asks for a key), but those 401s are not the envelope."""
    known = {f"Bearer {key.key}" for key in context_of(app).seed.api_keys}
    wsgi_app = app.wsgi_app

    def gateway(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith("/v1/") and environ.get("HTTP_AUTHORIZATION") not in known:
            page = Response(GATEWAY_401, 401, {"WWW-Authenticate": "Bearer"}, mimetype="text/html")
            return page(environ, start_response)
        return wsgi_app(environ, start_response)

    app.wsgi_app = gateway  # type: ignore[method-assign]


BUGS = {
    "traceId missing on errors": Bug(
        trace_id_missing_on_errors, ("test_every_answer_keeps_the_contract",), rules.ENVELOPE
    ),
    "success true on a 404": Bug(success_flag_on_errors, ("test_an_unknown_instance_is_not_found",), rules.ENVELOPE),
    # The preflight must take the gateway's HTML 401 as proof the path is served, not as a wrong --base-url.
    "an auth gateway's HTML 401s": Bug(
        gateway_401_in_html, ("test_a_missing_malformed_or_unknown_key_is_401",), rules.ENVELOPE
    ),
}
