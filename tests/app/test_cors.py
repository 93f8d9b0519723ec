"""CORS, on by default as in Prism: browsers can call the mock from a frontend dev server.

Only real preflights get a 2xx; a plain OPTIONS is a method the endpoint does
not serve (405), and with CORS off preflights are refused the same way.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ..support.helpers import assert_error_envelope, bearer, discard_path, is_json_content_type

ORIGIN = "http://localhost:5173"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def allowed_headers(value: str | None) -> set[str]:
    return {h.strip().lower() for h in (value or "").split(",") if h.strip()}


def test_a_preflight_for_post_with_authorization_is_allowed(client: FlaskClient) -> None:
    response = client.options(discard_path(), headers=PREFLIGHT)
    assert response.status_code == 204 and response.data == b""
    assert response.headers["Access-Control-Allow-Origin"] in ("*", ORIGIN)
    assert "authorization" in allowed_headers(response.headers.get("Access-Control-Allow-Headers")) or (
        response.headers.get("Access-Control-Allow-Headers") == "*"
    )
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_a_preflight_changes_nothing_and_discards_nothing(
    client: FlaskClient, snapshot: Callable[[], list[dict[str, object]]]
) -> None:
    before = snapshot()
    client.options(discard_path(), headers={**PREFLIGHT, **bearer()})
    assert snapshot() == before


def test_actual_responses_carry_the_allow_origin_and_expose_retry_after(client: FlaskClient) -> None:
    for response in (
        client.post(discard_path(), headers={**bearer(), "Origin": ORIGIN}),
        client.post(discard_path(), headers={"Origin": ORIGIN, "Prefer": "code=429"}),
    ):
        assert response.headers["Access-Control-Allow-Origin"] in ("*", ORIGIN)
        assert "retry-after" in allowed_headers(response.headers.get("Access-Control-Expose-Headers"))


@pytest.mark.parametrize("headers", [{}, {"Origin": ORIGIN}, bearer()])
def test_a_plain_options_is_405_with_the_envelope(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.options(discard_path(), headers=headers)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert is_json_content_type(response.headers["Content-Type"])
    assert_error_envelope(response.get_json())


def test_with_cors_off_a_preflight_is_405_without_cors_headers(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(CORS=False).test_client()
    response = client.options(discard_path(), headers=PREFLIGHT)
    assert response.status_code == 405
    assert_error_envelope(response.get_json())
    assert not [name for name, _ in response.headers.items() if name.lower().startswith("access-control-")]


def test_with_cors_off_actual_responses_have_no_cors_headers(app_factory: Callable[..., Flask]) -> None:
    client = app_factory(CORS=False).test_client()
    response = client.post(discard_path(), headers={**bearer(), "Origin": ORIGIN})
    assert response.status_code == 200
    assert not [name for name, _ in response.headers.items() if name.lower().startswith("access-control-")]


def test_the_journal_records_a_preflight_as_the_204_it_was(client: FlaskClient) -> None:
    client.options(discard_path(), headers=PREFLIGHT)
    entries = client.get("/__mock/requests").get_json()["requests"]
    assert [(e["method"], e["status"]) for e in entries] == [("OPTIONS", 204)]
