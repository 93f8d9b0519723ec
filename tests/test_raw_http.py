"""What only exists on the wire: oversized request lines and headers, malformed HTTP, chunked bodies.

gunicorn rejects some of these before the app sees them; mock_server/server.py
makes those answers wear the error envelope too. Raw sockets to the served
mock on loopback, and after every request the instance list must be unchanged.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from .helpers import (
    EXECUTE_KEY,
    PENDING_STATE,
    assert_error_envelope,
    discard_path,
    is_json_content_type,
    path_of,
)
from .served import MockProcess

DISCARD = discard_path().encode()
AUTH = f"Authorization: Bearer {EXECUTE_KEY}\r\n".encode()


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: Any


def send_raw(mock: MockProcess, data: bytes) -> RawResponse:
    """Writes `data` as is and reads the answer until the server closes the connection."""
    with socket.create_connection(mock.host_port, timeout=15) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)  # all sent: a truncated request ends here instead of waiting for more
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, payload = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    return RawResponse(int(status_line.split()[1]), headers, json.loads(payload))


def instances(mock: MockProcess) -> list[dict[str, Any]]:
    docs = requests.get(mock.url("/__mock/instances"), timeout=10).json()["instances"]
    return sorted(docs, key=lambda d: d["workflowInstanceId"])


def request(method: bytes, target: bytes, headers: bytes = b"", body: bytes = b"") -> bytes:
    return method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + b"\r\n" + body


def assert_refused_on_the_wire(mock: MockProcess, data: bytes, status: int | tuple[int, ...]) -> RawResponse:
    before = instances(mock)
    response = send_raw(mock, data)
    expected = status if isinstance(status, tuple) else (status,)
    assert response.status in expected, response
    assert is_json_content_type(response.headers.get("content-type")), response.headers
    assert_error_envelope(response.body)
    assert instances(mock) == before, "a refused request changed the store"
    return response


def test_a_request_line_over_8_kb_is_414(served_mock: MockProcess) -> None:
    target = DISCARD + b"?pad=" + b"x" * 9000
    assert_refused_on_the_wire(served_mock, request(b"POST", target, AUTH), 414)


def test_a_path_over_8_kb_is_414(served_mock: MockProcess) -> None:
    target = discard_path(workflow_instance_id="a" * 9000).encode()
    assert_refused_on_the_wire(served_mock, request(b"POST", target, AUTH), 414)


def test_a_header_field_too_large_is_431(served_mock: MockProcess) -> None:
    assert_refused_on_the_wire(served_mock, request(b"POST", DISCARD, AUTH + b"X-Big: " + b"a" * 9000 + b"\r\n"), 431)


def test_a_huge_authorization_header_is_431(served_mock: MockProcess) -> None:
    header = b"Authorization: Bearer " + b"k" * 20000 + b"\r\n"
    assert_refused_on_the_wire(served_mock, request(b"POST", DISCARD, header), 431)


def test_too_many_header_fields_is_431(served_mock: MockProcess) -> None:
    headers = AUTH + b"".join(b"X-H%d: v\r\n" % n for n in range(200))
    assert_refused_on_the_wire(served_mock, request(b"POST", DISCARD, headers), 431)


@pytest.mark.parametrize(
    "data",
    [
        b"GARBAGE\r\n\r\n",
        b"POST " + DISCARD + b" HTTP/2.0\r\n\r\n",
        b"post " + DISCARD + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST " + DISCARD + b" HTTP/1.1\r\nHost: x\r\nX Bad: y\r\n" + AUTH + b"\r\n",
        b"POST " + DISCARD + b" HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"POST " + DISCARD + b" HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Content-Length: abc\r\n\r\n",
        b"POST "
        + DISCARD
        + b" HTTP/1.1\r\nHost: x\r\n"
        + AUTH
        + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
    ],
    ids=[
        "garbage",
        "http2-line",
        "lower-case-method",
        "non-utf8-path",
        "space-in-header-name",
        "conflicting-lengths",
        "bad-length",
        "chunked-and-length",
    ],
)
def test_malformed_http_is_400_with_the_envelope(served_mock: MockProcess, data: bytes) -> None:
    assert_refused_on_the_wire(served_mock, data, 400)


def chunked(body: bytes) -> bytes:
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)


def fresh_pending(mock: MockProcess) -> dict[str, str]:
    response = requests.post(mock.url("/__mock/provider-states"), json={"state": PENDING_STATE}, timeout=10)
    assert response.status_code in (200, 201)
    return response.json()


def test_a_chunked_body_is_400_and_discards_nothing(served_mock: MockProcess) -> None:
    ids = fresh_pending(served_mock)
    body = json.dumps({"workflowInstanceId": ids["workflowInstanceId"]}).encode()
    headers = AUTH + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    response = assert_refused_on_the_wire(
        served_mock, request(b"POST", path_of(ids).encode(), headers, chunked(body)), 400
    )
    assert response.body["error"]["details"] == "body"


@pytest.mark.parametrize("bad_chunks", [b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhello", b"3\r\nhello\r\n0\r\n\r\n"])
def test_a_malformed_chunked_body_is_400_not_500(served_mock: MockProcess, bad_chunks: bytes) -> None:
    ids = fresh_pending(served_mock)
    headers = AUTH + b"Transfer-Encoding: chunked\r\n"
    assert_refused_on_the_wire(served_mock, request(b"POST", path_of(ids).encode(), headers, bad_chunks), 400)


def test_a_malformed_chunked_body_to_the_control_api_is_400_not_500(served_mock: MockProcess) -> None:
    data = request(b"POST", b"/__mock/provider-states", b"Transfer-Encoding: chunked\r\n", b"zz\r\n{}\r\n0\r\n\r\n")
    assert_refused_on_the_wire(served_mock, data, 400)


def test_an_empty_chunked_body_is_no_body(served_mock: MockProcess) -> None:
    """Some clients always send Transfer-Encoding: chunked; zero chunks is no content at all."""
    ids = fresh_pending(served_mock)
    response = send_raw(
        served_mock, request(b"POST", path_of(ids).encode(), AUTH + b"Transfer-Encoding: chunked\r\n", b"0\r\n\r\n")
    )
    assert response.status == 200, response


def test_a_duplicated_authorization_header_is_refused(served_mock: MockProcess) -> None:
    """Authorization is a single-value field: two of them, even both valid, do not authenticate."""
    ids = fresh_pending(served_mock)
    response = assert_refused_on_the_wire(served_mock, request(b"POST", path_of(ids).encode(), AUTH + AUTH), (400, 401))
    assert response.status == 401


def test_non_ascii_bytes_in_the_authorization_header_are_401(served_mock: MockProcess) -> None:
    ids = fresh_pending(served_mock)
    header = b"Authorization: Bearer sk_test_\xe9xecute\r\n"
    assert_refused_on_the_wire(served_mock, request(b"POST", path_of(ids).encode(), header), 401)


def test_a_request_after_the_refusals_still_works(served_mock: MockProcess) -> None:
    """The refusals above closed their connections only; the server is still serving."""
    ids = fresh_pending(served_mock)
    assert send_raw(served_mock, request(b"POST", path_of(ids).encode(), AUTH)).status == 200
