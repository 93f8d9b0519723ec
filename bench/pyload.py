"""The Python load generator, for machines without wrk: the same mix, the same result line.

`python -m bench.pyload URL CONNECTIONS SECONDS RATE FIRST COUNT GROUP KEY
INSTANCE_PREFIX CAMPAIGN_PREFIX CAMPAIGNS UNKNOWN_PREFIX PATTERN THREADS`
(the arguments mix.lua takes, after the first four). One asyncio loop keeps
CONNECTIONS keep-alive connections busy, or paced at RATE requests/s when
RATE > 0. It costs the server more CPU than wrk does (Python parses every
answer), so its peaks are lower; the table says which generator ran.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

RESULT_PREFIX = "BENCH-RESULT "


class Mix:
    """mix.lua's rotation: fresh pending instances, repeats, unknown IDs, no key."""

    def __init__(self, args: list[str]) -> None:
        first, count = int(args[0]), int(args[1])
        self.group, key, self.instance_prefix, self.campaign_prefix = args[2], args[3], args[4], args[5]
        self.campaigns, self.unknown_prefix, self.pattern = int(args[6]), args[7], args[8]
        self.next_fresh, self.end_fresh = first, first + count
        self.last_fresh: int | None = None
        self.counter = 0
        self.fresh_used = 0
        self.auth = f"Authorization: Bearer {key}\r\n"

    def _path(self, index: int, prefix: str) -> str:
        campaign = f"{self.campaign_prefix}{index % self.campaigns:08x}"
        return f"/v1/accounts/{self.group}/campaigns/{campaign}/workflow-instances/{prefix}{index:08x}/discard"

    def request(self, host: str) -> bytes:
        self.counter += 1
        kind = self.pattern[(self.counter - 1) % len(self.pattern)]
        if kind == "r" and self.last_fresh is None:
            kind = "u"
        if kind == "f":
            if self.next_fresh < self.end_fresh:
                self.last_fresh, self.next_fresh = self.next_fresh, self.next_fresh + 1
                self.fresh_used += 1
                return self._format(self._path(self.last_fresh, self.instance_prefix), host, self.auth)
            kind = "r" if self.last_fresh is not None else "u"
        if kind == "r":
            assert self.last_fresh is not None
            return self._format(self._path(self.last_fresh, self.instance_prefix), host, self.auth)
        if kind == "u":
            return self._format(self._path(self.counter, self.unknown_prefix), host, self.auth)
        return self._format(self._path(self.counter, self.instance_prefix), host, "")

    @staticmethod
    def _format(path: str, host: str, auth: str) -> bytes:
        return f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Length: 0\r\n\r\n".encode()


async def _connection(
    url: str, mix: Mix, deadline: float, slots: asyncio.Queue[None] | None, latencies: list[float], stats: dict
) -> None:
    parts = urlsplit(url)
    host = parts.netloc
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        while time.perf_counter() < deadline:
            if slots is not None:
                try:
                    await asyncio.wait_for(slots.get(), timeout=max(deadline - time.perf_counter(), 0.001))
                except TimeoutError:
                    break
            request = mix.request(host)
            sent = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - sent)
            status = int(status_line.split()[1])
            stats["statuses"][status] = stats["statuses"].get(status, 0) + 1
    except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
        stats["errors"]["read"] += 1
    finally:
        writer.close()


async def _pace(slots: asyncio.Queue[None], rate: float, deadline: float) -> None:
    interval = 1 / rate
    next_slot = time.perf_counter()
    while next_slot < deadline:
        delay = next_slot - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        slots.put_nowait(None)
        next_slot += interval


async def run(url: str, connections: int, seconds: float, rate: float, mix: Mix) -> dict:
    latencies: list[float] = []
    stats: dict = {"statuses": {}, "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0}}
    started = time.perf_counter()
    deadline = started + seconds
    slots: asyncio.Queue[None] | None = asyncio.Queue() if rate > 0 else None
    tasks = [_connection(url, mix, deadline, slots, latencies, stats) for _ in range(connections)]
    if slots is not None:
        tasks.append(_pace(slots, rate, deadline))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> int:
        return int(latencies[min(int(len(latencies) * p / 100), len(latencies) - 1)] * 1e6) if latencies else 0

    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "p50_us": percentile(50),
        "p90_us": percentile(90),
        "p99_us": percentile(99),
        "max_us": percentile(100),
        "mean_us": sum(latencies) / len(latencies) * 1e6 if latencies else 0,
        "fresh_used": mix.fresh_used,
        "statuses": stats["statuses"],
        "errors": stats["errors"],
    }


def main(argv: list[str]) -> int:
    url, connections, seconds, rate = argv[0], int(argv[1]), float(argv[2]), float(argv[3])
    result = asyncio.run(run(url, connections, seconds, rate, Mix(argv[4:])))
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
