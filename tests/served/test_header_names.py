"""A header field named with '_' is refused (400, naming it), never read as its '-' twin.

WSGI names header fields by upper-casing them and turning '-' into '_', so
`X-Mock-Control_Token` and `X-Mock-Control-Token` arrive as one name: the first
was accepted as the control token. Over the wire, as only the server sees the
field's own name.
"""

from __future__ import annotations

import pytest

from ..support.helpers import EXECUTE_KEY, assert_error_envelope, discard_path
from ..support.served import served
from .test_raw_http import send_raw

TOKEN = "team-token-1234"


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ("/__mock/faults", f"X-Mock-Control_Token: {TOKEN}"),
        (discard_path(workflow_instance_id="0" * 24), f"Authorization: Bearer {EXECUTE_KEY}\r\nX_Api_Key: k"),
    ],
    ids=["control-token", "any-field"],
)
def test_a_field_named_with_an_underscore_is_refused_and_named(target: str, field: str) -> None:
    name = field.split("\r\n")[-1].split(":")[0]
    with served("--quiet", "--control-token", TOKEN) as mock:
        method = "GET" if target.startswith("/__mock") else "POST"
        data = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{field}\r\n\r\n".encode()
        response = send_raw(mock, data)
        assert response.status == 400, response
        assert_error_envelope(response.body, 400)
        message = response.body["error"]["message"].lower()  # the server reads names lower-cased
        assert name.lower() in message and name.lower().replace("_", "-") in message, message
        # With the field as HTTP spells it, the same request is served.
        fixed = data.replace(name.encode(), name.replace("_", "-").encode())
        assert send_raw(mock, fixed).status in (200, 404)
