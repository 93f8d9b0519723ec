"""A request's head as granian parsed it: its fields within the server's limits, and its WSGI environ.

The limits are the server's, not granian's: granian bounds the head's buffer,
these bound each field, their count and their bytes, and refuse what a WSGI
app would misread (a `_` in a name, a value outside ASCII that granian leaves
out). What they refuse is a `Refusal`, answered by the bridge in the envelope.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping
from typing import Any

from ..request_parts import wsgi_string
from .limits import ServeLimits


class Refusal(Exception):
    """A request the server answers itself, in the envelope, without the app."""

    def __init__(self, status: int, message: str, details: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


# What a WSGI environ holds for every request; each request's own keys are added to a copy.
_BASE_ENVIRON: dict[str, Any] = {
    "SCRIPT_NAME": "",
    "SERVER_SOFTWARE": "discard-mock (granian)",
    "wsgi.errors": sys.stderr,
    "wsgi.input_terminated": True,  # the body is whole and de-chunked: read it to its end
    "wsgi.multiprocess": False,
    "wsgi.multithread": True,
    "wsgi.run_once": False,
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "http",
}


def read_fields(scope: Any, limits: ServeLimits) -> dict[str, str]:
    """The head's fields by (lower-case) name, repeated ones comma-joined; Refusal for a head over the limits."""
    if not scope.method.isupper():  # Werkzeug upper-cases methods; HTTP's are case-sensitive (RFC 9110 9.1)
        raise Refusal(400, f"Unknown method {scope.method!r}: HTTP methods are case-sensitive.", "method")
    target_length = len(scope.path) + len(scope.query_string)
    if target_length > limits.max_request_line:
        raise Refusal(414, f"The request line is limited to {limits.max_request_line} bytes.", "requestLine")
    fields: dict[str, str] = {}
    total = 0
    count = 0
    for name, value in scope.headers.items():
        size = len(name) + len(value) + 2
        if size > limits.max_header_field:
            raise Refusal(
                431, f"A header field is limited to {limits.max_header_field} bytes; {name} is {size}.", "headers"
            )
        if "_" in name:
            raise Refusal(
                400,
                f"Header field {name} has '_' in its name, which this server does not read (in WSGI it would "
                f"pass for {name.replace('_', '-')}): send it with '-'.",
                "headers",
            )
        total += size
        count += 1
        # a repeated field: one value, comma-joined (RFC 9110 5.3)
        fields[name] = fields[name] + "," + value if name in fields else value
    if len(fields) != len(scope.headers.keys()):  # granian leaves out fields whose values are not ASCII
        unread = sorted(set(scope.headers.keys()) - set(fields))
        raise Refusal(
            400,
            f"Header field {', '.join(unread)} holds bytes outside ASCII, which this server does not read; "
            "send non-ASCII values percent-encoded.",
            "headers",
        )
    if count > limits.max_header_count:
        raise Refusal(431, f"A request is limited to {limits.max_header_count} header fields.", "headers")
    if total > limits.max_header_bytes:
        raise Refusal(431, f"Header fields are limited to {limits.max_header_bytes} bytes in all.", "headers")
    return fields


def wsgi_environ(scope: Any, fields: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """The WSGI environ of a request whose head granian parsed and `_fields` read."""
    environ = _BASE_ENVIRON.copy()
    for name, value in fields.items():
        environ[_ENVIRON_KEYS.get(name) or _environ_key(name)] = value
    server_host, _, server_port = scope.server.rpartition(":")
    environ["REQUEST_METHOD"] = scope.method
    environ["PATH_INFO"] = wsgi_string(scope.path)
    environ["QUERY_STRING"] = wsgi_string(scope.query_string)
    environ["SERVER_PROTOCOL"] = "HTTP/" + scope.http_version
    environ["REMOTE_ADDR"] = client_host(scope.client)
    environ["REMOTE_PORT"] = scope.client.rpartition(":")[2]
    environ["SERVER_NAME"] = server_host.strip("[]")
    environ["SERVER_PORT"] = server_port
    environ["wsgi.input"] = io.BytesIO(body)
    return environ


# A header field's WSGI environ key by its name, for the names clients send (bounded: clients choose them).
_ENVIRON_KEYS: dict[str, str] = {}
_REMEMBERED_NAMES = 256


def _environ_key(name: str) -> str:
    """`x-api-key` as WSGI names it, `HTTP_X_API_KEY` (the body's two fields without the prefix), remembered."""
    key = name.upper().replace("-", "_")
    if key != "CONTENT_TYPE" and key != "CONTENT_LENGTH":
        key = "HTTP_" + key
    if len(_ENVIRON_KEYS) < _REMEMBERED_NAMES:
        _ENVIRON_KEYS[name] = key
    return key


def head_fields(scope: Any) -> dict[str, str]:
    """A refused request's header fields by name, however far over the limits they are."""
    fields: dict[str, str] = {}
    for name, value in scope.headers.items():
        fields[name] = fields[name] + "," + value if name in fields else value
    return fields


def client_host(client: str) -> str:
    """The address of `host:port` (an IPv6 one without its brackets)."""
    return client.rpartition(":")[0].strip("[]")


def decoded_path(path: str) -> str:
    """The path as Werkzeug decodes PATH_INFO (UTF-8 carried in latin-1): the route and Flask match the same paths."""
    return path if path.isascii() else path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
