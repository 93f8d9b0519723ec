"""The supervisor and its workers under traffic: a crashed worker is replaced, a dead supervisor takes its workers.

Real processes: `serve --workers N --store sqlite:…` on a loopback port,
discards sent from several client threads while a worker, then the
supervisor, is killed with SIGKILL (no shutdown code runs, as in an OOM
kill). Bounds are generous deadlines that only a server that never
recovers, or workers that never leave, would reach.
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..support.helpers import ACME, ACME_CAMPAIGN
from ..support.served import MockProcess, served

WORKERS = 3
CLIENT_THREADS = 4
DEADLINE = 30.0  # seconds; a replacement or an exit takes well under one
# A discard every worker answers 404, changing nothing, however often it is sent.
UNKNOWN = {"accountGroupId": ACME, "campaignId": ACME_CAMPAIGN, "workflowInstanceId": "0" * 24}


def wait_until(condition: Callable[[], bool], timeout: float = DEADLINE) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def gone(pid: int) -> bool:
    """The process has exited (it may wait as a zombie for its new parent to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


class Traffic:
    """Discards from several threads, each on a fresh connection, until stopped; each answer's status, or 0 for none."""

    def __init__(self, mock: MockProcess) -> None:
        self.mock = mock
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def _client(self) -> None:
        while not self._stop.is_set():
            try:
                status = self.mock.discard(UNKNOWN)[0]
            except (OSError, http.client.HTTPException):
                status = 0
            with self._lock:
                self.statuses.append(status)

    def count(self) -> int:
        with self._lock:
            return len(self.statuses)

    @contextmanager
    def running(self, threads: int = CLIENT_THREADS) -> Iterator[Traffic]:
        clients = [threading.Thread(target=self._client) for _ in range(threads)]
        for client in clients:
            client.start()
        try:
            yield self
        finally:
            self._stop.set()
            for client in clients:
                client.join(timeout=DEADLINE + 5)


def test_a_killed_worker_is_replaced_while_the_others_keep_serving(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'mock.db'}"
    with served("--quiet", "--workers", str(WORKERS), "--store", store) as mock:
        traffic = Traffic(mock)
        with traffic.running():
            assert wait_until(lambda: traffic.count() >= 50 and len(mock.worker_pids()) == WORKERS)
            victim = mock.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            assert wait_until(lambda: victim not in (pids := mock.worker_pids()) and len(pids) == WORKERS), (
                "the dead worker was not replaced",
                mock.worker_pids(),
            )
            replaced_at = traffic.count()
            assert wait_until(lambda: traffic.count() >= replaced_at + 100)
        assert mock.process is not None and mock.process.poll() is None, "the server lives on"
        statuses = Counter(traffic.statuses)
        # Only a request the killed worker was answering can go unanswered: one per client thread at most;
        # every other request, before the replacement and after it, was answered.
        assert set(statuses) <= {404, 0} and statuses[0] <= CLIENT_THREADS, statuses


def test_a_killed_supervisor_takes_its_workers_along_and_frees_the_port(tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'mock.db'}"
    mock = MockProcess("--quiet", "--workers", str(WORKERS), "--store", store).start()
    try:
        _, port = mock.host_port
        assert wait_until(lambda: len(mock.worker_pids()) == WORKERS)  # spawned just after the announcement
        workers = mock.worker_pids()
        traffic = Traffic(mock)
        with traffic.running():
            assert wait_until(lambda: traffic.count() >= 50)
            assert mock.process is not None
            mock.process.kill()  # SIGKILL to the supervisor alone: its workers get no word from it
            mock.process.wait(timeout=DEADLINE)
            assert wait_until(lambda: all(gone(pid) for pid in workers)), [pid for pid in workers if not gone(pid)]
        # The port is free: the same command starts again on it.
        with served("--quiet", "--port", str(port), "--workers", str(WORKERS), "--store", store) as again:
            assert again.host_port == ("127.0.0.1", port)
            assert again.discard(UNKNOWN)[0] == 404
    finally:
        mock.kill()
