"""How long discards wait for their 503 while Redis hangs, many at once: `python -m bench.outage`.

A served mock on a throwaway redis-server; once it answers, Redis is stopped
with SIGSTOP (its port still accepts connections, nothing is answered: a
hung Redis), CONCURRENT discards are sent at once, each on its own
connection, and their times to an answer are printed. Then Redis is resumed
and the time until a discard is answered by the store again is printed.
Printed, never asserted: tests/test_redis_outages.py holds the bound by
counting the attempts; this shows what a client waits.
"""

from __future__ import annotations

import argparse
import http.client
import signal
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from .fleet import RedisProcess, ensure_redis_server
from .procs import ServerProcess, install_cleanup
from .servers import MOCK_READY

CONCURRENT = 160
UNKNOWN = (  # an instance that does not exist: 404 while Redis answers, and nothing changes
    "/v1/accounts/acme-retail/campaigns/507f191e810c19729de860ea/workflow-instances/000000000000000000000000/discard"
)
ANSWER_TIMEOUT = 60.0


def discard(base_url: str) -> int:
    """One discard on a fresh connection; its status."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=ANSWER_TIMEOUT)
    try:
        connection.request("POST", UNKNOWN, headers={"Authorization": "Bearer sk_test_execute"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outage", description=__doc__.splitlines()[0])
    parser.add_argument("--concurrent", type=int, default=CONCURRENT, help="discards sent at once (%(default)s)")
    args = parser.parse_args(argv)
    binary = ensure_redis_server()
    if binary is None:
        print("bench.outage: redis-server is not available", file=sys.stderr)
        return 2
    install_cleanup()
    with tempfile.TemporaryDirectory(prefix="bench-outage-") as scratch:
        redis = RedisProcess(binary, Path(scratch))
        argv_ = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--quiet", "--store", redis.url]
        server = ServerProcess("mock", argv_, MOCK_READY).start()
        try:
            server.wait_answering()
            assert discard(server.url) == 404
            redis.process.send_signal(signal.SIGSTOP)
            go = threading.Barrier(args.concurrent)

            def timed(_: int) -> tuple[int, float]:
                go.wait()
                began = time.perf_counter()
                status = discard(server.url)
                return status, time.perf_counter() - began

            with ThreadPoolExecutor(args.concurrent) as pool:
                answers = list(pool.map(timed, range(args.concurrent)))
            redis.process.send_signal(signal.SIGCONT)
            resumed = time.perf_counter()
            while discard(server.url) != 404:
                time.sleep(0.01)
            back = time.perf_counter() - resumed
        finally:
            redis.process.send_signal(signal.SIGCONT)
            server.stop()
            redis.stop()
    waits = sorted(seconds for _, seconds in answers)
    statuses = sorted({status for status, _ in answers})
    p95 = waits[int(len(waits) * 0.95) - 1]
    print(
        f"{args.concurrent} concurrent discards, Redis hung (SIGSTOP): statuses {statuses}, "
        f"median {statistics.median(waits):.2f} s, p95 {p95:.2f} s, slowest {waits[-1]:.2f} s; "
        f"a discard answered by Redis again {back:.2f} s after it resumed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
