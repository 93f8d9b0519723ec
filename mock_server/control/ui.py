"""The web console at /__mock/ui: a static page that drives the control API from a browser.

The page, its stylesheet and its script ship in the package (console/) and
hold no state, so they are served without the control token: a browser's
navigation cannot send a header. Everything the page shows or changes comes
through the control API, which asks for the token (the page asks the user
for it and sends it as X-Mock-Control-Token).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory

CONSOLE_DIR = Path(__file__).resolve().parent / "console"
UI_PATH = "/ui"
ASSETS = ("console.css", "console.js")
PATHS = (UI_PATH, *(f"{UI_PATH}/{name}" for name in ASSETS))  # under the control prefix; readable without the token

bp = Blueprint("console", __name__)


@bp.get(UI_PATH)
def page() -> Response:
    return _static("index.html")


@bp.get(f"{UI_PATH}/<name>")
def asset(name: str) -> Response:
    if name not in ASSETS:
        abort(404)
    return _static(name)


def _static(name: str) -> Response:
    response = send_from_directory(CONSOLE_DIR, name, max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # a newer mock's page replaces an older one at once
    response.headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
