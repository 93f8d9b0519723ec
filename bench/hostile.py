"""The default mock under hostile clients: 1,000 slow connections, then floods of creations and headers.

- Slow connections: half send a request head a few bytes at a time and never
  finish it, half send a complete head and then stall mid-body. While they are
  held open (any the server closes, at its header or body timeout, is opened
  again at once, as a slowloris would), the mix runs paced at a fixed rate
  and its latency is read; the same rate without them is the reference.
- Memory: 200,000 POST /__mock/instances (the cap answers 507 past its
  default), then a flood of requests with 30 KB of headers each and of heads
  far past the parser's buffer; what all the server's processes hold is read
  after each (RSS, shared pages counted in each process).
"""

from __future__ import annotations

import contextlib
import re
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .datafile import Layout
from .load import LoadGenerator, LoadResult
from .servers import MockConfig

SLOW_CONNECTIONS = 1000
CREATIONS = 200_000
FLOOD_SECONDS = 5
REQUESTS_LINE = re.compile(r"^REQUESTS (\d+)", re.MULTILINE)


@dataclass
class HostileReport:
    rate: float
    calm: LoadResult
    slow: LoadResult
    slow_held: int  # connections open when the paced run ended
    reopened: int  # connections the server closed (timeouts) and the bench opened again
    rss_start_mb: float
    rss_after_creations_mb: float
    rss_after_flood_mb: float
    creations: int
    flood_requests: int


class SlowClients:
    """`count` connections kept hanging on a server: half mid-head, half mid-body, reopened when closed."""

    def __init__(self, host: str, port: int, path: str, count: int) -> None:
        self.address = (host, port)
        self.path = path
        self.count = count
        self.reopened = 0
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, daemon=True)

    def __enter__(self) -> SlowClients:
        _raise_open_files_limit(self.count * 2 + 256)
        for index in range(self.count):
            self._open(index)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self._selector.close()

    @property
    def held(self) -> int:
        return len(self._selector.get_map())

    def _open(self, index: int) -> None:
        sock = socket.create_connection(self.address, timeout=10)
        if index % 2:
            sock.sendall(f"POST {self.path} HTTP/1.1\r\nHost: bench\r\nX-Slow: ".encode())
        else:
            head = "POST /__mock/provider-states HTTP/1.1\r\nHost: bench\r\nContent-Length: 1000\r\n\r\n"
            sock.sendall(head.encode() + b'{"state": ')
        sock.setblocking(False)
        self._selector.register(sock, selectors.EVENT_READ, index)

    def _keep(self) -> None:
        """Drips a byte into each head now and then; replaces every connection the server answers or closes."""
        last_drip = time.monotonic()
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                self._selector.unregister(sock)
                sock.close()
                self.reopened += 1
                self._open(key.data)
            if time.monotonic() - last_drip > 2:
                last_drip = time.monotonic()
                for key in list(self._selector.get_map().values()):
                    if key.data % 2:
                        with contextlib.suppress(OSError):
                            key.fileobj.send(b"x")  # type: ignore[union-attr]


def _raise_open_files_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def measure(
    load: LoadGenerator, data: Path, layout: Layout, scratch: Path, rate: float, seconds: float
) -> HostileReport:
    """The default mock (memory store, one worker), as users start it."""
    server = MockConfig("hostile", "mock, memory store (default serve)").server(data, scratch).start()
    try:
        server.wait_answering()
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        block = layout.instances // 3
        calm = load.run(server.url, layout, 0, block, connections=16, seconds=seconds, rate=rate)
        _say(f"paced at {rate:.0f} req/s: p50 {calm.p50_ms:.2f}, p99 {calm.p99_ms:.2f} ms")
        slow_path = f"/v1/accounts/{layout.account_group}/campaigns/x/workflow-instances/x/discard"
        with SlowClients(host, int(port), slow_path, SLOW_CONNECTIONS) as clients:
            _say(f"{clients.held} slow connections open")
            slow = load.run(server.url, layout, block, block, connections=16, seconds=seconds, rate=rate)
            held, reopened = clients.held, clients.reopened
        _say(f"with {held} slow connections, paced: p50 {slow.p50_ms:.2f}, p99 {slow.p99_ms:.2f} ms")
        rss_start = server.memory().rss_mb
        creations = _wrk_count(load, server.url, _CREATE_SCRIPT, CREATIONS)
        rss_creations = server.memory().rss_mb
        _say(f"{creations:,} creations: RSS {rss_start:.0f} -> {rss_creations:.0f} MB")
        flood = _wrk_for(load, server.url, _FLOOD_SCRIPT, FLOOD_SECONDS)
        flood += _oversized_heads(host, int(port), 200)
        rss_flood = server.memory().rss_mb
        _say(f"{flood:,} flood requests: RSS {rss_flood:.0f} MB")
    finally:
        server.stop()
    return HostileReport(rate, calm, slow, held, reopened, rss_start, rss_creations, rss_flood, creations, flood)


_CREATE_SCRIPT = """
wrk.method = "POST"
wrk.path = "/__mock/instances"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests) io.write(string.format("REQUESTS %d\\n", summary.requests)) end
"""

_FLOOD_SCRIPT = """
wrk.method = "GET"
wrk.path = "/v1/flood"
for n = 1, 10 do wrk.headers["X-Pad-" .. n] = string.rep("p", 3000) end
done = function(summary, latency, requests) io.write(string.format("REQUESTS %d\\n", summary.requests)) end
"""


def _wrk_for(load: LoadGenerator, url: str, script: str, seconds: float) -> int:
    if not load.wrk:
        return 0
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        command = [load.wrk, "-t1", "-c16", f"-d{max(1, round(seconds))}s", "-s", handle.name, url]
        output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        Path(handle.name).unlink()
    found = REQUESTS_LINE.search(output)
    return int(found.group(1)) if found else 0


def _wrk_count(load: LoadGenerator, url: str, script: str, count: int) -> int:
    """Runs `script` in 5-second rounds until `count` requests were sent (or the runs stop sending)."""
    sent = 0
    while sent < count:
        got = _wrk_for(load, url, script, 5)
        if not got:
            break
        sent += got
    return sent


def _oversized_heads(host: str, port: int, count: int) -> int:
    """Heads of 1 MB, far past the parser's buffer: refused with its 431 before Python sees them."""
    head = b"GET / HTTP/1.1\r\nHost: bench\r\n" + b"".join(b"X-Big-%d: %s\r\n" % (n, b"b" * 8000) for n in range(128))
    for _ in range(count):
        with socket.create_connection((host, port), timeout=10) as sock:
            try:
                sock.sendall(head + b"\r\n")
                sock.recv(4096)
            except OSError:
                pass  # the server closed it mid-send: refused, as it should be
    return count


def _say(message: str) -> None:
    print(f"bench: hostile: {message}", file=sys.stderr, flush=True)
