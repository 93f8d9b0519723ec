"""Names, paths and checks the mock's tests share.

The IDs and keys here are the shipped data's (mock_server/data/seed.json), so a
test reads like the README's examples.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mock_server.spec import Spec

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(__file__).resolve().parent / "data"

EXECUTE_KEY = "sk_test_execute"  # campaigns:execute, both seeded account groups
READONLY_KEY = "sk_test_readonly"  # campaigns:read only
OTHER_GROUP_KEY = "sk_test_other_group"  # campaigns:execute, globex-media only

ACME = "acme-retail"
GLOBEX = "globex-media"
ACME_CAMPAIGN = "507f191e810c19729de860ea"
ACME_OTHER_CAMPAIGN = "64b7f0c2a1e4d93f5c2b8a01"
GLOBEX_CAMPAIGN = "65a1c3e5f2d4b6a8c0e2f401"

DOCS_INSTANCE = "507f1f77bcf86cd799439011"  # the docs' example ID, pending in the shipped data
DOCS_LEAD = "64b7f0c2a1e4d93f5c2b8a10"
PENDING_ACME = "64b7f0c2a1e4d93f5c2b8b01"  # pending, ACME_CAMPAIGN
PENDING_ACME_OTHER_CAMPAIGN = "64b7f0c2a1e4d93f5c2b8b06"  # pending, ACME_OTHER_CAMPAIGN
PENDING_GLOBEX = "65a1c3e5f2d4b6a8c0e2f501"  # pending, GLOBEX_CAMPAIGN
UNKNOWN_INSTANCE = "000000000000000000000000"
UNKNOWN_CAMPAIGN = "ffffffffffffffffffffffff"

# Seeded instances that are not pending approval: (accountGroupId, campaignId, workflowInstanceId, status)
NOT_PENDING_SEEDED = (
    (ACME, ACME_CAMPAIGN, "64b7f0c2a1e4d93f5c2b8b03", "waiting"),
    (ACME, ACME_CAMPAIGN, "64b7f0c2a1e4d93f5c2b8b04", "completed"),
    (ACME, ACME_CAMPAIGN, "64b7f0c2a1e4d93f5c2b8b05", "stopped"),
    (ACME, ACME_OTHER_CAMPAIGN, "64b7f0c2a1e4d93f5c2b8b07", "not_started"),
    (ACME, ACME_OTHER_CAMPAIGN, "64b7f0c2a1e4d93f5c2b8b08", "stopped"),
    (GLOBEX, GLOBEX_CAMPAIGN, "65a1c3e5f2d4b6a8c0e2f503", "not_in_campaign"),
    (GLOBEX, GLOBEX_CAMPAIGN, "65a1c3e5f2d4b6a8c0e2f504", "not_eligible"),
    (GLOBEX, GLOBEX_CAMPAIGN, "65a1c3e5f2d4b6a8c0e2f505", "completed"),
)

PENDING_STATE = "a workflow instance pending approval"
NOT_PENDING_STATE = "a workflow instance not pending approval"

LISTENING = re.compile(r"discard-mock listening on (http://\S+)")


def discard_path(
    account_group_id: str = ACME, campaign_id: str = ACME_CAMPAIGN, workflow_instance_id: str = DOCS_INSTANCE
) -> str:
    """The public endpoint's path for these IDs (not percent-encoded: callers pick what they send)."""
    return f"/v1/accounts/{account_group_id}/campaigns/{campaign_id}/workflow-instances/{workflow_instance_id}/discard"


def path_of(ids: Mapping[str, str]) -> str:
    """The discard path for a provider state's answer (or any mapping with the three ID fields)."""
    return discard_path(ids["accountGroupId"], ids["campaignId"], ids["workflowInstanceId"])


def bearer(key: str = EXECUTE_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_error_envelope(body: Any, status: int | None = None) -> None:
    """The documented error envelope: success false, data null, a code and message, a traceId."""
    assert isinstance(body, dict), f"not a JSON object: {body!r}"
    assert set(body) >= {"success", "data", "error", "traceId"}, body
    assert body["success"] is False, body
    assert body["data"] is None, body
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    assert error.get("details") is None or isinstance(error["details"], str), body
    assert isinstance(body["traceId"], str) and body["traceId"], body
    if status == 400:
        assert error["code"] == "VALIDATION_ERROR", body


def is_json_content_type(value: str | None) -> bool:
    return (value or "").split(";")[0].strip().lower() == "application/json"


class ServedMock:
    """The real `discard-mock serve` process on a free loopback port.

    Its stderr is read on a thread (so the pipe never fills) and kept, so tests
    can look for the per-request log lines.
    """

    def __init__(self, *args: str, env: Mapping[str, str] | None = None) -> None:
        self.args = [sys.executable, "-m", "mock_server", "serve", "--host", "127.0.0.1", "--port", "0", *args]
        self.env = {**os.environ, **(env or {})}
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._closed = False  # stderr reached its end: the process is gone
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self, timeout: float = 30.0) -> ServedMock:
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
        )  # fmt: skip
        threading.Thread(target=self._read_stderr, daemon=True).start()
        line = self.wait_for_line(LISTENING.search, timeout)
        if line is None:
            self.stop()
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

    def stop(self) -> None:
        """gunicorn's quick shutdown (SIGINT): a graceful one waits out keep-alive connections for seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


def run_cli(args: Sequence[str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """`python -m mock_server ARGS` to completion (for invocations that must exit)."""
    return subprocess.run(
        [sys.executable, "-m", "mock_server", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def load_json(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def iter_examples(spec: Spec, operation_id: str) -> Iterator[tuple[int, str, Any]]:
    """(status, example name, example value) for every example of an operation's JSON responses."""
    for item in spec.document["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                for status, response in op["responses"].items():
                    content = spec.resolve(response)["content"]["application/json"]
                    for name, example in content.get("examples", {}).items():
                        yield int(status), name, spec.resolve(example)["value"]
