"""The console's files at /__mock/ui: part of the control API, and served from the package.

The page and its assets hold no state, so a token-protected mock serves
them without the token (a browser's navigation cannot send one); what the
page then asks of the control API needs it. `--no-control` removes them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

TOKEN = "s3cret-console"


def test_the_page_and_its_assets_are_served(client: FlaskClient) -> None:
    page = client.get("/__mock/ui")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert '<script src="/__mock/ui/console.js"' in html and 'href="/__mock/ui/console.css"' in html
    assert "http://" not in html and "https://" not in html, "nothing comes from another site: it works offline"
    for name, mimetype in (("console.js", "text/javascript"), ("console.css", "text/css")):
        asset = client.get(f"/__mock/ui/{name}")
        assert asset.status_code == 200 and asset.mimetype == mimetype, name
        assert b"https://" not in asset.data
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/__mock/ui/index.htm", "/__mock/ui/..%2fapi.py", "/__mock/ui/console"])
def test_nothing_else_is_served_from_there(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_no_control_removes_the_console(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(CONTROL_API=False).test_client()
    assert client.get("/__mock/ui").status_code == 404
    assert client.get("/__mock/ui/console.js").status_code == 404


def test_with_a_token_the_page_loads_but_its_calls_need_the_token(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(CONTROL_TOKEN=TOKEN).test_client()
    assert client.get("/__mock/ui").status_code == 200
    assert client.get("/__mock/ui/console.js").status_code == 200
    assert client.get("/__mock/instances").status_code == 401
    assert client.get("/__mock/instances", headers={"X-Mock-Control-Token": TOKEN}).status_code == 200
    assert client.post("/__mock/ui").status_code == 401, "only reading the static page goes without the token"
    assert client.get("/__mock/uix").status_code == 401, "the exemption is the console's path, not its prefix"
