"""Real `discard-mock serve` processes on free loopback ports, for the tests that need HTTP on the wire.

Each server runs in its own session (process group), so a test can SIGKILL
the gunicorn master and its workers at once, as a crash would, and the
cleanup can never leave a worker behind. Its stderr is read on a thread (so
the pipe never fills) and every line is kept, so tests can look for the
per-request log lines.
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

from .helpers import ACME, ACME_CAMPAIGN, EXECUTE_KEY, ROOT, bearer, path_of

LISTENING = re.compile(r"discard-mock listening on (http://\S+)")


class MockProcess:
    """One `python -m mock_server serve ARGS` on a free loopback port (pass `--quiet` for no request log)."""

    def __init__(self, *args: str, env: Mapping[str, str] | None = None) -> None:
        self.args = [sys.executable, "-m", "mock_server", "serve", "--host", "127.0.0.1", "--port", "0", *args]
        self.env = {**os.environ, **(env or {})}
        self.lines: list[str] = []  # stderr, every line so far
        self._changed = threading.Condition()
        self._closed = False  # stderr reached its end: the process is gone
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self, timeout: float = 30.0) -> MockProcess:
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._read_stderr, daemon=True).start()
        line = self.wait_for_line(LISTENING.search, timeout)
        if line is None:
            self.kill()
            raise RuntimeError(f"the mock did not start: {self.args}\n" + "".join(self.lines))
        match = LISTENING.search(line)
        assert match is not None
        self.base_url = match.group(1)
        return self

    def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_for_line(self, matches: Any, timeout: float = 10.0) -> str | None:
        """The first stderr line for which `matches(line)` is truthy, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            seen = 0
            while True:
                for line in self.lines[seen:]:
                    if matches(line):
                        return line
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return None
                self._changed.wait(min(left, 0.2))

    @property
    def host_port(self) -> tuple[str, int]:
        host, port = self.base_url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The gunicorn master's children (Linux /proc)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    # Stopping ---------------------------------------------------------------

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: a crash, no shutdown code runs."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    def stop(self) -> None:
        """gunicorn's quick shutdown (SIGINT), then SIGKILL for anything still there.

        A graceful one (SIGTERM) waits out keep-alive connections for seconds.
        """
        if self.process is not None and self.process.poll() is None:
            self._signal_group(signal.SIGINT)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        self.kill()

    def _signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        with suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(self.process.pid, signum)  # the session leader's pid is the group id

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
