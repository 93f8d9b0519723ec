"""What one request may cost the server: sizes and waits, each a `serve` flag.

The defaults are generous for any real client of the endpoint (its requests
carry no body and a few short headers) and small enough that a hostile or
broken one cannot grow the process: a request is refused, in the error
envelope, before anything of it is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..flag_values import at_least, seconds

KIB = 1024


@dataclass(frozen=True)
class ServeLimits:
    """Bounds the server enforces before the app sees a request."""

    # Request target (path and query), as sent: longer is 414.
    max_request_line: int = 8 * KIB
    # One header field (name, ": ", value): longer is 431.
    max_header_field: int = 8 * KIB
    # All header fields together: more is 431. The HTTP parser itself stops reading a head at
    # `parser_buffer` bytes (answering a bare 431 and closing), so a flood never reaches Python.
    max_header_bytes: int = 32 * KIB
    # Header fields in one request: more is 431 (the parser's own hard limit is 100).
    max_header_count: int = 100
    # Request body: more is 413. The endpoint takes none; the control API takes small JSON documents.
    max_body_bytes: int = 64 * KIB
    # Seconds a client may take to send the head, then the body, of one request: slower is
    # closed (head, by the parser) or 408 (body), and costs only its connection meanwhile.
    header_timeout: float = 10.0
    body_timeout: float = 10.0

    @property
    def parser_buffer(self) -> int:
        """The HTTP parser's read buffer: room for the largest head the limits allow, then the parser refuses."""
        return self.max_request_line + self.max_header_bytes + 4 * KIB


# ServeLimits field -> (parser, metavar, what it bounds); each is the `serve`/`proxy` flag --FIELD-NAME.
LIMIT_FLAGS: dict[str, tuple[Callable[[str], Any], str, str]] = {
    "max_request_line": (at_least(256), "BYTES", "longest request target, path and query"),
    "max_header_field": (at_least(256), "BYTES", "longest header field, name and value"),
    "max_header_bytes": (at_least(1024), "BYTES", "all header fields of a request together"),
    "max_body_bytes": (at_least(1024), "BYTES", "largest request body"),
    "header_timeout": (
        seconds,
        "SECONDS",
        "time a client has to send a request's head; then its connection is closed",
    ),
    "body_timeout": (
        seconds,
        "SECONDS",
        "time a client has to send a request's body once its head has arrived; then 408",
    ),
}
