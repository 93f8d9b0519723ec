"""CORS by flask-cors's rules, worked out once per kind of request rather than on every answer.

flask-cors decides an answer's CORS headers from the request's method and
four of its headers (Origin and the three Access-Control-Request-* ones),
and recomputes that decision, with its logging calls, for every response:
a profile under load put it at a seventh of the mock's CPU per request. The
decision is the same for every request that agrees on those five values,
so it is remembered (a frontend sends a handful of distinct ones).

flask-cors is still installed as before and still runs after these hooks:
it adds nothing to an answer that already carries Access-Control-Allow-Origin
(its own first check), and it handles, exactly as it did, whatever the fast
path leaves alone. The headers come from flask-cors's own `get_cors_headers`
with the options flask-cors resolves for the app, so they cannot differ.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import Flask, Response, request
from flask_cors import CORS
from flask_cors.core import (
    ACL_ORIGIN,
    ACL_REQUEST_HEADER_PRIVATE_NETWORK,
    ACL_REQUEST_HEADERS,
    ACL_REQUEST_METHOD,
    get_cors_headers,
    get_cors_options,
)
from werkzeug.datastructures import Headers

REMEMBERED_REQUEST_KINDS = 1024
_ASKED_HEADERS = ("Origin", ACL_REQUEST_METHOD, ACL_REQUEST_HEADERS, ACL_REQUEST_HEADER_PRIVATE_NETWORK)
_ASKED = tuple("HTTP_" + name.upper().replace("-", "_") for name in _ASKED_HEADERS)  # their WSGI environ keys


def init_app(app: Flask) -> None:
    """CORS for every origin (as Prism), Retry-After readable by scripts; a preflight is a 204 with no body.

    Registered after the journal, so the journal and the log record the 204.
    """
    enable_cors(app, origins="*", expose_headers=["Retry-After"], max_age=600)

    @app.after_request
    def preflight_has_no_content(response: Response) -> Response:
        """A preflight gets 204 and no body, as Prism answers, not Flask's empty text/html 200."""
        if request.method == "OPTIONS" and response.status_code == 200 and request.url_rule is not None:
            response.status_code = 204
            response.set_data(b"")
            del response.headers["Content-Type"]
        return response


def enable_cors(app: Flask, **options: Any) -> None:
    """CORS(app, **options), with the per-answer work remembered."""
    resolved = get_cors_options(app, options)

    @lru_cache(maxsize=REMEMBERED_REQUEST_KINDS)
    def headers_for(
        method: str, origin: str | None, method_asked: str | None, headers_asked: str | None, private: str | None
    ) -> tuple[tuple[str, Any], ...]:
        values = (origin, method_asked, headers_asked, private)
        asked = Headers([(name, v) for name, v in zip(_ASKED_HEADERS, values, strict=True) if v is not None])
        return tuple(get_cors_headers(resolved, asked, method).items(multi=True))

    def add_cors_headers(response: Response) -> Response:
        if response.headers.get(ACL_ORIGIN) or not request.path.startswith("/"):
            return response  # flask-cors, which runs next, decides these as it always did
        environ = request.environ  # request.headers.get(name) is environ.get(its CGI name), only slower
        for name, value in headers_for(request.method, *(environ.get(key) for key in _ASKED)):
            response.headers.add(name, value)
        return response

    # Error answers: flask-cors wraps Flask's exception handlers; these wrappers go inside its own.
    app_any: Any = app
    app_any.handle_exception = _then(app, app_any.handle_exception, add_cors_headers)
    app_any.handle_user_exception = _then(app, app_any.handle_user_exception, add_cors_headers)
    CORS(app, **options)
    app.after_request(add_cors_headers)  # registered after flask-cors's hook, so it runs before it


def _then(app: Flask, handler: Callable[..., Any], finish: Callable[[Response], Response]) -> Callable[..., Response]:
    def handled(*args: Any, **kwargs: Any) -> Response:
        return finish(app.make_response(handler(*args, **kwargs)))

    return handled
