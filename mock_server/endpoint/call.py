"""One request to the endpoint, as its checks, CORS and the journal read it, whichever server parsed it.

Why not the WSGI environ: the served mock's server (granian's RSGI) hands
over a parsed head, and building an environ from it only for the endpoint
to read four of its keys back was a sixth of a discard's time. The bridge
(serving/bridge.py) builds an `EndpointCall` straight from the head; a WSGI
server's request (gunicorn mode, Flask's test client, the proxy) gets one
from its environ (`from_environ`). Either way the checks read the same
fields, so each rule reads its request once, in one way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from ..request_parts import environ_fields, environ_text, has_body, wsgi_string

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment


@dataclass(slots=True)
class EndpointCall:
    """A request on the endpoint's route.

    `headers`: the header fields by lower-case name, a repeated field's values comma-joined
    (RFC 9110 5.3), as a WSGI environ holds them. `path`: decoded, as Flask routes it; `query`: the
    query string as text (a WSGI environ's latin-1 form read back as UTF-8).
    `slow_body_ms`: set by a slow-body fault, for whoever sends the answer. `inline`: the call runs
    where it may not wait (the server's event loop). What the checks took carries over to an attempt
    run again (a stale fault list, MustWait), so nothing is taken twice: `rate_limited` (the rate limit
    counts a call once), `spent_faults` (the counted faults it took a hit of).
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    client: str | None
    has_body: bool
    slow_body_ms: int = 0
    inline: bool = False
    rate_limited: bool = False
    spent_faults: set[str] = field(default_factory=set)

    @classmethod
    def from_environ(cls, environ: WSGIEnvironment, path: str, body: bytes | None = None) -> EndpointCall:
        """The call a WSGI server's request makes; `path` as the route decoded it; `body`, when already read."""
        return cls(
            method=environ["REQUEST_METHOD"].upper(),
            path=path,
            query=environ_text(environ.get("QUERY_STRING", "")),
            headers=environ_fields(environ),
            client=environ.get("REMOTE_ADDR"),
            has_body=has_body(environ) if body is None else bool(body),
        )

    def query_args(self) -> MultiDict[str, str]:
        """The query string's parameters, parsed exactly as Flask's `request.args` parses them."""
        return Request({"QUERY_STRING": wsgi_string(self.query)}).args
