"""What the server speaks: HTTP/1.1 only. No HTTP/2, no WebSocket.

granian's HTTP/2 has no timeout for a connection's head, body or idleness
(its h2 settings are window sizes, a stream bound and a keep-alive ping): a
client that sent the h2 preface and nothing more was held for as long as it
liked, and enough of them used up the server's file descriptors. Served as
HTTP/1.1 only, the preface is not a request: the connection is closed at once.
A WebSocket handshake is an HTTP request like any other (RFC 9110 7.8: the
Upgrade is ignored), answered in the envelope.
"""

from __future__ import annotations

import resource
import socket

from ..support.helpers import assert_error_envelope
from ..support.served import MockProcess, served
from .test_raw_http import send_raw
from .test_resilience import fresh_pending, open_connections

# The client connection preface of HTTP/2 "with prior knowledge" (RFC 9113 3.4), then an empty SETTINGS frame.
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
# HEADERS on stream 1 without END_HEADERS (flags 0): the head of a request that never ends.
H2_OPEN_HEADERS = b"\x00\x00\x01\x01\x00\x00\x00\x00\x01\x82"
FILE_LIMIT = 1024  # the server's open files, as `ulimit -n 1024` sets them
HOSTILE_CONNECTIONS = 1100  # more than it may hold open
DISCARDS = 5
DEADLINE = 30.0  # seconds; only a connection the server keeps open would reach it


def limit_open_files(mock: MockProcess, limit: int) -> None:
    """`ulimit -n LIMIT` for the server's main process and each worker (Linux prlimit)."""
    for pid in [mock.pid, *mock.worker_pids()]:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, limit))


def read_until_closed(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection; socket.timeout if it keeps it past DEADLINE."""
    sock.settimeout(DEADLINE)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_connection_that_opens_with_the_http2_preface_is_closed_unanswered(served_mock: MockProcess) -> None:
    for opening in (H2_PREFACE, H2_PREFACE + H2_OPEN_HEADERS):
        with socket.create_connection(served_mock.host_port, timeout=DEADLINE) as sock:
            sock.sendall(opening)
            received = read_until_closed(sock)
        # No SETTINGS frame back (an HTTP/2 server's first bytes): at most HTTP/1's refusal.
        assert received == b"" or received.startswith(b"HTTP/1.1 4"), received[:100]


def test_1100_idle_http2_connections_under_ulimit_1024_leave_discards_answered() -> None:
    with served("--quiet") as mock:
        ids = [fresh_pending(mock) for _ in range(DISCARDS)]
        limit_open_files(mock, FILE_LIMIT)
        with open_connections(mock, [H2_PREFACE] * HOSTILE_CONNECTIONS):
            # mock.discard waits 30 s for an answer: a server out of descriptors answers none.
            assert [mock.discard(instance)[0] for instance in ids] == [200] * DISCARDS
            assert mock.discard(ids[0])[0] == 409


def test_a_websocket_handshake_is_answered_in_the_envelope_as_plain_http(served_mock: MockProcess) -> None:
    handshake = (
        b"GET /__mock/socket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Origin: http://localhost:5173\r\n\r\n"
    )
    response = send_raw(served_mock, handshake)
    assert response.status == 404, response
    assert_error_envelope(response.body)
    assert "/__mock/socket" in response.body["error"]["message"]
    assert response.headers["access-control-allow-origin"] in ("*", "http://localhost:5173")
