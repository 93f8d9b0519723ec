"""Slow, stalled and hostile clients cost the server connections, never its service.

Each test starts its own `discard-mock serve` on a loopback port, opens
hundreds of connections that send a request's head or body and then stop,
and asserts that ordinary requests are still answered meanwhile (within a
generous timeout: behaviour, not speed, is asserted here; bench/ measures the
latencies). Counts and waits are bounded so the file runs in seconds.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from ..support.helpers import PENDING_STATE, path_of
from ..support.served import MockProcess, served

SLOW_HEADERS = 200
STALLED_BODIES = 200  # half with a Content-Length, half chunked
NORMAL_REQUESTS = 20
ANSWER_TIMEOUT = 10.0  # seconds; an answer that waits for the slow clients to give up would take far longer


@contextmanager
def open_connections(mock: MockProcess, partial_requests: list[bytes]) -> Iterator[list[socket.socket]]:
    """One connection per partial request, sent and left hanging; all closed on the way out."""
    with ExitStack() as stack:
        sockets = []
        for data in partial_requests:
            sock = stack.enter_context(socket.create_connection(mock.host_port, timeout=ANSWER_TIMEOUT))
            sock.sendall(data)
            sockets.append(sock)
        yield sockets


def slow_heads(path: str, count: int) -> list[bytes]:
    """Request heads cut off mid-header, as a client that sends a header line every few seconds."""
    return [f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-{n}: ".encode() for n in range(count)]


def stalled_bodies(path: str, count: int) -> list[bytes]:
    """Complete heads whose bodies stop after a few bytes: half with a Content-Length, half chunked."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    with_length = (head + 'Content-Length: 100\r\n\r\n{"state": ').encode()
    chunked = (head + 'Transfer-Encoding: chunked\r\n\r\n10\r\n{"state": ').encode()
    return [with_length if n % 2 else chunked for n in range(count)]


def fresh_pending(mock: MockProcess) -> dict[str, str]:
    status, _, body = mock.call("POST", "/__mock/provider-states", body={"state": PENDING_STATE})
    assert status in (200, 201), body
    return body


def test_hundreds_of_slow_and_stalled_clients_do_not_hold_up_a_discard() -> None:
    with served("--quiet") as mock:
        ids = [fresh_pending(mock) for _ in range(NORMAL_REQUESTS)]
        hostile = slow_heads(path_of(ids[0]), SLOW_HEADERS) + stalled_bodies("/__mock/provider-states", STALLED_BODIES)
        with open_connections(mock, hostile):
            answers = [mock.discard(instance)[0] for instance in ids]
            # Every one answered, in the envelope's way: discarded now, and a repeat is a conflict.
            assert answers == [200] * NORMAL_REQUESTS
            assert mock.discard(ids[0])[0] == 409
            # The control API, whose bodies the stalled clients were sending, answers too.
            assert fresh_pending(mock)["workflowInstanceId"]


def test_the_same_with_several_workers(tmp_path: object) -> None:
    """With shared stores each worker holds its share of the slow connections, and all keep serving."""
    database = f"{tmp_path}/store.sqlite3"
    with served("--quiet", "--workers", "2", "--store", f"sqlite:{database}") as mock:
        ids = [fresh_pending(mock) for _ in range(5)]
        hostile = slow_heads(path_of(ids[0]), 100) + stalled_bodies("/__mock/provider-states", 100)
        with open_connections(mock, hostile):
            assert [mock.discard(instance)[0] for instance in ids] == [200] * 5


def test_a_stalled_body_is_answered_408_once_its_time_is_up() -> None:
    with (
        served("--quiet", "--body-timeout", "1") as mock,
        open_connections(mock, stalled_bodies("/__mock/provider-states", 2)) as sockets,
    ):
        for sock in sockets:
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 408 "), answer
            assert b'"success":false' in answer and b'"details":"body"' in answer, answer


def test_a_slow_head_is_closed_once_its_time_is_up() -> None:
    with served("--quiet", "--header-timeout", "1") as mock:
        with open_connections(mock, slow_heads("/", 2)) as sockets:
            for sock in sockets:
                # The parser gives up on the head: its 408, or no answer at all, then the close.
                received = b""
                while chunk := sock.recv(65536):
                    received += chunk
                assert received == b"" or received.startswith(b"HTTP/1.1 408 "), received
        # and the server still serves.
        assert mock.call("GET", "/__mock/requests")[0] == 200


def rss_bytes(mock: MockProcess) -> int:
    """Resident memory of the server's main process and its workers (Linux /proc)."""
    total = 0
    for pid in [mock.pid, *mock.worker_pids()]:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def test_a_header_flood_and_a_creation_flood_leave_the_server_bounded() -> None:
    """1,000 requests with 30 KB of headers each, then creations past the cap: memory stays put."""
    with served("--quiet", "--journal-bytes", str(1024 * 1024), "--max-instances", "500") as mock:
        host, port = mock.host_port
        connection = http.client.HTTPConnection(host, port, timeout=ANSWER_TIMEOUT)
        connection.request("GET", "/v1/warm-up")
        connection.getresponse().read()
        before = rss_bytes(mock)
        padding = {f"X-Pad-{n}": "p" * 3000 for n in range(10)}
        for n in range(1000):
            connection.request("GET", f"/v1/flood/{n}", headers=padding)
            response = connection.getresponse()
            response.read()
            assert response.status == 404
        connection.close()
        statuses = [mock.call("POST", "/__mock/instances", body={})[0] for _ in range(600)]
        assert statuses == [201] * 500 + [507] * 100
        journal = mock.call("GET", "/__mock/requests")[2]
        assert 0 < len(journal["requests"]) < 1000, "the journal dropped the oldest past its byte bound"
        grown = rss_bytes(mock) - before
        # Kept whole, the flood alone is 30 MB of strings; bounded, the journal holds 1 MB of it.
        assert grown < 20 * 1024 * 1024, f"the server grew by {grown / 2**20:.1f} MB"
