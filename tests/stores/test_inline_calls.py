"""A discard the server runs on its event loop must never sleep there.

With SQLite, endpoint calls run on the loop's own thread unless a latency
fault is in force; a worker decides that from its cached fault list, which
may not yet know a fault another worker added. Such a call must go to a
thread to wait (MustWait), counted, faulted and journaled once, or the
fault's delay would stop every other connection of that worker.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from flask import Flask

from mock_server import create_app
from mock_server.context import EXTENSION_KEY
from mock_server.endpoint.route import EndpointRoute
from mock_server.placement import runs_inline
from mock_server.serving.bridge import RsgiBridge
from mock_server.serving.limits import ServeLimits

from ..support.helpers import EXECUTE_KEY, discard_path

LATENCY_MS = 40


class Fields(dict[str, str]):
    """granian's header object, as far as the bridge reads it."""


class Scope:
    proto = "http"
    http_version = "1.1"
    client = "127.0.0.1:50000"
    server = "127.0.0.1:4010"

    def __init__(self, path: str) -> None:
        self.method = "POST"
        self.path = path
        self.query_string = ""
        self.headers = Fields({"host": "127.0.0.1:4010", "authorization": f"Bearer {EXECUTE_KEY}"})


class Protocol:
    status = 0

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status


def test_an_inline_discard_that_meets_an_unheard_of_latency_fault_waits_on_a_thread(tmp_path: Path) -> None:
    slept: list[tuple[float, str]] = []
    settings: dict[str, Any] = {
        "STORE": f"sqlite:{tmp_path / 'store.db'}",
        "SLEEP": lambda seconds: slept.append((seconds, threading.current_thread().name)),
    }
    one, other = create_app(dict(settings)), create_app(dict(settings))
    route = other.wsgi_app
    assert isinstance(route, EndpointRoute)
    bridge = RsgiBridge(other, ServeLimits(), 2, runs_inline(other, settings["STORE"]), route=route)
    assert bridge.runs_inline(discard_path()), "no fault: a discard runs inline (and the fault list is cached)"
    added = one.test_client().post("/__mock/faults", json={"latencyMs": LATENCY_MS, "count": 1})
    assert added.status_code == 201
    assert bridge.runs_inline(discard_path()), "the other worker has not heard of the fault: it would run inline"

    protocol = Protocol()

    async def serve() -> None:
        bridge.__rsgi_init__(asyncio.get_running_loop())
        await bridge.__rsgi__(Scope(discard_path()), protocol)

    # A thread of its own for the loop: a test before this one in the same process may have left one running.
    loop_thread = threading.Thread(target=lambda: asyncio.run(serve()), name="event-loop")
    loop_thread.start()
    loop_thread.join(timeout=30)

    assert protocol.status == 200
    assert [seconds for seconds, _ in slept] == [LATENCY_MS / 1000], "the fault acted once"
    assert slept[0][1] != loop_thread.name, "it slept on a pool thread, not the event loop's"
    assert [fault.count for fault in _context(one).storage.faults.faults()] == [0], "its one hit was taken once"
    assert [entry["status"] for entry in _context(other).journal.entries()] == [200], "journaled once"


def _context(app: Flask) -> Any:
    return app.extensions[EXTENSION_KEY]
