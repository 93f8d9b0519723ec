"""Faults a network makes, injected by `discard-mock proxy` in front of its upstream.

The proxy goes through the mock's app factory, so its fault list is the
mock's: a kind that breaks the connection needs `proxy --server gunicorn`, as
it needs `serve --server gunicorn`, and the upstream never sees the request.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ..support.helpers import bearer, path_of
from ..support.proxied import ProxyProcess, provision, proxied
from ..support.served import MockProcess


@pytest.fixture(scope="module")
def gunicorn_proxy(upstream: MockProcess) -> Iterator[ProxyProcess]:
    with proxied(upstream.base_url, "--quiet", "--server", "gunicorn") as started:
        yield started


def journal_size(mock: MockProcess) -> int:
    return len(requests.get(mock.url("/__mock/requests"), timeout=10).json()["requests"])


def faulted(proxy: ProxyProcess, **fault: Any) -> str:
    """The discard path of a fresh instance with a fault of its own on the proxy."""
    ids = provision(proxy)
    status, _, added = proxy.call(
        "POST", "/__mock/faults", body={**fault, "workflowInstanceId": ids["workflowInstanceId"]}
    )
    assert status == 201, added
    return path_of(ids)


def test_a_reset_through_the_proxy_breaks_the_connection_and_the_upstream_never_sees_the_request(
    gunicorn_proxy: ProxyProcess, upstream: MockProcess
) -> None:
    path = faulted(gunicorn_proxy, kind="connection-reset", count=1)
    before = journal_size(upstream)
    with pytest.raises(requests.ConnectionError):
        requests.post(gunicorn_proxy.url(path), headers=bearer(), timeout=10)
    assert journal_size(upstream) == before
    journaled = requests.get(gunicorn_proxy.url("/__mock/requests"), timeout=10).json()["requests"]
    assert [e["status"] for e in journaled if e["path"] == path] == [0], "journaled as a request without answer"
    assert requests.post(gunicorn_proxy.url(path), headers=bearer(), timeout=10).status_code == 200  # count spent


def test_a_slow_body_through_the_proxy_is_the_upstream_answer_dribbled_out_whole(gunicorn_proxy: ProxyProcess) -> None:
    path = faulted(gunicorn_proxy, kind="slow-body", latencyMs=300, count=1)
    connection = http.client.HTTPConnection(*gunicorn_proxy.host_port, timeout=10)
    connection.request("POST", path, headers=bearer())
    answer = connection.getresponse()
    pieces = []
    while piece := answer.read1(65536):
        pieces.append(piece)
    connection.close()
    assert answer.status == 200
    assert len(pieces) > 1  # sent in pieces, not at once
    assert json.loads(b"".join(pieces))["data"]["action"] == "discarded"


def test_the_default_proxy_refuses_a_breaking_fault_and_names_the_server_that_can(proxy: ProxyProcess) -> None:
    status, _, body = proxy.call("POST", "/__mock/faults", body={"kind": "empty-response"})
    assert status == 409 and "--server gunicorn" in body["error"]["message"], body
