"""No credential in clear: not in the journal (GET /__mock/requests, what the console shows), not in the log.

Each request goes over the wire to a served mock with a control token, so
repeated fields reach the app as the server joins them; then the journal and
every log line are searched for the credentials sent.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator

import pytest

from mock_server.redaction import REDACTED, Redactor, mask_key

from ..support.helpers import EXECUTE_KEY, discard_path
from ..support.served import MockProcess

TOKEN = "ctl-token-7f3a9c41"  # the control token
PASSWORD = "hunter2-password"
BASIC = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
SECRETS = (EXECUTE_KEY, TOKEN, PASSWORD, BASIC)
CONTROL = {"X-Mock-Control-Token": TOKEN}
UNKNOWN = discard_path(workflow_instance_id="0" * 24)  # journalled, answered 404, changes nothing

# What a client may send a credential in: (header lines, query string).
SENT = {
    "a Bearer key and a second word": ([f"Authorization: Bearer {EXECUTE_KEY} x"], ""),
    "two Authorization fields": ([f"Authorization: Bearer {EXECUTE_KEY}", f"Authorization: Bearer {EXECUTE_KEY}"], ""),
    "two credentials in one field": ([f"Authorization: Bearer {EXECUTE_KEY}, Bearer y"], ""),
    "a bare key": ([f"Authorization: {EXECUTE_KEY}"], ""),
    "Basic": ([f"Authorization: Basic {BASIC}"], ""),
    "Proxy-Authorization": ([f"Proxy-Authorization: Bearer {EXECUTE_KEY}"], ""),
    "X-Auth-Token": ([f"X-Auth-Token: {EXECUTE_KEY}"], ""),
    "X-Client-Secret": ([f"X-Client-Secret: {PASSWORD}"], ""),
    "X-Session-Id": ([f"X-Session-Id: {PASSWORD}"], ""),
    "a cookie": ([f"Cookie: theme=dark; session={PASSWORD}"], ""),
    "the control token in any header": ([f"X-Debug: {TOKEN}"], ""),
    "a key in the query": ([], f"api_key={EXECUTE_KEY}&limit=1"),
    "an access token in the query": ([], f"access_token={EXECUTE_KEY}"),
    "a password in the query": ([], f"user=alice&password={PASSWORD}"),
    "the control token as ?t=": ([], f"t={TOKEN}"),
    "the control token percent-encoded": ([], "t=" + "".join(f"%{b:02X}" for b in TOKEN.encode())),
}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    process = MockProcess("--control-token", TOKEN).start()  # not --quiet: every request is logged
    try:
        yield process
    finally:
        process.stop()


def send(mock: MockProcess, target: str, header_lines: list[str]) -> bytes:
    """One request as written, repeated fields and all; the answer, read to the close."""
    head = "".join(f"{line}\r\n" for line in header_lines)
    data = f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{head}\r\n".encode()
    with socket.create_connection(mock.host_port, timeout=30) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def in_clear(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.mark.parametrize("form", SENT)
def test_the_journal_never_shows_a_credential_in_clear(mock: MockProcess, form: str) -> None:
    header_lines, query = SENT[form]
    assert mock.call("DELETE", "/__mock/requests", headers=CONTROL)[0] == 200
    answer = send(mock, UNKNOWN + (f"?{query}" if query else ""), header_lines)
    assert answer.startswith(b"HTTP/1.1 "), answer
    status, _, body = mock.call("GET", "/__mock/requests", headers=CONTROL)
    assert status == 200
    [entry] = body["requests"]
    assert entry["path"] == UNKNOWN
    shown = json.dumps(entry, ensure_ascii=False)
    assert in_clear(shown) == [], shown


def test_masked_keys_still_tell_keys_apart(mock: MockProcess) -> None:
    assert mock.call("DELETE", "/__mock/requests", headers=CONTROL)[0] == 200
    send(mock, UNKNOWN, [f"Authorization: Bearer {EXECUTE_KEY}", "Authorization: Bearer sk_test_readonly"])
    send(mock, UNKNOWN + f"?api_key={EXECUTE_KEY}&limit=1", [f"Proxy-Authorization: Basic {BASIC}"])
    first, second = mock.call("GET", "/__mock/requests", headers=CONTROL)[2]["requests"]
    assert first["headers"]["Authorization"] == "Bearer sk_test_…cute, Bearer sk_test_…only"
    assert second["query"] == "api_key=sk_test_…cute&limit=1"
    assert second["headers"]["Proxy-Authorization"] == f"Basic {REDACTED}"


def test_the_log_never_shows_the_control_token(mock: MockProcess) -> None:
    """The log line names the path: a token a client put there is replaced."""
    path = f"/v1/{TOKEN}/nowhere"
    trace_id = json.loads(send(mock, path, []).partition(b"\r\n\r\n")[2])["traceId"]
    line = mock.wait_for_line(lambda text: trace_id in text)
    assert line is not None and f"/v1/{REDACTED}/nowhere" in line, line
    leaked = [line for line in mock.lines if in_clear(line)]
    assert leaked == [], leaked
    status, _, body = mock.call("GET", "/__mock/requests", headers=CONTROL)
    # Nor the journal's path, nor the 404's message that names it.
    assert status == 200 and in_clear(json.dumps(body, ensure_ascii=False)) == []


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("Authorization", "Bearer sk_test_execute", "Bearer sk_test_…cute"),
        ("authorization", "bearer sk_test_execute   sk_test_readonly", "bearer sk_test_…cute sk_test_…only"),
        ("Authorization", "Bearer", "Bearer"),
        ("Authorization", "Bearer y", "Bearer …"),
        ("Authorization", "Digest username=alice, response=abc", f"Digest {REDACTED}, {REDACTED}"),
        ("X-API-Key", "sk_live_abcdef123456", "sk_live_…3456"),
        ("X-Mock-Control-Token", "anything", REDACTED),
        ("Accept", "application/json", "application/json"),
        ("Keep-Alive", "timeout=5", "timeout=5"),
    ],
)
def test_each_value_is_masked_by_its_name_and_form(name: str, value: str, shown: str) -> None:
    assert Redactor().value(name, value) == shown


@pytest.mark.parametrize("key", ["x", "abcde", "sk_live_ab", "sk_test_execute", "0123456789abcdef0123"])
def test_a_masked_key_never_shows_most_of_it(key: str) -> None:
    masked = mask_key(key)
    shown = masked.replace("…", "")
    assert key not in masked and len(shown) <= max(len(key) - 3, key.rfind("_") + 1), masked
