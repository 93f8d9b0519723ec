"""Throughput and latency of each server under the mix, next to its ceiling, in one run.

All servers are started first and stay up; then each round measures every
server in turn (the order reversed every other round), so a mock and its
ceiling are always measured minutes, not hours, apart and drift on a shared
machine hits both. Each server keeps a cursor into the pending instances,
so no run ever asks for an instance an earlier run discarded.
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .datafile import Layout
from .load import PATTERN, LoadGenerator, LoadResult
from .procs import ServerProcess, cpu_seconds
from .servers import Config


@dataclass
class Measured:
    """Every run of one server; the best one stands for it."""

    config: Config
    started_in: float = 0.0
    runs: list[LoadResult] = field(default_factory=list)
    cpu_us_per_request: list[float] = field(default_factory=list)

    @property
    def best(self) -> LoadResult:
        """The run with the most requests/s: the one the shared machine disturbed least."""
        return max(self.runs, key=lambda run: run.rps)

    @property
    def worst(self) -> LoadResult:
        """The run with the fewest requests/s: what a peer comparison holds against the peer's best."""
        return min(self.runs, key=lambda run: run.rps)

    def share_of(self, other: Measured) -> float:
        """This server's requests/s over `other`'s: the median over rounds of runs made back to back.

        Both were measured in the same round, a few seconds apart, so a slow
        minute on the shared machine weighs on both sides of each ratio.
        """
        ratios = [mine.rps / theirs.rps for mine, theirs in zip(self.runs, other.runs, strict=False) if theirs.rps]
        return statistics.median(ratios) if ratios else 0.0

    @property
    def cpu_us(self) -> float:
        """Server CPU per request (user + system, every process), the least of the runs."""
        return min(self.cpu_us_per_request) if self.cpu_us_per_request else 0.0


@dataclass
class Paced:
    """A run at a fixed request rate, below the peak."""

    key: str
    target_rps: float
    result: LoadResult


@dataclass
class ThroughputReport:
    measured: dict[str, Measured]
    paced: list[Paced]
    connections: int
    seconds: float
    rounds: int
    tool: str


@dataclass
class Plan:
    rounds: int
    seconds: float
    warmup: float
    connections: int = 16
    paced_seconds: float = 5.0
    pattern: str = PATTERN  # the mix (bench/load.py)
    paced: bool = True  # the default mock and its ceiling at half the mock's peak, after the rounds


class Cursor:
    """Hands out disjoint blocks of never-discarded instance indexes to one server's runs."""

    def __init__(self, total: int, runs: int) -> None:
        self.block = max(total // max(runs, 1), 1)
        self.next = 0
        self.total = total

    def take(self) -> tuple[int, int]:
        first = self.next
        self.next = min(self.next + self.block, self.total)
        return first, self.next - first


def _load_run(
    load: LoadGenerator, server: ServerProcess, layout: Layout, cursor: Cursor, plan: Plan, seconds: float
) -> LoadResult:
    """One load run on `server`, over instances no earlier run of it used."""
    first, count = cursor.take()
    return load.run(
        server.url, layout, first, count, connections=plan.connections, seconds=seconds, pattern=plan.pattern
    )


def measure(
    configs: list[Config], load: LoadGenerator, data: Path, layout: Layout, scratch: Path, plan: Plan
) -> ThroughputReport:
    measured = {config.key: Measured(config) for config in configs}
    servers: dict[str, ServerProcess] = {}
    runs_per_server = plan.rounds + 2  # and a warm-up, and the paced run
    cursors = {config.key: Cursor(layout.instances, runs_per_server) for config in configs}
    try:
        for config in configs:
            _say(f"starting {config.label}")
            servers[config.key] = config.server(data, scratch).start()
            measured[config.key].started_in = servers[config.key].started_in
        for round_index in range(plan.rounds):
            order = configs if round_index % 2 == 0 else list(reversed(configs))
            for config in order:
                server, cursor = servers[config.key], cursors[config.key]
                if round_index == 0 and plan.warmup > 0:
                    _load_run(load, server, layout, cursor, plan, plan.warmup)
                pids = server.pids()
                cpu_before = cpu_seconds(pids)
                result = _load_run(load, server, layout, cursor, plan, plan.seconds)
                cpu = cpu_seconds(pids) - cpu_before
                measured[config.key].runs.append(result)
                if result.requests:
                    measured[config.key].cpu_us_per_request.append(cpu / result.requests * 1e6)
                _say(
                    f"round {round_index + 1}/{plan.rounds} {config.label}: {result.rps:.0f} req/s, "
                    f"p99 {result.p99_ms:.1f} ms ({result.status_summary()})"
                )
        paced = _paced_runs(configs, measured, servers, cursors, load, layout, plan) if plan.paced else []
    finally:
        for server in servers.values():
            server.stop()
    return ThroughputReport(measured, paced, plan.connections, plan.seconds, plan.rounds, load.tool)


def _paced_runs(
    configs: list[Config],
    measured: dict[str, Measured],
    servers: dict[str, ServerProcess],
    cursors: dict[str, Cursor],
    load: LoadGenerator,
    layout: Layout,
    plan: Plan,
) -> list[Paced]:
    """The default mock at half its peak, and its ceiling at the same rate: latency without queueing."""
    mock = configs[0]
    rate = measured[mock.key].best.rps / 2
    paced = []
    for key in (mock.key, mock.baseline):
        if key is None or key not in servers:
            continue
        first, count = cursors[key].take()
        result = load.run(
            servers[key].url, layout, first, count, connections=plan.connections, seconds=plan.paced_seconds, rate=rate
        )
        got = f"got {result.rps:.0f}, p50 {result.p50_ms:.2f}, p99 {result.p99_ms:.2f} ms"
        _say(f"paced {key} at {rate:.0f} req/s: {got}")
        paced.append(Paced(key, rate, result))
    return paced


def _say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
