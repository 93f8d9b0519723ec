"""A control token keeps the control API of a shared mock to those who hold it."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from mock_server import create_app
from mock_server.cli import _is_loopback

from ..support.helpers import DOCS_INSTANCE, PENDING_STATE, assert_error_envelope, bearer, discard_path
from ..support.served import served

TOKEN = "s3cret-control"
CONTROL_CALLS = [
    ("GET", "/__mock/instances"),
    ("GET", f"/__mock/instances/{DOCS_INSTANCE}"),
    ("POST", "/__mock/reset"),
    ("GET", "/__mock/requests"),
    ("DELETE", "/__mock/requests"),
    ("GET", "/__mock/faults"),
    ("DELETE", "/__mock/faults"),
    ("GET", "/__mock/no-such-thing"),
]


@pytest.fixture
def client() -> FlaskClient:
    return create_app({"CONTROL_TOKEN": TOKEN}).test_client()


@pytest.mark.parametrize(("method", "path"), CONTROL_CALLS)
def test_control_calls_without_the_token_get_a_401_envelope(client: FlaskClient, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Mock-Control-Token": "wrong"}, bearer()):
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == 401, (path, headers)
        assert_error_envelope(response.get_json(), 401)
        assert "Bearer" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("headers", [{"Authorization": f"Bearer {TOKEN}"}, {"X-Mock-Control-Token": TOKEN}])
def test_control_calls_with_the_token_go_through(client: FlaskClient, headers: dict[str, str]) -> None:
    assert client.get("/__mock/instances", headers=headers).status_code == 200
    response = client.post("/__mock/faults", json={"status": 500, "count": 1}, headers=headers)
    assert response.status_code == 201


def test_nothing_changes_on_a_refused_control_call(client: FlaskClient) -> None:
    assert client.post("/__mock/faults", json={"status": 500}).status_code == 401
    setup = {"state": PENDING_STATE}
    assert client.post("/__mock/provider-states", json=setup).status_code == 401
    listed = client.get("/__mock/instances", headers={"X-Mock-Control-Token": TOKEN}).get_json()["instances"]
    assert len(listed) == len(create_app().extensions["discard_mock"].seed.instances)
    assert client.post(discard_path(), headers=bearer()).status_code == 200  # no fault was added


def test_the_public_endpoint_and_cors_preflights_do_not_need_the_token(client: FlaskClient) -> None:
    assert client.post(discard_path(), headers=bearer()).status_code == 200
    preflight = client.options(
        "/__mock/instances", headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 204


def test_without_a_token_the_control_api_is_open() -> None:
    assert create_app().test_client().get("/__mock/instances").status_code == 200


def test_serve_reads_the_token_from_the_environment() -> None:
    with served("--quiet", env={"DISCARD_MOCK_CONTROL_TOKEN": TOKEN}) as mock:
        assert mock.call("GET", "/__mock/instances")[0] == 401
        assert mock.call("GET", "/__mock/instances", headers={"X-Mock-Control-Token": TOKEN})[0] == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("192.168.1.5", False)],
)
def test_the_missing_token_warning_is_for_hosts_beyond_loopback(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback


def test_a_non_ascii_token_matches_when_sent_as_utf8() -> None:
    """A WSGI header value holds the bytes received, one character each: the token's UTF-8 bytes must match."""
    client = create_app({"CONTROL_TOKEN": "tökén-ß"}).test_client()
    as_received = "tökén-ß".encode().decode("latin-1")  # what the server hands over for UTF-8 bytes on the wire
    assert client.get("/__mock/faults", headers={"X-Mock-Control-Token": as_received}).status_code == 200
    assert client.get("/__mock/faults", headers={"Authorization": f"Bearer {as_received}"}).status_code == 200
    # Its Latin-1 bytes are other bytes: not the token.
    assert client.get("/__mock/faults", headers={"X-Mock-Control-Token": "tökén-ß"}).status_code == 401


def test_a_non_ascii_token_over_the_wire_is_sent_percent_encoded() -> None:
    """The server reads ASCII header values only: raw UTF-8 gets a 400 naming the header, never a silent 401."""
    with served("--quiet", "--control-token", "tökén-ß") as mock:
        encoded = quote("tökén-ß", safe="")
        assert mock.call("GET", "/__mock/faults", headers={"X-Mock-Control-Token": encoded})[0] == 200
        assert mock.call("GET", "/__mock/faults", headers={"Authorization": f"Bearer {encoded}"})[0] == 200
        assert mock.call("GET", "/__mock/faults", headers={"X-Mock-Control-Token": "wrong%20token"})[0] == 401
