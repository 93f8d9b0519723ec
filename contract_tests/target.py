"""What the suite tests: a base URL given on the command line, or the bundled mock."""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import requests

# The bundled mock's documented keys (README, "Default keys").
BUNDLED_API_KEY = "sk_test_execute"
BUNDLED_KEY_WITHOUT_PERMISSION = "sk_test_readonly"
BUNDLED_STATE_PATH = "/__mock/provider-states"

_LISTENING = re.compile(r"discard-mock listening on (http://\S+)")


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
            f"provider states at {self.state_setup_url}"
            if self.state_setup_url
            else f"fixtures file {self.fixtures_file}"
            if self.fixtures_file
            else "no provisioned instances"
        )
        return f"{self.base_url} ({self.kind}); {source}"


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


class BundledMock:
    """`discard-mock serve --port 0` in a child process, on loopback."""

    def __init__(self, startup_timeout: float = 30.0) -> None:
        self._timeout = startup_timeout
        self._process: subprocess.Popen[str] | None = None
        self._output: deque[str] = deque(maxlen=200)
        self.url = ""

    def start(self) -> str:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--host", "127.0.0.1", "--port", "0", "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        found = threading.Event()
        threading.Thread(target=self._read, args=(found,), daemon=True).start()
        if not found.wait(self._timeout) or not self.url:
            self.stop()
            raise RuntimeError(
                f"the bundled mock did not start within {self._timeout:.0f} s; its output:\n" + "".join(self._output)
            )
        return self.url

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def _read(self, found: threading.Event) -> None:
        assert self._process and self._process.stderr
        for line in self._process.stderr:  # drained to the end, so the child never blocks on a full pipe
            self._output.append(line)
            if not found.is_set() and (match := _LISTENING.search(line)):
                self.url = match.group(1)
                found.set()
        found.set()
