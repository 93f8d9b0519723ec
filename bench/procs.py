"""Servers under test as child processes: each in its own process group, always stopped.

Every server runs in a session of its own, so stopping it reaches the server's
master and all its workers (or Prism's node processes) at once, and a bench
interrupted half-way never leaves one behind (`stop_all` runs at exit and on
SIGTERM/SIGINT).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_running: list[ServerProcess] = []


@dataclass
class Memory:
    """Memory of a server's processes: what they share counted once (PSS), and the largest peak."""

    pss_mb: float
    rss_mb: float  # the sum of resident sets, shared pages counted in each process
    peak_rss_mb: float  # the largest VmHWM of any one process


@dataclass
class ServerProcess:
    """A command that serves HTTP on loopback.

    Ready when it prints a line matching `ready` (the base URL as group 1), or,
    for a server that prints nothing (Prism when silent), when `url` accepts
    connections.
    """

    name: str
    argv: Sequence[str]
    ready: re.Pattern[str] | None
    env: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    started_in: float = 0.0  # seconds from spawning to the ready line
    process: subprocess.Popen[bytes] | None = None
    log: Any = None  # the server's output goes to this file, not a pipe a thread of ours would have to drain

    def start(self, timeout: float = 120.0) -> ServerProcess:
        began = time.perf_counter()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            list(self.argv),
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _running.append(self)
        deadline = began + timeout
        while not self._ready():
            if self.process.poll() is not None or time.perf_counter() > deadline:
                output, code = self.output(), self.process.poll()  # read before stop() closes the log
                self.stop()
                why = f"it exited with {code}" if code is not None else f"no ready line within {timeout:.0f} s"
                raise RuntimeError(f"{self.name} did not start ({why}): {' '.join(self.argv)}\n{output}")
            time.sleep(0.01)
        self.started_in = time.perf_counter() - began
        return self

    def _ready(self) -> bool:
        if self.ready is None:
            return _accepts(self.url)
        match = self.ready.search(self.output(limit=None))
        if match:
            self.url = match.group(1)
        return match is not None

    def output(self, limit: int | None = 4000) -> str:
        """What the server printed (its last `limit` characters)."""
        if self.log is None:
            return ""
        self.log.seek(0)
        text = self.log.read().decode("utf-8", "replace")
        return text if limit is None else text[-limit:]

    def wait_answering(self, timeout: float = 60.0) -> float:
        """Seconds from spawning until the server answered an HTTP request (any status).

        The "listening" line comes before the workers exist; a user's first
        request waits for them too, so start-up ends at the first answer.
        """
        began = time.perf_counter() - self.started_in
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1):
                    pass
            except urllib.error.HTTPError:
                pass  # an answer, if not a 200
            except OSError:
                time.sleep(0.01)
                continue
            return time.perf_counter() - began
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s")

    def pids(self) -> list[int]:
        """Every live process of the server's group."""
        if self.process is None:
            return []
        group = self.process.pid
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group:  # field 5 of stat: the process group
                found.append(int(entry.name))
        return found

    def memory(self) -> Memory:
        pss = rss = peak = 0.0
        for pid in self.pids():
            try:
                rollup = _kb_fields(Path(f"/proc/{pid}/smaps_rollup").read_text())
                status = _kb_fields(Path(f"/proc/{pid}/status").read_text())
            except OSError:
                continue
            pss += rollup.get("Pss", 0) / 1024
            rss += rollup.get("Rss", 0) / 1024
            peak = max(peak, status.get("VmHWM", 0) / 1024)
        return Memory(pss_mb=pss, rss_mb=rss, peak_rss_mb=peak)

    def stop(self) -> None:
        """SIGTERM to the whole group, SIGKILL if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait()
        _signal_group(self.process.pid, signal.SIGKILL)  # workers that outlived their master
        if self in _running:
            _running.remove(self)
        if self.log is not None:
            self.log.close()
            self.log = None


def _accepts(url: str) -> bool:
    host, _, port = url.removeprefix("http://").partition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.2):
            return True
    except OSError:
        return False


def _signal_group(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, sig)


def _kb_fields(text: str) -> dict[str, int]:
    values = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            values[name.strip()] = int(parts[0])
    return values


def stop_all() -> None:
    for server in list(_running):
        server.stop()


def _on_signal(signum: int, _frame: object) -> None:
    stop_all()
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    """Stop every server at exit, on Ctrl-C and on SIGTERM."""
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


def free_port() -> int:
    """A free loopback port, for servers that cannot pick their own (Prism)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pids: Sequence[int]) -> float:
    """User plus system CPU time the processes used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total
