"""The stores side by side: memory, SQLite, and 1, 2 and 3 replicas on one Redis.

Each Redis replica is a separate `discard-mock serve --store redis://…`
process, as replicas on separate hosts would be; the load is split over them
by running one load generator per replica at once (the same connections in
all, divided), which is what a round-robin load balancer in front would do
without adding its own hop. Every row gets its own key prefix, so no row
discards another's instances. redis-server runs without persistence here
(`--save '' --appendonly no`); AOF with `appendfsync everysec` costs Redis
little, `always` an fsync per write (see the README).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from .datafile import Layout
from .load import LoadGenerator, LoadResult
from .procs import ServerProcess, free_port
from .servers import MOCK_READY


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    store: str  # memory | sqlite | redis | ceiling (bare Flask on the same server, bench/ceiling.py)
    replicas: int = 1
    workers: int = 1
    tree: Path | None = None  # served from this source tree (an earlier commit's worktree), not this one


ROWS = (
    Row("memory", "memory store, 1 process", "memory"),
    Row("sqlite-2", "SQLite store, 2 workers (one host)", "sqlite", workers=2),
    Row("ceiling-2", "ceiling: bare Flask, 2 workers", "ceiling", workers=2),
    Row("redis-1", "Redis store, 1 replica", "redis", replicas=1),
    Row("redis-2", "Redis store, 2 replicas", "redis", replicas=2),
    Row("redis-3", "Redis store, 3 replicas", "redis", replicas=3),
)


@dataclass
class Measured:
    row: Row
    rounds: list[list[LoadResult]] = field(default_factory=list)  # per round: one result per replica

    @staticmethod
    def _rps(results: list[LoadResult]) -> float:
        return sum(result.rps for result in results)

    @property
    def best(self) -> list[LoadResult]:
        return max(self.rounds, key=self._rps)

    @property
    def rps(self) -> float:
        return self._rps(self.best)

    @property
    def p99_ms(self) -> float:
        """The worst replica's p99 in the best round: a bound on the fleet's, not a merged histogram."""
        return max(result.p99_ms for result in self.best)

    @property
    def statuses(self) -> str:
        total: dict[int, int] = {}
        for result in self.best:
            for status, count in result.statuses.items():
                total[status] = total.get(status, 0) + count
        return " ".join(f"{status}:{count}" for status, count in sorted(total.items()))


@dataclass
class FleetReport:
    measured: list[Measured]
    connections: int
    seconds: float
    rounds: int
    tool: str
    note: str = ""


def ensure_redis_server() -> str | None:
    """redis-server, installed from Debian's packages when missing and this runs as root; None when unavailable."""
    found = shutil.which("redis-server")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    _say("redis-server is missing; installing it from Debian's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "redis-server"]):
        if subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
            return None
    return shutil.which("redis-server")


class RedisProcess:
    """A throwaway redis-server on a free loopback port, without persistence."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory), "--daemonize", "no", "--logfile", str(directory / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


# Runs `mock_server` from the tree named first on its command line: `python -c RUN_FROM TREE serve …`.
RUN_FROM = (
    "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); runpy.run_module('mock_server', run_name='__main__')"
)
BEFORE_ROWS = ("sqlite-2", "redis-1")  # the rows measured again from --baseline's tree


def with_baseline(rows: tuple[Row, ...], tree: Path | None) -> list[Row]:
    """`rows`, and BEFORE_ROWS again served from `tree`, each after its own: before and after in the same rounds."""
    result: list[Row] = []
    for row in rows:
        result.append(row)
        if tree is not None and row.key in BEFORE_ROWS:
            result.append(replace(row, key=row.key + "-before", label=f"{row.label}, before", tree=tree))
    return result


def _servers(row: Row, data: Path, scratch: Path, redis_url: str) -> list[ServerProcess]:
    if row.store == "ceiling":
        argv = [sys.executable, "-m", "bench.ceiling", "--port", "0", "--workers", str(row.workers)]
        return [ServerProcess(row.label, argv, MOCK_READY)]
    program = ["-m", "mock_server"] if row.tree is None else ["-c", RUN_FROM, str(row.tree)]
    base = [sys.executable, *program, "serve", "--port", "0", "--quiet", "--data", str(data)]
    if row.store == "memory":
        return [ServerProcess(row.label, base, MOCK_READY)]
    if row.store == "sqlite":
        database = Path(tempfile.mkdtemp(prefix=f"{row.key}-", dir=scratch)) / "store.sqlite3"
        argv = [*base, "--store", f"sqlite:{database}", "--workers", str(row.workers)]
        return [ServerProcess(row.label, argv, MOCK_READY)]
    argv = [*base, "--store", redis_url, "--redis-prefix", f"bench-{row.key}:"]
    return [ServerProcess(f"{row.label} #{n + 1}", argv, MOCK_READY) for n in range(row.replicas)]


def measure(
    load: LoadGenerator,
    data: Path,
    layout: Layout,
    scratch: Path,
    rounds: int,
    seconds: float,
    connections: int = 16,
    baseline: Path | None = None,
) -> FleetReport:
    binary = ensure_redis_server()
    rows = [row for row in with_baseline(ROWS, baseline) if row.store != "redis" or binary]
    note = "" if binary else "redis-server not found and not installable here: the Redis rows are left out."
    redis = RedisProcess(binary, scratch) if binary else None
    measured = {row.key: Measured(row) for row in rows}
    started: dict[str, list[ServerProcess]] = {}
    runs_per_row = rounds + 1
    try:
        if redis is not None:
            time.sleep(0.3)  # it listens within milliseconds; the first replica retries anyway
        for row in rows:
            _say(f"starting {row.label}")
            started[row.key] = [s.start() for s in _servers(row, data, scratch, redis.url if redis else "")]
        for round_index in range(rounds):
            order = rows if round_index % 2 == 0 else list(reversed(rows))
            for row in order:
                replicas = started[row.key]
                block = layout.instances // (runs_per_row * len(replicas))
                share = max(1, connections // len(replicas))
                if round_index == 0:  # a short warm-up on the first block
                    _split(load, replicas, layout, 0, block, share, 1.0)
                first = (round_index + 1) * block * len(replicas)
                results = _split(load, replicas, layout, first, block, share, seconds)
                measured[row.key].rounds.append(results)
                total = sum(result.rps for result in results)
                worst = max(result.p99_ms for result in results)
                _say(f"round {round_index + 1}/{rounds} {row.label}: {total:.0f} req/s, p99 {worst:.1f} ms")
    finally:
        for servers in started.values():
            for server in servers:
                server.stop()
        if redis is not None:
            redis.stop()
    return FleetReport(list(measured.values()), connections, seconds, rounds, load.tool, note)


def _split(
    load: LoadGenerator,
    replicas: list[ServerProcess],
    layout: Layout,
    first: int,
    block: int,
    connections: int,
    seconds: float,
) -> list[LoadResult]:
    """One load generator per replica, all at once, each with its own block of fresh instances."""
    with ThreadPoolExecutor(max_workers=len(replicas)) as pool:
        runs = [
            pool.submit(
                load.run, server.url, layout, first + n * block, block, connections=connections, seconds=seconds
            )
            for n, server in enumerate(replicas)
        ]
        return [run.result() for run in runs]


def table(report: FleetReport) -> list[str]:
    memory = next((m for m in report.measured if m.row.key == "memory"), None)
    lines = [
        "## The stores: one process, one host, many hosts",
        "",
        f"Load: {report.tool}, {report.connections} keep-alive connections in all, split evenly over a row's "
        f"replicas (one load generator per replica, run at once), {report.seconds:.0f} s per run, "
        f"{report.rounds} interleaved round(s), best round kept; p99 is the worst replica's. Same mix as above; "
        "every Redis replica is a separate `discard-mock serve --store redis://…` process on this machine, all on "
        "one redis-server without persistence. On one shared 2-core machine the replicas, Redis and the load "
        "generators compete for the same cores, so the rows show each store's cost per request, not how a fleet "
        "on separate hosts scales.",
        "",
        "| store | processes | requests/s | vs memory | p99 ms | answers |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for m in report.measured:
        processes = f"{m.row.replicas} replica(s)" if m.row.store == "redis" else f"{m.row.workers} worker(s)"
        share = f"{m.rps / memory.rps:.2f}x" if memory and memory.rps else "-"
        lines.append(f"| {m.row.label} | {processes} | {m.rps:.0f} | {share} | {m.p99_ms:.1f} | {m.statuses} |")
    by_key = {m.row.key: m for m in report.measured}
    ceiling = by_key.get("ceiling-2")
    for key in ("sqlite-2", "sqlite-2-before"):
        if key in by_key and ceiling is not None and ceiling.rps:
            lines += ["", f"{by_key[key].row.label} vs its ceiling (bare Flask, 2 workers): "
                      f"{by_key[key].rps / ceiling.rps:.2f}x"]  # fmt: skip
    if report.note:
        lines += ["", report.note]
    return lines


def _say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
