"""A worker process outlives its supervisor by at most a grace period.

granian's workers are forked from the supervisor and never look back at it:
a supervisor killed with SIGKILL (an OOM kill, `kill -9`, a container
runtime's stop) left its workers serving the port, and a restart then failed
with "Address already in use". Here the supervisor holds the only write end
of a pipe; every worker holds the read end, closes its copy of the write end,
and waits on a thread for the end of file that the kernel delivers when the
last write end closes, that is, when the supervisor is gone, however it died.
The worker then stops as on SIGTERM (it finishes what it was answering), and
ends itself outright if that takes longer than the grace period.

A pipe rather than Linux's PR_SET_PDEATHSIG: the end of file comes whatever
thread of the supervisor forked the worker (granian respawns from its main
loop), and it needs no ctypes.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

log = logging.getLogger("discard_mock")


class Lifeline:
    """Made by the supervisor before it forks any worker; `hold` is called in each worker."""

    def __init__(self, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self.supervisor = os.getpid()
        self._read, self._write = os.pipe()

    def hold(self) -> None:
        """In a worker, once: from now on, the supervisor's end is this worker's end."""
        os.close(self._write)  # the supervisor's copy must be the last one open
        threading.Thread(target=self._wait_for_the_supervisor, name="lifeline", daemon=True).start()

    def _wait_for_the_supervisor(self) -> None:
        # The supervisor may have died before this worker closed its copy of the write end: then no
        # end of file would ever come, but the worker was already handed to another parent.
        if os.getppid() == self.supervisor:
            while os.read(self._read, 1):  # nothing is ever written; b"" is the end of file
                pass
        log.warning("discard-mock: the supervisor (pid %d) is gone; worker %d stops", self.supervisor, os.getpid())
        os.kill(os.getpid(), signal.SIGTERM)  # granian's own shutdown: no new connections, answers finished
        time.sleep(self.grace_seconds)
        os._exit(1)  # still here: something held the shutdown up
