"""The control API under /__mock: provider states, reset, instances, journal, faults, the spec.

It is off the public spec and off `/v1`; `--no-control` leaves it out, and a
control token, when set, guards all of it but the spec (public anyway, and wanted
by tools that cannot send a token) and the web console's static files (ui.py: a
browser's navigation cannot send a token; the page asks for it and sends it).
"""

from __future__ import annotations

from flask import Flask

from . import api, faults, openapi, ui
from .token import control_token_guard

PREFIX = "/__mock"


def init_app(app: Flask, token: str | None) -> None:
    app.register_blueprint(api.bp, url_prefix=PREFIX)
    app.register_blueprint(faults.bp, url_prefix=PREFIX)
    app.register_blueprint(openapi.bp, url_prefix=PREFIX)
    app.register_blueprint(ui.bp, url_prefix=PREFIX)
    if token:
        # The spec is public anyway; load balancers probe the health check without credentials; the
        # console's static files hold no state (its calls need the token).
        readable = [PREFIX + path for path in (*openapi.PATHS, api.HEALTH_PATH, *ui.PATHS)]
        app.before_request(control_token_guard(token, PREFIX, readable=readable))
