"""Fault kinds and statuses as real clients see them over a socket: `requests`, and raw sockets.

The kinds that break a connection need `serve --server gunicorn` (one such
server for the module); a slow body and the statuses are served by the
default server too (the session's `served_mock`). Every fault here is for a
fresh instance of its own, so no test sees another's fault.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from mock_server.wire_faults import MALFORMED_BYTES

from ..support.helpers import EXECUTE_KEY, PENDING_STATE, bearer, path_of, run_cli
from ..support.served import MockProcess

SLOW_BODY_MS = 600


@pytest.fixture(scope="module")
def gunicorn_mock() -> Iterator[MockProcess]:
    process = MockProcess("--quiet", "--server", "gunicorn").start()
    try:
        yield process
    finally:
        process.stop()


def faulted_instance(mock: MockProcess, **fault: Any) -> tuple[str, dict[str, Any]]:
    """A fresh pending instance's discard path, and the fault added for that instance alone."""
    status, _, ids = mock.call("POST", "/__mock/provider-states", body={"state": PENDING_STATE})
    assert status == 200, ids
    status, _, added = mock.call(
        "POST", "/__mock/faults", body={**fault, "workflowInstanceId": ids["workflowInstanceId"]}
    )
    assert status == 201, added
    return path_of(ids), added


def still_pending(mock: MockProcess, path: str) -> bool:
    instance_id = path.split("/")[-2]
    return bool(mock.call("GET", f"/__mock/instances/{instance_id}")[2]["hasPendingApproval"])


def raw_discard(mock: MockProcess, path: str) -> socket.socket:
    """A connection that has sent one discard, keep-alive, as a browser would."""
    sock = socket.create_connection(mock.host_port, timeout=10)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {mock.host_port[0]}\r\nAuthorization: Bearer {EXECUTE_KEY}\r\n"
        "Content-Length: 0\r\n\r\n".encode()
    )
    return sock


def read_to_end(sock: socket.socket) -> list[bytes]:
    """Each piece one recv returned, until the end of file."""
    pieces = []
    while piece := sock.recv(65536):
        pieces.append(piece)
    return pieces


def cause_chain(error: BaseException) -> list[BaseException]:
    """The error and what it wraps (requests wraps urllib3's error, which holds http.client's in its args)."""
    seen: list[BaseException] = []
    pending: list[Any] = [error]
    while pending:
        current = pending.pop()
        if isinstance(current, BaseException) and current not in seen:
            seen.append(current)
            pending.extend([current.__cause__, current.__context__, *current.args])
    return seen


# Breaking the connection (serve --server gunicorn) ------------------------------------------


@pytest.mark.parametrize(
    ("kind", "seen"),
    [
        ("connection-reset", ConnectionResetError),
        ("empty-response", http.client.RemoteDisconnected),
        ("malformed-response", http.client.BadStatusLine),
    ],
)
def test_requests_gets_a_connection_error_and_the_instance_is_untouched(
    gunicorn_mock: MockProcess, kind: str, seen: type[Exception]
) -> None:
    path, fault = faulted_instance(gunicorn_mock, kind=kind)
    with pytest.raises(requests.ConnectionError) as failed:
        requests.post(gunicorn_mock.url(path), headers=bearer(), timeout=10)
    causes = cause_chain(failed.value)
    assert any(isinstance(cause, seen) for cause in causes), causes
    if kind != "empty-response":  # a reset or a parse error, not a connection closed before a status line
        assert not any(isinstance(cause, http.client.RemoteDisconnected) for cause in causes), causes
    assert still_pending(gunicorn_mock, path)
    journaled = requests.get(gunicorn_mock.url("/__mock/requests"), params={"path": path}, timeout=10).json()
    [entry] = [e for e in journaled["requests"] if e["path"] == path and e["method"] == "POST"]
    assert entry["status"] == 0 and entry["brokenConnection"] == {"kind": kind, "fault": fault["id"]}, entry


def test_a_reset_is_an_rst_with_zero_bytes(gunicorn_mock: MockProcess) -> None:
    path, _ = faulted_instance(gunicorn_mock, kind="connection-reset")
    with raw_discard(gunicorn_mock, path) as sock, pytest.raises(ConnectionResetError):
        sock.recv(65536)


def test_an_empty_response_is_zero_bytes_then_end_of_file(gunicorn_mock: MockProcess) -> None:
    path, _ = faulted_instance(gunicorn_mock, kind="empty-response")
    with raw_discard(gunicorn_mock, path) as sock:
        assert read_to_end(sock) == []


def test_a_malformed_response_is_bytes_that_are_not_http_then_end_of_file(gunicorn_mock: MockProcess) -> None:
    path, _ = faulted_instance(gunicorn_mock, kind="malformed-response")
    with raw_discard(gunicorn_mock, path) as sock:
        received = b"".join(read_to_end(sock))
    assert received == MALFORMED_BYTES and not received.startswith(b"HTTP/")


