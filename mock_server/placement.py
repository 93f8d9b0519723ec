"""Where the served mock runs each request: on its event loop's thread, as a loop call there, or on a pool thread.

Measured (bench/README.md): a hand-off to a pool thread and back cost a
quarter of a short request, and a SQLite discard twice as much, so what never
waits long runs on the loop's own thread; what may wait must not stop the
loop for every other connection of the worker.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from .context import EXTENSION_KEY
from .control import PREFIX as CONTROL_PREFIX
from .storage import REDIS_SCHEMES


def runs_inline(app: Flask, store: str) -> Callable[[str], bool] | None:
    """Which requests the server may run on its event loop's thread; None: every one on the pool.

    An endpoint request computes, or takes SQLite's writers' turn (one short transaction at a time,
    which a pool thread would wait for too), or, with Redis, waits for its reply as a loop call
    (Storage.suspends; over TLS there are none). Never inline: a latency fault in force (it sleeps),
    control calls (a reset rewrites every instance), and with Redis anything but the endpoint.
    """
    context = app.extensions[EXTENSION_KEY]
    if store.startswith(REDIS_SCHEMES):
        endpoint_path = context.operation.path_pattern.fullmatch
        return (lambda path: endpoint_path(path) is not None) if context.storage.suspends else None
    faults = context.faults

    def runs_inline(path: str) -> bool:
        if path.startswith(CONTROL_PREFIX):
            return False
        if faults is None:
            return True
        active = faults.snapshot().active
        return not active or not any(fault.latency_ms for fault in active)

    return runs_inline
