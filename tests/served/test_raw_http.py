"""What only exists on the wire: oversized request lines and headers, malformed HTTP, chunked bodies.

The server's limits (mock_server/serving/limits.py: request line, header
fields, body) are answered in the error envelope. What granian's HTTP parser
cannot parse at all never reaches the app: it gets the parser's bare 400 (or
431 past its buffer or its 100-field limit), no body, and the connection is
closed, as README.md documents. Raw sockets to the served mock on loopback,
and after every request the instance list must be unchanged.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from ..support.helpers import (
    EXECUTE_KEY,
    PENDING_STATE,
    assert_error_envelope,
    discard_path,
    is_json_content_type,
    path_of,
)
from ..support.served import MockProcess

DISCARD = discard_path().encode()
AUTH = f"Authorization: Bearer {EXECUTE_KEY}\r\n".encode()


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: Any


def send_raw(mock: MockProcess, data: bytes) -> RawResponse:
    """Writes `data` as is and reads the answer until the server closes the connection.

    The write side stays open: the parser takes a client's half-close for the end of the
    connection and drops the answer. Every request here asks for `Connection: close`.
    """
    with socket.create_connection(mock.host_port, timeout=30) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, payload = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    return RawResponse(int(status_line.split()[1]), headers, json.loads(payload) if payload else None)


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


def assert_refused_by_the_parser(mock: MockProcess, data: bytes, status: int) -> RawResponse:
    """The documented answer to what cannot be parsed: the status alone, then the connection closes."""
    before = instances(mock)
    response = send_raw(mock, data)
    assert response.status == status, response
    assert response.headers.get("connection") == "close", response.headers
    assert response.body is None, response
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


def test_header_fields_over_32_kb_in_all_are_431(served_mock: MockProcess) -> None:
    headers = AUTH + b"".join(b"X-H%d: %s\r\n" % (n, b"v" * 4000) for n in range(9))
    assert_refused_on_the_wire(served_mock, request(b"POST", DISCARD, headers), 431)


def test_too_many_header_fields_is_the_parsers_431(served_mock: MockProcess) -> None:
    headers = AUTH + b"".join(b"X-H%d: v\r\n" % n for n in range(200))
    assert_refused_by_the_parser(served_mock, request(b"POST", DISCARD, headers), 431)


def test_a_head_past_the_parsers_buffer_is_its_431(served_mock: MockProcess) -> None:
    headers = AUTH + b"".join(b"X-H%d: %s\r\n" % (n, b"v" * 8000) for n in range(12))
    assert_refused_by_the_parser(served_mock, request(b"POST", DISCARD, headers), 431)


@pytest.mark.parametrize(
    "data",
    [
        b"GARBAGE\r\n\r\n",
        b"POST " + DISCARD + b" HTTP/2.0\r\n\r\n",
        b"POST /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST " + DISCARD + b" HTTP/1.1\r\nHost: x\r\nX Bad: y\r\n" + AUTH + b"\r\n",
        b"POST " + DISCARD + b" HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"POST " + DISCARD + b" HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Content-Length: abc\r\n\r\n",
    ],
    ids=[
        "garbage",
        "http2-line",
        "non-utf8-path",
        "space-in-header-name",
        "conflicting-lengths",
        "bad-length",
    ],
)
def test_malformed_http_is_the_parsers_400(served_mock: MockProcess, data: bytes) -> None:
    assert_refused_by_the_parser(served_mock, data, 400)


def test_a_lower_case_method_is_400(served_mock: MockProcess) -> None:
    """Methods are case-sensitive tokens (RFC 9110 9.1): `post` parses, and is not POST."""
    data = b"post " + DISCARD + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + AUTH + b"\r\n"
    response = assert_refused_on_the_wire(served_mock, data, 400)
    assert response.body["error"]["details"] == "method"


def test_chunked_and_length_is_read_as_chunked(served_mock: MockProcess) -> None:
    """RFC 9112 6.3: Transfer-Encoding wins over Content-Length; the request is then closed."""
    ids = fresh_pending(served_mock)
    headers = AUTH + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"
    response = assert_refused_on_the_wire(
        served_mock, request(b"POST", path_of(ids).encode(), headers, chunked(b"abc")), 400
    )
    assert response.body["error"]["details"] == "body"


def test_a_body_over_the_limit_is_413(served_mock: MockProcess) -> None:
    data = request(b"POST", b"/__mock/provider-states", b"Content-Length: 70000\r\n", b"x" * 70000)
    assert_refused_on_the_wire(served_mock, data, 413)


def test_a_chunked_body_over_the_limit_is_413(served_mock: MockProcess) -> None:
    body = b"".join(chunked(b"x" * 16000)[:-5] for _ in range(5)) + b"0\r\n\r\n"
    data = request(b"POST", b"/__mock/provider-states", b"Transfer-Encoding: chunked\r\n", body)
    assert_refused_on_the_wire(served_mock, data, 413)


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


@pytest.mark.parametrize("bad_chunks", [b"5\r\nhello\r\nzz\r\n\r\n", b"3\r\nhello\r\n0\r\n\r\n"])
def test_a_malformed_chunked_body_is_400_not_500(served_mock: MockProcess, bad_chunks: bytes) -> None:
    ids = fresh_pending(served_mock)
    headers = AUTH + b"Transfer-Encoding: chunked\r\n"
    assert_refused_on_the_wire(served_mock, request(b"POST", path_of(ids).encode(), headers, bad_chunks), 400)


def test_a_malformed_chunked_body_to_the_control_api_is_400_not_500(served_mock: MockProcess) -> None:
    data = request(b"POST", b"/__mock/provider-states", b"Transfer-Encoding: chunked\r\n", b"2\r\n{}\r\nzz\r\n\r\n")
    assert_refused_on_the_wire(served_mock, data, 400)


def test_a_content_length_body_that_ends_early_is_400(served_mock: MockProcess) -> None:
    """The client closes its side after 3 of 10 bytes: the body is cut short, never used."""
    data = request(b"POST", b"/__mock/provider-states", b"Content-Length: 10\r\n", b'{"a"')
    with socket.create_connection(served_mock.host_port, timeout=30) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = sock.recv(65536)
    # The parser takes the half-close for the connection's end: no answer, or the envelope's 400.
    assert received == b"" or received.startswith(b"HTTP/1.1 400"), received


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


@pytest.mark.parametrize("value", [b"Bearer sk_test_\xe9xecute", b"Bearer sk_test_\xc3\xa9xecute"])
def test_non_ascii_bytes_in_a_header_are_400(served_mock: MockProcess, value: bytes) -> None:
    """The server reads ASCII header values only: one it cannot read is refused, never silently dropped."""
    ids = fresh_pending(served_mock)
    header = b"Authorization: " + value + b"\r\n"
    response = assert_refused_on_the_wire(served_mock, request(b"POST", path_of(ids).encode(), header), 400)
    assert response.body["error"]["details"] == "headers"
    assert "Authorization" in response.body["error"]["message"] or "authorization" in response.body["error"]["message"]


def test_a_request_after_the_refusals_still_works(served_mock: MockProcess) -> None:
    """The refusals above closed their connections only; the server is still serving."""
    ids = fresh_pending(served_mock)
    assert send_raw(served_mock, request(b"POST", path_of(ids).encode(), AUTH)).status == 200


def test_a_query_of_raw_utf8_bytes_is_read_as_its_text_not_a_500(served_mock: MockProcess) -> None:
    """Bytes outside ASCII sent unencoded in the query (curl sends them so): the endpoint and Flask read
    the text; WSGI carries it as latin-1, which a character past U+00FF is not."""
    unknown = discard_path(workflow_instance_id="0" * 24).encode()
    query = "note=é☃".encode()
    before = instances(served_mock)
    answer = send_raw(served_mock, request(b"POST", unknown + b"?" + query, AUTH))
    assert answer.status == 404, answer
    assert_error_envelope(answer.body)
    control = send_raw(served_mock, request(b"GET", b"/__mock/requests?limit=1&" + query))
    assert control.status == 200, control
    [entry] = control.body["requests"]
    assert entry["query"] == "note=é☃", entry
    assert instances(served_mock) == before
