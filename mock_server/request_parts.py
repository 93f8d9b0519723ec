"""What the mock reads from any request, the same way everywhere: a bearer token, a body, a JSON body."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flask import Request
from werkzeug.wsgi import get_content_length

from .envelope import ApiError

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

MAX_CONTROL_BODY = 64 * 1024
# What a path keeps as it is when written into a URL again (RFC 3986 pchar and '/'); the rest percent-encoded.
PATH_SAFE = "/:@!$&'()*+,;=-._~"


def bearer_token(authorization: str | None) -> str | None:
    """The token of 'Bearer <token>' (any case, surrounding spaces ignored); None for any other form."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def wsgi_string(text: str) -> str:
    """`text` as a WSGI environ carries it: its UTF-8 bytes, each as one latin-1 character (PEP 3333).

    A server that hands over text (granian's path and query) must be put in this form for Werkzeug,
    which encodes environ strings as latin-1: a character past U+00FF, sent raw, was a 500.
    """
    return text if text.isascii() else text.encode("utf-8", "surrogateescape").decode("latin-1")


def environ_text(value: str) -> str:
    """What `wsgi_string` made of a text: the text again (a server that put text in as is keeps it)."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value


def environ_fields(environ: WSGIEnvironment) -> dict[str, str]:
    """A WSGI environ's header fields by lower-case name (`HTTP_X_API_KEY` is `x-api-key`), as sent.

    A repeated field is one value, comma-joined, as the server put it in the environ.
    """
    fields = {
        key[5:].lower().replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and key not in _BODY_FIELDS_AS_HTTP
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            fields[key.lower().replace("_", "-")] = environ[key]
    return fields


# Some servers also put the body's fields under HTTP_ names; WSGI's own keys for them are the ones read.
_BODY_FIELDS_AS_HTTP = frozenset({"HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"})


def declares_body(environ: WSGIEnvironment) -> bool:
    """The request says a body follows (a length, or chunked transfer coding)."""
    return bool(get_content_length(environ)) or _chunked(environ)


def has_body(environ: WSGIEnvironment) -> bool:
    """True for any body at all, without reading more than one byte of it."""
    if get_content_length(environ):
        return True
    if not _chunked(environ):
        return False
    if not environ.get("wsgi.input_terminated"):
        return True  # the server left it undecoded, so the stream reads empty: count it as a body
    try:
        return bool(environ["wsgi.input"].read(1))
    except Exception:  # a body the server cannot decode (bad chunk sizes) is still a body
        return True


def _chunked(environ: WSGIEnvironment) -> bool:
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def json_body(req: Request, *, optional: bool = False, limit: int = MAX_CONTROL_BODY) -> Any:
    """The JSON body (None when `optional` and absent); 400 or 413 in the envelope for anything else."""
    if not declares_body(req.environ):
        if optional:
            return None
        raise ApiError(400, "Send a JSON body.", details="body")
    try:
        data = req.stream.read(limit + 1)
    except Exception:  # a body the server cannot decode (bad chunk sizes)
        raise ApiError(400, "The body could not be read: malformed chunked encoding.", details="body") from None
    if len(data) > limit:
        raise ApiError(413, f"Control API bodies are limited to {limit} bytes.", details="body")
    try:
        return json.loads(data) if data else None
    except ValueError as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}.", details="body") from None
    except RecursionError:
        raise ApiError(400, "The body is not valid JSON: it is nested too deeply.", details="body") from None
