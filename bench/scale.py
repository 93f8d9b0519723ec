"""Scale: the mock seeded with 10k, 100k and 1M instances, started as users start it.

For each size: time from spawning `discard-mock serve --data FILE` to its
first answer, memory once it serves (PSS: pages the master and its worker
share are counted once), the highest resident set any of its processes
reached (the master, while loading), and discard latency under a steady,
modest load, the same rate at every size, so the latency is the server's
own and not queueing: it should not depend on how many instances there are.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from .datafile import data_file
from .load import LoadGenerator, LoadResult
from .procs import Memory
from .servers import MockConfig


@dataclass
class ScalePoint:
    instances: int
    started_in: float
    memory: Memory
    latency: LoadResult


def measure(
    sizes: list[int], load: LoadGenerator, rate: float, seconds: float, connections: int = 4
) -> list[ScalePoint]:
    points = []
    for size in sizes:
        path, layout = data_file(size)
        server = MockConfig("scale", f"mock with {size} instances").server(path, path.parent).start()
        try:
            started_in = server.wait_answering()
            # A short warm-up, then the measured run; each on instances never asked for before.
            load.run(server.url, layout, 0, size // 2, connections=connections, seconds=1, rate=rate)
            result = load.run(
                server.url, layout, size // 2, size - size // 2, connections=connections, seconds=seconds, rate=rate
            )
            memory = server.memory()  # serving, its worker forked and warm
        finally:
            server.stop()
        print(
            f"bench: {size} instances: answering {started_in:.2f} s after start, {memory.pss_mb:.0f} MB, "
            f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms",
            file=sys.stderr,
            flush=True,
        )
        points.append(ScalePoint(size, started_in, memory, result))
    return points
