"""The server's own limit: a bare RSGI app on granian, answering the ceiling's fixed envelope.

No Flask, no bridge, no WSGI environ, no thread: granian's Rust HTTP/1 and
one Python call a request that hands back fixed bytes. Nothing served in
Python on this server can be faster, so the mock's figure over this one says
how much of the server's capacity the mock's own work leaves.

    granian --interface rsgi --http 1 --workers 1 --loop asyncio bench.raw_granian:app
"""

from __future__ import annotations

from typing import Any

from .ceiling import BODY

HEADERS = [("content-type", "application/json")]


async def app(scope: Any, protocol: Any) -> None:
    """Every HTTP request: the fixed 200 envelope, its body unread (the mix sends none)."""
    if scope.proto == "http":
        protocol.response_bytes(200, HEADERS, BODY)
