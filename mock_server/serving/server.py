"""Serving the app with granian: HTTP in Rust, one event loop per worker process, the app on a thread pool.

Chosen by measurement (bench/README.md): gunicorn's threaded worker parsed
HTTP in Python and gave each connection a thread while it read a request, so
the server was most of the cost of an answer and eight slow clients took the
mock offline. granian parses HTTP in Rust and keeps every connection on an
event loop; bridge.py gives the app only whole requests.

The app is built before the listening socket is bound (so a data-file error
surfaces first), and the socket is bound once, in the main process, and
inherited by the forked workers: `--port 0` then names one port for all of
them, and a busy port is one clear error before anything starts.

HTTP/1.1 only: granian's HTTP/2 settings bound windows and streams but give
a connection no time limit for its head, its body or its idleness, so a
client that sent the h2 preface and nothing more was held as long as it
liked (1,100 of them used up the file descriptors). Its HTTP/1 has the
header timeout, and the bridge bounds the body. WebSocket is off too: a
handshake is then an HTTP request, answered by the app (RFC 9110 7.8 lets a
server ignore Upgrade), not granian's bare 403.
"""

from __future__ import annotations

import gc
import socket
import sys
from collections.abc import Callable
from typing import Any

from flask import Flask
from granian._granian import SocketHolder
from granian.constants import HTTPModes, Interfaces, Loops
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server.mp import MPServer

from .bridge import AnswerHeaders, EndpointRoute, RsgiBridge
from .lifeline import Lifeline
from .limits import ServeLimits

# uvloop: granian wakes the loop from its Rust threads for every request, and asyncio's self-pipe
# wake-up was a fifth of a busy worker's samples; uvloop's is libuv's (bench/README.md).
SERVER_LOOP = Loops.uvloop
THREADS_PER_WORKER = 8  # threads running the app; waits (--latency, SQLite's lock) happen on them
SHUTDOWN_GRACE_SECONDS = 5  # a worker still busy this long after Ctrl-C/SIGTERM is killed


class PortUnavailable(Exception):
    """The address cannot be listened on (in use, or not this machine's); the message says which."""


class _GranianServer(MPServer):
    """granian's process manager, with the listening socket bound here, once, for every worker."""

    def __init__(self, *args: Any, announce: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._announce = announce

    def _init_shared_socket(self) -> None:
        # granian binds one SO_REUSEPORT socket per worker on Linux: with port 0 each would get a port of
        # its own, and a second server on a busy port would silently share it. One plain socket, bound and
        # listening here before the announcement, inherited by every worker, is gunicorn's model.
        self._ssp = None
        try:
            sock = socket.create_server(
                (self.bind_addr, self.bind_port),
                family=socket.AF_INET6 if ":" in self.bind_addr else socket.AF_INET,
                backlog=self.backlog,
            )
        except OSError as exc:
            raise PortUnavailable(f"cannot listen on {self._bind_addr_fmt}: {exc.strerror or exc}") from None
        sock.set_inheritable(True)
        self._sso = sock
        # granian's __init__ sets these two to None (so they are typed None), and its stub omits
        # SocketHolder's constructor, SocketHolder(fd, uds, backlog).
        self._sfd = sock.fileno()  # type: ignore[assignment]
        self._shd = SocketHolder(self._sfd, False, self.backlog)  # type: ignore[assignment, call-arg]
        self._announce(sock.getsockname())


class MockServer:
    """The mock's Flask app served by granian, `workers` processes sharing one listening socket."""

    def __init__(
        self,
        app: Flask,
        host: str,
        port: int,
        workers: int = 1,
        limits: ServeLimits | None = None,
        runs_inline: Callable[[str], bool] | None = None,
        answer_headers: AnswerHeaders | None = None,
        route: EndpointRoute | None = None,
        suspends: bool = False,
    ) -> None:
        """`runs_inline`, `answer_headers`, `route`, `suspends`: see RsgiBridge; None runs every request on the
        thread pool, adds none, gives every request to the app."""
        self.app = app
        self.suspends = suspends
        self.runs_inline = runs_inline
        self.answer_headers = answer_headers
        self.route = route
        self.host = host
        self.port = port
        self.workers = workers
        self.limits = limits or ServeLimits()

    def run(self) -> None:
        """Serves until Ctrl-C or SIGTERM; raises PortUnavailable when the address cannot be listened on."""
        # The bridge, and the app in it, reach the workers by fork, as built: nothing is pickled or rebuilt.
        bridge = RsgiBridge(
            self.app, self.limits, THREADS_PER_WORKER, self.runs_inline, self.answer_headers, self.route, self.suspends
        )
        server = _GranianServer(
            "discard-mock",
            address=self.host,
            port=self.port,
            interface=Interfaces.RSGI,
            workers=self.workers,
            loop=SERVER_LOOP,
            http=HTTPModes.http1,  # a connection opening with the h2 preface is closed at once
            websockets=False,
            backlog=2048,
            http1_settings=HTTP1Settings(
                header_read_timeout=int(self.limits.header_timeout * 1000),
                max_buffer_size=self.limits.parser_buffer,
            ),
            log_level=LogLevels.error,  # not its advice on worker counts; its errors (a worker crashing) show
            workers_kill_timeout=SHUTDOWN_GRACE_SECONDS,
            # A worker that dies is replaced by a fresh fork of the supervisor while the others serve on;
            # granian stops the server instead when one dies again within 5.5 s of being replaced.
            respawn_failed_workers=True,
            announce=announce,
        )
        # What start-up built (a million seeded instances, say) lives as long as the server:
        # frozen out of the cyclic collector's sight, so no collection walks it again, in the main process
        # or in a forked worker, where walking it would also copy every page it touches.
        gc.freeze()
        lifeline = Lifeline(SHUTDOWN_GRACE_SECONDS)

        def in_worker(*_: Any) -> RsgiBridge:
            """granian calls this in each worker, after the fork: what the worker serves."""
            lifeline.hold()
            return bridge

        # granian takes an object with __rsgi__ as readily as a callable (granian.rsgi); its annotation says callable.
        server.serve(target_loader=in_worker)  # type: ignore[arg-type]


def announce(address: tuple[Any, ...]) -> None:
    """One line tools can wait for; with --port 0 it names the port chosen."""
    host, port = address[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"discard-mock listening on http://{shown}:{port}", file=sys.stderr, flush=True)
