"""A token for the control API, for any mock reachable beyond loopback.

The control API resets state, creates instances and injects faults; on a
shared mock anyone who can reach it could disturb everyone's tests.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Collection
from urllib.parse import unquote_to_bytes

from flask import request

from ..envelope import ApiError
from ..request_parts import bearer_token

TOKEN_HEADER = "X-Mock-Control-Token"


def control_token_guard(token: str, prefix: str, readable: Collection[str] = ()) -> Callable[[], None]:
    """A before-request hook: 401 for control calls under `prefix` without `token`.

    Paths in `readable` answer GETs without it: they show what is public anyway (the spec).
    """
    expected = token.encode("utf-8")

    def guard() -> None:
        path = request.path
        if request.method == "OPTIONS" or not (path == prefix or path.startswith(prefix + "/")):
            return  # CORS preflights carry no credentials, and change nothing
        if request.method in ("GET", "HEAD") and path in readable:
            return
        presented = _presented_token()
        if presented is None or not _matches(presented, expected):
            raise ApiError(
                401,
                f"The control API needs its token: send 'Authorization: Bearer <token>' or '{TOKEN_HEADER}: <token>'.",
                details="control token",
                headers={"WWW-Authenticate": 'Bearer realm="discard-mock control API"'},
            )

    return guard


def _matches(presented: str, expected: bytes) -> bool:
    """The token as sent, or percent-encoded (RFC 3986), against the token's UTF-8 bytes.

    WSGI gives header values as the bytes received, one character per byte (Latin-1), so a
    non-ASCII token matches when sent as UTF-8. The HTTP server reads ASCII header values only
    (it answers 400 for others), so over the wire a non-ASCII token is sent percent-encoded:
    `t%C3%B6k%C3%A9n` for `tökén`.
    """
    received = _received_bytes(presented)
    as_sent = hmac.compare_digest(received, expected)
    decoded = hmac.compare_digest(unquote_to_bytes(received), expected) if b"%" in received else False
    return as_sent or decoded


def _received_bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # not from a WSGI header: never the token's bytes
        return value.encode("utf-8", "surrogateescape")


def _presented_token() -> str | None:
    header = request.headers.get(TOKEN_HEADER)
    if header:
        return header.strip()
    return bearer_token(request.headers.get("Authorization"))
