"""What the suite tests: a base URL given on the command line, or the bundled mock."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import requests

from .credentials import redact_url

# The bundled mock's documented keys (README, "Default keys").
BUNDLED_API_KEY = "sk_test_execute"
BUNDLED_KEY_WITHOUT_PERMISSION = "sk_test_readonly"
BUNDLED_STATE_PATH = "/__mock/provider-states"

LISTENING = re.compile(r"discard-mock listening on (http://\S+)")


@dataclass(frozen=True)
class Target:
    """Where requests go, and what the suite was given to use there."""

    base_url: str
    api_key: str | None
    api_key_without_permission: str | None
    state_setup_url: str | None
    fixtures_file: str | None
    kind: str = "the given base URL"

    def with_mock_defaults(self, kind: str) -> Target:
        """A discard-mock needs no options: its documented keys and provider states fill what was not given.

        An option given empty (`--state-setup-url=`) stays off.
        """
        state_url = None if self.fixtures_file else self.base_url + BUNDLED_STATE_PATH
        return replace(
            self,
            api_key=_given_or(self.api_key, BUNDLED_API_KEY),
            api_key_without_permission=_given_or(self.api_key_without_permission, BUNDLED_KEY_WITHOUT_PERMISSION),
            state_setup_url=_given_or(self.state_setup_url, state_url),
            kind=kind,
        )

    def describe(self) -> str:
        source = (
            f"provider states at {redact_url(self.state_setup_url)}"
            if self.state_setup_url
            else f"fixtures file {self.fixtures_file}"
            if self.fixtures_file
            else "no provisioned instances"
        )
        return f"{redact_url(self.base_url)} ({self.kind}); {source}"


def _given_or(value: str | None, default: str | None) -> str | None:
    return default if value is None else value or None


def is_local_discard_mock(base_url: str) -> bool:
    """True for a discard-mock on a loopback address (its control API answers).

    Only loopback targets are asked, so a real deployment never sees the probe.
    """
    host = urlsplit(base_url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
    if not loopback:
        return False
    try:
        answer = requests.get(f"{base_url}/__mock/requests", params={"limit": 1}, timeout=3)
        return answer.status_code == 200 and "requests" in answer.json()
    except (requests.RequestException, ValueError):
        return False


class MockProcess:
    """`python -m mock_server serve ARGS` in a child process on a free loopback port.

    The one launcher of a served mock, for the suite's bundled mock and the
    project's own tests. The child runs in its own session (process group), so a
    stop or a kill reaches the server's main process and workers at once and never leaves
    a worker behind. Its stderr is read on a thread (the pipe never fills) and
    every line is kept, so a caller can wait for a log line.
    """

    def __init__(self, *args: str, env: Mapping[str, str] | None = None, cwd: str | None = None) -> None:
        self.args = [sys.executable, "-m", "mock_server", "serve", "--host", "127.0.0.1", "--port", "0", *args]
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.cwd = cwd
        self.lines: list[str] = []  # stderr, every line so far
        self._changed = threading.Condition()
        self._closed = False  # stderr reached its end: the process is gone
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self, timeout: float = 30.0) -> MockProcess:
        self.process = subprocess.Popen(
            self.args, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._read_stderr, daemon=True).start()
        line = self.wait_for_line(LISTENING.search, timeout)
        if line is None:
            self.kill()
            raise RuntimeError(f"the mock did not start within {timeout:.0f} s: {self.args}\n" + "".join(self.lines))
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

    def wait_for_line(self, matches: Callable[[str], Any], timeout: float = 10.0) -> str | None:
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
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: a crash, no shutdown code runs."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    def stop(self) -> None:
        """The server's shutdown (SIGINT, as Ctrl-C), then SIGKILL for anything still there.

        It stops its workers, giving a busy one a few seconds.
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
