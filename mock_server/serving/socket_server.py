"""`serve --server gunicorn`: the app on gunicorn, which hands it each connection's socket, so faults can break it.

granian (server.py) gives the app no way to drop or corrupt a connection:
its RSGI protocol only answers (`response_*`, a stream), and an app that
raises gets a 500. gunicorn puts the socket in the WSGI environ
(`environ["gunicorn.socket"]`), so here a `BreakConnection` raised by the app
is carried out on it (wire_faults.break_connection) and gunicorn is told the
connection is gone (an ENOTCONN, which it drops quietly), and writes nothing.

The cost: gunicorn parses HTTP in Python and gives a thread to each request
while it is read, so this mode answers fewer requests a second than the
default (bench/README.md) and lacks the default's defences against slow
clients. It is the mode for testing how a client copes with a broken network,
not for serving a crowd.
"""

from __future__ import annotations

import errno
import json
import socket
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask
from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from ..envelope import error_body, new_trace_id
from ..wire_faults import BreakConnection, break_connection
from .limits import ServeLimits
from .server import SHUTDOWN_GRACE_SECONDS, THREADS_PER_WORKER, PortUnavailable, announce

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def _write_envelope_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's answer to a request it cannot parse, in the envelope instead of its HTML page."""
    body = json.dumps(error_body(status_int, f"{reason}: {mesg}" if mesg else reason, None, new_trace_id()))
    payload = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
    )
    util.write_nonblock(sock, payload.encode("utf-8"))


class EnvelopeThreadWorker(ThreadWorker):
    """gunicorn's threaded worker; its own error answers use the envelope."""

    def init_process(self) -> None:
        util.write_error = _write_envelope_error
        super().init_process()


class ConnectionBreaker:
    """WSGI middleware: a BreakConnection from the app is carried out on the connection's socket."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self.app(environ, start_response)
        except BreakConnection as broken:
            break_connection(environ["gunicorn.socket"], broken.kind)
            # gunicorn drops a connection that failed with ENOTCONN without a word or a byte more.
            raise OSError(errno.ENOTCONN, f"connection broken by a fault: {broken}") from None


# The limits gunicorn has no setting for (its own: the request line, one header field, the field count).
_GRANIAN_ONLY_LIMITS = ("max_header_bytes", "max_body_bytes", "header_timeout", "body_timeout")


def _unenforced_limits(limits: ServeLimits) -> list[str]:
    """The flags given a value this server would silently ignore, as the user typed them."""
    default = ServeLimits()
    return [
        "--" + name.replace("_", "-")
        for name in _GRANIAN_ONLY_LIMITS
        if getattr(limits, name) != getattr(default, name)
    ]


class SocketServer(BaseApplication):
    """gunicorn serving one pre-built app (so data errors surface before binding), able to break connections."""

    def __init__(self, app: Flask, host: str, port: int, workers: int = 1, limits: ServeLimits | None = None) -> None:
        limits = limits or ServeLimits()
        if unenforced := _unenforced_limits(limits):
            print(
                f"discard-mock: warning: --server gunicorn does not enforce {', '.join(unenforced)}; "
                "the default server does (bodies are not bounded here, and a slow client is not timed out)",
                file=sys.stderr,
            )
        self.application = ConnectionBreaker(app)
        self.host = host
        self.port = port
        self.options = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers,
            "worker_class": f"{__name__}.EnvelopeThreadWorker",
            "threads": THREADS_PER_WORKER,
            "limit_request_line": limits.max_request_line,
            "limit_request_field_size": limits.max_header_field,
            "limit_request_fields": limits.max_header_count,
            "graceful_timeout": SHUTDOWN_GRACE_SECONDS,
            "accesslog": None,  # the app logs one line per request itself
            "errorlog": "-",
            "loglevel": "warning",
            "when_ready": _announce,
        }
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:  # a WSGI app; gunicorn's stubs spell the WSGI types their own way
        return self.application

    def run(self) -> None:
        """Serves until Ctrl-C or SIGTERM; raises PortUnavailable at once when the address cannot be listened on.

        (gunicorn itself would retry a busy port for five seconds, then exit.)
        """
        try:
            socket.create_server(
                (self.host, self.port), family=socket.AF_INET6 if ":" in self.host else socket.AF_INET
            ).close()
        except OSError as exc:
            raise PortUnavailable(f"cannot listen on {self.options['bind']}: {exc.strerror or exc}") from None
        super().run()


def _announce(server: Any) -> None:
    for listener in server.LISTENERS:
        announce(listener.sock.getsockname())
    sys.stderr.flush()
