"""How a fault acts on the wire: a connection broken instead of answered, or a body trickled out.

The app decides (faults.py, the endpoint's checks); the server carries it
out, since only the server holds the connection. A fault that breaks the
connection is raised out of the WSGI app as `BreakConnection`, and a server
that hands the app its socket (gunicorn, `environ["gunicorn.socket"]`)
breaks it with `break_connection`. A slow body is an ordinary WSGI body,
`SlowBody`, that any server sends piece by piece as it iterates; the RSGI
bridge recognises it and sends the same pieces from its event loop, so no
thread waits on it.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Callable, Collection, Iterator
from typing import Any

from .faults import CONNECTION_RESET, EMPTY_RESPONSE, MALFORMED_RESPONSE, Fault, FaultError, parse_fault

# What a malformed-response fault sends: no status line, a NUL and bytes no HTTP parser takes.
MALFORMED_BYTES = b"\x00\xffNOT HTTP: discard-mock malformed-response fault\r\n\x00\r\n\r\n"
# A slow body is sent in this many pieces, evenly spread over the fault's latency.
SLOW_BODY_PIECES = 10
# The `serve --server` choice whose server hands the app its socket, so faults can break connections.
SOCKET_SERVER = "gunicorn"
# The status a request that got no answer is journaled with (HAR and browsers say 0 too).
NO_ANSWER = 0
_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST, not FIN


class BreakConnection(Exception):
    """A fault asks that this request's connection be broken (`kind`, a faults.BREAKING_KINDS) instead of answered."""

    def __init__(self, kind: str, fault_id: str) -> None:
        super().__init__(f"{kind} (fault {fault_id})")
        self.kind = kind
        self.fault_id = fault_id

    def journal_fields(self) -> dict[str, Any]:
        """What the journal shows of a request that got no answer (its status is 0, as HAR has it)."""
        return {"brokenConnection": {"kind": self.kind, "fault": self.fault_id}}


class ServerCannotBreak(FaultError):
    """A well-formed fault that breaks connections, on a server that cannot: the message names the option."""


def usable_fault(doc: Any, documented_statuses: Collection[int], breaks_connections: bool) -> Fault:
    """A fault from its description that this server can carry out; FaultError (or ServerCannotBreak) if not."""
    fault = parse_fault(doc, documented_statuses)
    if fault.kind is not None and fault.breaks_connection and not breaks_connections:
        raise ServerCannotBreak(cannot_break(fault.kind))
    return fault


def cannot_break(kind: str) -> str:
    """Why a fault of `kind` cannot act on a server that does not hand the app its socket, and what to do."""
    return (
        f"kind {kind} breaks the connection, which this server cannot do: restart the mock with "
        f"`discard-mock serve --server {SOCKET_SERVER}` (the default server answers every request)."
    )


def break_connection(sock: socket.socket, kind: str) -> None:
    """Breaks the connection `sock` holds as `kind` asks, and leaves `sock` holding an unconnected socket.

    The connection is taken out of the server's hands first (its file
    descriptor now names a fresh, unconnected socket), so whatever the server
    does with its socket afterwards (a graceful close's FIN, an error page)
    reaches no client: the client sees exactly what the fault says.
    """
    connection = _take_over(sock)
    try:
        if kind == CONNECTION_RESET:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            return
        if kind == MALFORMED_RESPONSE:
            connection.sendall(MALFORMED_BYTES)
        elif kind != EMPTY_RESPONSE:
            raise ValueError(f"not a kind that breaks a connection: {kind!r}")
        connection.shutdown(socket.SHUT_WR)  # a FIN after what was sent (nothing, for an empty response)
        _drain(connection)  # unread request bytes would make close() send RST instead
    finally:
        connection.close()


def _take_over(sock: socket.socket) -> socket.socket:
    """A socket object of our own for `sock`'s connection; `sock`'s descriptor then names an unconnected socket."""
    connection = socket.socket(sock.family, sock.type, sock.proto, fileno=os.dup(sock.fileno()))
    with socket.socket(sock.family, sock.type, sock.proto) as spare:
        os.dup2(spare.fileno(), sock.fileno())
    return connection


def _drain(connection: socket.socket) -> None:
    connection.setblocking(False)
    try:
        while connection.recv(65536):
            pass
    except OSError:  # nothing more to read now (EAGAIN), or the client is gone
        pass


class SlowBody:
    """A WSGI body sent in pieces over `seconds`: the head at once, the last piece at the end.

    Iterated by a WSGI server, it sleeps between pieces on the server's thread
    (an empty first piece sends the head at once); the RSGI bridge instead
    reads `pieces` and `pause` and waits on its event loop.
    """

    def __init__(self, payload: bytes, seconds: float, sleep: Callable[[float], None] = time.sleep) -> None:
        size = max(1, -(-len(payload) // SLOW_BODY_PIECES))
        self.pieces = tuple(payload[i : i + size] for i in range(0, len(payload), size)) or (b"",)
        self.pause = seconds / len(self.pieces)
        self.sleep = sleep

    def __iter__(self) -> Iterator[bytes]:
        yield b""
        for piece in self.pieces:
            self.sleep(self.pause)
            yield piece