def test_a_counted_breaking_fault_for_one_instance_breaks_that_many_of_its_connections_only(
    gunicorn_mock: MockProcess,
) -> None:
    path, fault = faulted_instance(gunicorn_mock, kind="empty-response", count=2)
    other, _ = faulted_instance(gunicorn_mock, latencyMs=1)  # another fresh instance, only delayed
    assert requests.post(gunicorn_mock.url(other), headers=bearer(), timeout=10).status_code == 200
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            requests.post(gunicorn_mock.url(path), headers=bearer(), timeout=10)
    assert requests.post(gunicorn_mock.url(path), headers=bearer(), timeout=10).status_code == 200
    listed = {f["id"]: f["count"] for f in gunicorn_mock.call("GET", "/__mock/faults")[2]["faults"]}
    assert listed[fault["id"]] == 0


def test_the_gunicorn_server_answers_the_slow_body_and_statuses_too(gunicorn_mock: MockProcess) -> None:
    path, _ = faulted_instance(gunicorn_mock, kind="slow-body", latencyMs=SLOW_BODY_MS)
    with raw_discard(gunicorn_mock, path) as sock:
        head, body_pieces = _head_and_body_pieces(sock)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert len(body_pieces) > 1, "the body came in one piece"
    assert json.loads(b"".join(body_pieces))["data"]["action"] == "discarded"
    path, _ = faulted_instance(gunicorn_mock, status=503)
    answer = requests.post(gunicorn_mock.url(path), headers=bearer(), timeout=10)
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "1")


# The default server --------------------------------------------------------------------------


def _head_and_body_pieces(sock: socket.socket) -> tuple[bytes, list[bytes]]:
    """The answer's head, and its body as the pieces recv returned, to the Content-Length."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(
        next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")).split(b":")[1]
    )
    pieces = [body] if body else []
    while sum(map(len, pieces)) < length:
        piece = sock.recv(65536)
        assert piece, "the connection closed before the whole body"
        pieces.append(piece)
    return head, pieces


def test_a_slow_body_sends_the_head_then_the_whole_body_in_pieces(served_mock: MockProcess) -> None:
    path, _ = faulted_instance(served_mock, kind="slow-body", latencyMs=SLOW_BODY_MS, count=1)
    with raw_discard(served_mock, path) as sock:
        head, body_pieces = _head_and_body_pieces(sock)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert len(body_pieces) > 1, "the body came in one piece"
    assert json.loads(b"".join(body_pieces))["data"]["action"] == "discarded"


def test_requests_reads_a_slow_body_whole(served_mock: MockProcess) -> None:
    path, _ = faulted_instance(served_mock, kind="slow-body", latencyMs=SLOW_BODY_MS, status=503)
    answer = requests.post(served_mock.url(path), headers=bearer(), timeout=10)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    assert answer.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert still_pending(served_mock, path)


@pytest.mark.parametrize(("status", "code"), [(503, "SERVICE_UNAVAILABLE"), (504, "GATEWAY_TIMEOUT"), (451, "ERROR")])
def test_each_status_is_readable_in_the_envelope(served_mock: MockProcess, status: int, code: str) -> None:
    path, fault = faulted_instance(served_mock, status=status)
    assert fault["documented"] is False
    answer = requests.post(served_mock.url(path), headers=bearer(), timeout=10)
    assert answer.status_code == status
    body = answer.json()
    assert (body["success"], body["data"], body["error"]["code"]) == (False, None, code)
    assert fault["id"] in body["error"]["message"]
    assert answer.headers.get("Retry-After") == ("1" if status == 503 else None)


def test_the_default_server_refuses_a_breaking_fault_naming_the_option(served_mock: MockProcess) -> None:
    status, _, body = served_mock.call("POST", "/__mock/faults", body={"kind": "connection-reset"})
    assert status == 409 and "--server gunicorn" in body["error"]["message"], body


def test_a_port_in_use_is_one_clear_line_in_gunicorn_mode_too(gunicorn_mock: MockProcess) -> None:
    _, port = gunicorn_mock.host_port
    result = run_cli(["serve", "--server", "gunicorn", "--host", "127.0.0.1", "--port", str(port)], timeout=30)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"discard-mock: cannot listen on 127.0.0.1:{port}: Address already in use"), lines


def test_limits_gunicorn_cannot_enforce_are_named_not_silently_ignored(gunicorn_mock: MockProcess) -> None:
    _, port = gunicorn_mock.host_port  # busy: the server says what it would ignore, then stops at the port
    args = ["serve", "--server", "gunicorn", "--port", str(port), "--max-body-bytes", "2048", "--body-timeout", "5"]
    result = run_cli(args, timeout=30)
    assert result.returncode == 2
    warning = result.stderr.strip().splitlines()[0]
    assert warning.startswith("discard-mock: warning: --server gunicorn does not enforce"), result.stderr
    assert "--max-body-bytes" in warning and "--body-timeout" in warning and "--header-timeout" not in warning
