"""The public endpoint: its route from the spec (route.py), and the checks it runs (checks.py)."""

from __future__ import annotations

from flask import Flask

from ..journal import ExchangeLog
from .checks import DiscardEndpoint
from .cors import CorsPolicy
from .route import EndpointRoute

__all__ = ["DiscardEndpoint", "init_app"]


def init_app(app: Flask, endpoint: DiscardEndpoint, exchanges: ExchangeLog, cors: CorsPolicy | None) -> None:
    """Serves the spec's path and method with `endpoint`, in front of Flask.

    Flask gets the rule without a view: it never sees the endpoint's own method there, and
    answers the others (a CORS preflight, a 405 naming the method) as for any route.
    """
    operation = endpoint.operation
    app.add_url_rule(operation.flask_rule, endpoint=operation.operation_id, methods=[operation.method])
    app.wsgi_app = EndpointRoute(app.wsgi_app, endpoint, exchanges, cors)  # type: ignore[method-assign]
