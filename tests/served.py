"""Real `discard-mock serve` processes for the multi-process tests.

Each server runs in its own session (process group), so a test can SIGKILL
the gunicorn master and its workers at once, as a crash would, and the
cleanup can never leave a worker behind.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mock_server.seed import DEFAULT_DATA

ROOT = Path(__file__).resolve().parents[1]
LISTENING = re.compile(r"discard-mock listening on (http://\S+)")
EXECUTE_KEY = "sk_test_execute"
GROUP = "acme-retail"


class MockProcess:
    """One `python -m mock_server serve` on a free loopback port."""

    def __init__(self, *args: str, env: Mapping[str, str] | None = None) -> None:
        self.args = [sys.executable, "-m", "mock_server", "serve", "--host", "127.0.0.1", "--port", "0", "--quiet"]
        self.args += args
        self.env = {**os.environ, **(env or {})}
        self.stderr: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self._ready = threading.Event()

    def start(self, timeout: float = 30.0) -> MockProcess:
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read_stderr, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"the mock did not start: {self.args}\n{''.join(self.stderr)}")
        return self

    def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)
            match = LISTENING.search(line)
            if match and not self._ready.is_set():
                self.base_url = match.group(1)
                self._ready.set()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The gunicorn master's children (Linux /proc)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: a crash, no shutdown code runs."""
        self._signal_group(signal.SIGKILL)
        self._reap()

    def stop(self) -> None:
        """A graceful stop, then SIGKILL for anything still there."""
        if self.process is not None and self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        self.kill()

    def _signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        with suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(self.process.pid, signum)  # the session leader's pid is the group id

    def _reap(self) -> None:
        if self.process is not None:
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    # HTTP -----------------------------------------------------------------

    def call(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, body: Any = None
    ) -> tuple[int, dict[str, str], Any]:
        return call(self.base_url + path, method, headers=headers, body=body)

    def discard(self, instance: Mapping[str, str], key: str = EXECUTE_KEY) -> tuple[int, dict[str, str], Any]:
        return self.call("POST", discard_path(instance), headers={"Authorization": f"Bearer {key}"})

    def instances(self) -> dict[str, dict[str, Any]]:
        status, _, body = self.call("GET", "/__mock/instances")
        assert status == 200, body
        return {doc["workflowInstanceId"]: doc for doc in body["instances"]}


@contextmanager
def served(*args: str, env: Mapping[str, str] | None = None) -> Iterator[MockProcess]:
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


def discard_path(instance: Mapping[str, str]) -> str:
    return (
        f"/v1/accounts/{instance['accountGroupId']}/campaigns/{instance['campaignId']}"
        f"/workflow-instances/{instance['workflowInstanceId']}/discard"
    )


def instance_doc(index: int, *, pending: bool = True, prefix: str = "a") -> dict[str, Any]:
    """A valid instance document with a 24-hex ID derived from `index`."""
    return {
        "workflowInstanceId": f"{prefix}{index:023x}",
        "accountGroupId": GROUP,
        "campaignId": "507f191e810c19729de860ea",
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
