"""A network store known to be down is answered at once: one background probe per process says when it is back.

Without it, every request met the outage on its own: each waited its socket
timeouts, so with N requests queued on a worker's threads the last waited
N / threads times as long (160 concurrent discards against a hung Redis
waited up to 10 s). Here the first failure marks the store down; from then on
`check` raises at once, without touching the network, while one thread of
the process probes the store every `interval` seconds and lets requests
through again on its first success. A store is only ever tried by the
requests in flight when it failed, and by the probe.

Threads do not survive a fork: a worker forked while the store is down
starts its own probe on its first request.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from .interfaces import StoreUnavailable

log = logging.getLogger("discard_mock")

PROBE_INTERVAL_SECONDS = 0.25


class OutageGate:
    """Whether a store is known to be down, and the one probe that watches for its return."""

    def __init__(self, probe: Callable[[], None], interval: float = PROBE_INTERVAL_SECONDS) -> None:
        """`probe()` returns when the store answers, raises StoreUnavailable saying why when it does not."""
        self._probe = probe
        self.interval = interval
        self._down: StoreUnavailable | None = None  # replaced whole: readers need no lock
        self._prober: int | None = None  # the pid whose thread probes; None when none does
        self._lock = threading.Lock()

    @property
    def down(self) -> StoreUnavailable | None:
        """Why the store is known to be down, or None."""
        return self._down

    def check(self) -> None:
        """Raises StoreUnavailable, at once, while the store is known to be down; nothing was sent to it."""
        down = self._down
        if down is None:
            return
        if self._prober != os.getpid():  # forked while down: this process has no probe yet
            self._start_probing()
        raise StoreUnavailable(str(down))

    def failed(self, error: StoreUnavailable) -> None:
        """The store just failed a call: requests fail fast from now on, until the probe reaches it."""
        if self._down is None:
            log.warning("discard-mock: %s; answering 503 at once until it is back", error)
        self._down = error
        self._start_probing()

    def reset(self) -> None:
        """Forgets the outage and ends the probe (before a fork: each worker finds out for itself)."""
        with self._lock:
            self._down = None
            self._prober = None

    def _start_probing(self) -> None:
        with self._lock:
            if self._prober == os.getpid():
                return
            self._prober = os.getpid()
        threading.Thread(target=self._probe_until_back, name="store-probe", daemon=True).start()

    def _probe_until_back(self) -> None:
        pid = os.getpid()
        while self._prober == pid and self._down is not None:
            time.sleep(self.interval)
            try:
                self._probe()
            except StoreUnavailable as exc:
                if self._down is not None:
                    self._down = exc  # the latest reason, for the 503s and the health check
                continue
            with self._lock:
                if self._prober == pid:
                    self._down = None
                    self._prober = None
            log.warning("discard-mock: the store answers again")
            return
