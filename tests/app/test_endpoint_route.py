"""The endpoint's route, in front of Flask, must take exactly the requests Flask would route to it.

A path the route took that Flask would not (a '/' inside an ID, a trailing
'/', an empty segment) would be answered as a discard instead of a 404; one
it left to Flask would reach a rule with no view and be a 500.
"""

from __future__ import annotations

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.test import EnvironBuilder

from mock_server import create_app
from mock_server.context import EXTENSION_KEY
from mock_server.endpoint.route import EndpointRoute

from ..support.helpers import assert_error_envelope, bearer, discard_path

# IDs as a client might send them, decoded: any text, '/' and the characters URL matching trips on included.
SEGMENTS = st.one_of(
    st.text(alphabet=st.sampled_from("ab0/%.-_ \n\u00e9\u2603"), max_size=6),
    st.text(max_size=4),
)


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app()


def flask_routes_to_endpoint(app: Flask, path: str) -> bool:
    """Whether Flask's own URL map, as Werkzeug matches it, sends a POST on `path` to the endpoint's rule."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path, method="POST")
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return False
    return bool(endpoint == app.extensions[EXTENSION_KEY].operation.operation_id)


@settings(max_examples=300, deadline=None)
@given(account=SEGMENTS, campaign=SEGMENTS, instance=SEGMENTS, tail=st.sampled_from(["", "/", "x", "//"]))
def test_the_route_takes_the_paths_flask_routes_to_the_endpoint_and_no_other(
    app: Flask, account: str, campaign: str, instance: str, tail: str
) -> None:
    path = discard_path(account, campaign, instance) + tail
    route = app.extensions[EXTENSION_KEY].operation.path_pattern
    assert (route.fullmatch(path) is not None) == flask_routes_to_endpoint(app, path), path


def test_the_route_sits_in_front_of_flask(app: Flask) -> None:
    assert isinstance(app.wsgi_app, EndpointRoute)


@pytest.mark.parametrize("path", [discard_path() + "/", discard_path().replace("/campaigns/", "//campaigns/")])
def test_a_path_near_the_endpoints_is_flasks_404(app: Flask, path: str) -> None:
    response = app.test_client().post(path, headers=bearer())
    assert response.status_code == 404
    assert_error_envelope(response.get_json())
    assert "No route for POST" in response.get_json()["error"]["message"]


def test_a_lower_case_method_is_routed_as_flask_routes_it() -> None:
    """Werkzeug upper-cases the method it routes by; a server may pass `post` as sent."""
    fresh = create_app()
    environ = EnvironBuilder(path=discard_path(), method="POST", headers=bearer()).get_environ()
    environ["REQUEST_METHOD"] = "post"
    response = fresh.response_class.from_app(fresh, environ)
    assert response.status_code == 200
    assert response.get_json()["data"]["action"] == "discarded"


def test_a_non_ascii_path_reaches_the_endpoint_decoded_as_flask_would(app: Flask) -> None:
    """UTF-8 in PATH_INFO (carried as latin-1, per WSGI): the route answers 400 naming the ID, not a 500."""
    environ = EnvironBuilder(path=discard_path(account_group_id="acmé"), method="POST", headers=bearer()).get_environ()
    response = app.response_class.from_app(app, environ)
    assert response.status_code == 400
    assert_error_envelope(response.get_json())
    assert response.get_json()["error"]["details"] == "accountGroupId"


def test_a_non_ascii_query_is_read_as_its_text(app: Flask) -> None:
    """UTF-8 in QUERY_STRING (carried as latin-1, per WSGI), as a WSGI server hands it over: `?__code=` is
    obeyed and the journal shows the text sent, not its bytes read as latin-1."""
    environ = EnvironBuilder(path=discard_path(), method="POST", headers=bearer()).get_environ()
    environ["QUERY_STRING"] = "__code=409&note=é☃".encode().decode("latin-1")
    response = app.response_class.from_app(app, environ)
    assert response.status_code == 409
    assert_error_envelope(response.get_json())
    newest = app.test_client().get("/__mock/requests?limit=1").get_json()["requests"][0]
    assert newest["query"] == "__code=409&note=é☃", newest
