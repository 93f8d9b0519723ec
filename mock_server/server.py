"""Serving the app with gunicorn, answering even unparseable requests in the envelope."""

from __future__ import annotations

import gc
import json
import sys
from typing import Any

from flask import Flask
from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from .envelope import error_body, new_trace_id

THREADS_PER_WORKER = 8


def _write_envelope_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's answer to a request it cannot parse, as our error envelope."""
    body = json.dumps(error_body(status_int, f"{reason}: {mesg}" if mesg else reason, None, new_trace_id()))
    payload = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
    )
    util.write_nonblock(sock, payload.encode("utf-8"))


class EnvelopeThreadWorker(ThreadWorker):
    """gunicorn's threaded worker; its own error pages use the envelope."""

    def init_process(self) -> None:
        util.write_error = _write_envelope_error
        super().init_process()


class MockServer(BaseApplication):
    """gunicorn serving one pre-built app (so data errors surface before binding)."""

    def __init__(self, app: Flask, host: str, port: int, workers: int = 1) -> None:
        self.application = app
        self.options = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers,
            "worker_class": f"{__name__}.EnvelopeThreadWorker",
            "threads": THREADS_PER_WORKER,
            "accesslog": None,  # the app logs one line per request itself
            "errorlog": "-",
            "loglevel": "warning",
            "when_ready": _announce,
        }
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        return self.application

    def run(self) -> None:
        # What start-up built (a million seeded instances, say) lives as long as the server:
        # frozen out of the cyclic collector's sight, so no collection walks it again, in the master
        # or in a forked worker, where walking it would also copy every page it touches.
        gc.freeze()
        super().run()


def _announce(server: Any) -> None:
    """One line tools can wait for; with --port 0 it names the port chosen."""
    for listener in server.LISTENERS:
        host, port = listener.sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"discard-mock listening on http://{shown}:{port}", file=sys.stderr, flush=True)
