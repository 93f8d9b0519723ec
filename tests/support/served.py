"""Real `discard-mock serve` processes on free loopback ports, for the tests that need HTTP on the wire.

The launcher is the contract suite's (`contract_tests.target.MockProcess`): its
own process group, so a test can SIGKILL the server's main process and its workers at
once, as a crash would, and every stderr line kept for tests that look for the
per-request log lines. This adds the HTTP helpers the tests use.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from contract_tests.target import MockProcess as ServedMock
from mock_server.seed import DEFAULT_DATA

from .helpers import ACME, ACME_CAMPAIGN, EXECUTE_KEY, ROOT, bearer, path_of


class MockProcess(ServedMock):
    """The suite's mock launcher, run from the repository, with HTTP helpers for the tests."""

    def __init__(self, *args: str, env: Mapping[str, str] | None = None) -> None:
        super().__init__(*args, env=env, cwd=str(ROOT))

    @property
    def host_port(self) -> tuple[str, int]:
        host, port = self.base_url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def url(self, path: str) -> str:
        return self.base_url + path

    def worker_pids(self) -> list[int]:
        """The server's worker processes: its main process's children (Linux /proc)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    # HTTP -------------------------------------------------------------------

    def call(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, body: Any = None
    ) -> tuple[int, dict[str, str], Any]:
        return call(self.url(path), method, headers=headers, body=body)

    def discard(self, instance: Mapping[str, str], key: str = EXECUTE_KEY) -> tuple[int, dict[str, str], Any]:
        return self.call("POST", path_of(instance), headers=bearer(key))

    def instances(self) -> dict[str, dict[str, Any]]:
        status, _, body = self.call("GET", "/__mock/instances")
        assert status == 200, body
        return {doc["workflowInstanceId"]: doc for doc in body["instances"]}


@contextmanager
def served(*args: str, env: Mapping[str, str] | None = None) -> Iterator[MockProcess]:
    """A started MockProcess, stopped on the way out."""
    mock = MockProcess(*args, env=env).start()
    try:
        yield mock
    finally:
        mock.stop()


def call(
    url: str,
    method: str = "GET",
    *,
    headers: Mapping[str, str] | None = None,
    body: Any = None,
    timeout: float = 30.0,
) -> tuple[int, dict[str, str], Any]:
    """One request on a fresh connection (so parallel calls spread over the workers)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    data = None if body is None else json.dumps(body).encode()
    sent = dict(headers or {})
    if data is not None:
        sent["Content-Type"] = "application/json"
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=data, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(raw) if raw else None
    finally:
        connection.close()


def instance_doc(index: int, *, pending: bool = True, prefix: str = "a") -> dict[str, Any]:
    """A valid instance document with a 24-hex ID derived from `index`."""
    return {
        "workflowInstanceId": f"{prefix}{index:023x}",
        "accountGroupId": ACME,
        "campaignId": ACME_CAMPAIGN,
        "leadId": f"c{index:023x}",
        "workflowStatus": "pending" if pending else "waiting",
        "latestStep": "awaiting_approval" if pending else "wait_3_days",
        "workflowStopReason": None,
        "hasPendingApproval": pending,
    }


def write_data_file(path: Path, instances: Sequence[Mapping[str, Any]]) -> Path:
    """A data file with the shipped API keys and these instances."""
    shipped = json.loads(DEFAULT_DATA.read_text(encoding="utf-8"))
    path.write_text(json.dumps({"apiKeys": shipped["apiKeys"], "instances": list(instances)}), encoding="utf-8")
    return path
