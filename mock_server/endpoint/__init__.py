"""The public endpoint: its route from the spec, and the checks it runs (checks.py)."""

from __future__ import annotations

from flask import Blueprint, Flask

from .checks import DiscardEndpoint

__all__ = ["DiscardEndpoint", "init_app"]


def init_app(app: Flask, endpoint: DiscardEndpoint) -> None:
    """Routes the spec's path and method to `endpoint`."""
    operation = endpoint.operation
    blueprint = Blueprint("discard_api", __name__)
    blueprint.add_url_rule(
        operation.flask_rule, endpoint=operation.operation_id, view_func=endpoint, methods=[operation.method]
    )
    app.register_blueprint(blueprint)
