"""The default mock against its peers and the server's limit, in one run: two mixes, one table each, the goals.

Each ratio is the mock's worse round over the peer's better round, so noise on
the shared machine can only make the mock look slower, never faster. Rounds
are interleaved (throughput.py), so a slow minute weighs on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import peers, throughput
from .datafile import Layout
from .load import MIX_DESCRIPTION, PATTERN, RANDOM_ID_DESCRIPTION, RANDOM_ID_PATTERN, LoadGenerator
from .report import Goal

# What the default mock must reach, on either mix: the peer's key, its share, the goal's name.
TARGETS = (
    ("wiremock", 2.0, "default serve vs WireMock, fastest setting"),
    ("raw-granian", 0.5, "default serve vs the raw granian limit"),
)
# The JVM compiles its hot paths over its first seconds: a longer warm-up than the Python servers need.
WARMUP_SECONDS = 5.0
# Per run at most: the mock discards a fresh instance a request, and each run has its own block of them.
RUN_SECONDS = 5.0


@dataclass
class Versus:
    """Both mixes' measurements."""

    random: throughput.ThroughputReport
    realistic: throughput.ThroughputReport


def measure(
    load: LoadGenerator, data: Path, layout: Layout, scratch: Path, rounds: int, seconds: float, with_prism: bool
) -> Versus:
    reports = []
    for mix, pattern in (("random", RANDOM_ID_PATTERN), ("realistic", PATTERN)):
        plan = throughput.Plan(rounds, min(seconds, RUN_SECONDS), WARMUP_SECONDS, pattern=pattern, paced=False)
        reports.append(throughput.measure(peers.configs(with_prism, mix), load, data, layout, scratch, plan))
    return Versus(*reports)


def ratio(report: throughput.ThroughputReport, key: str) -> float | None:
    """The mock's worse round over `key`'s better round; None when either is missing."""
    mock, peer = report.measured.get("mock"), report.measured.get(key)
    if mock is None or peer is None or not peer.best.rps:
        return None
    return mock.worst.rps / peer.best.rps


def table(report: throughput.ThroughputReport) -> list[str]:
    lines = [
        "| server | requests/s, better round | worse round | p99 ms | answers | mock's worse / its better |",
        "| --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for key, measured in report.measured.items():
        share = ratio(report, key)
        shown = f"{share:.2f}x" if share is not None and key != "mock" else "—"
        best = measured.best
        lines.append(
            f"| {measured.config.label} | {best.rps:,.0f} | {measured.worst.rps:,.0f} | {best.p99_ms:.2f} | "
            f"{best.status_summary()} | {shown} |"
        )
    return lines


def goals(versus: Versus) -> list[Goal]:
    found = []
    for mix, report in (("random IDs", versus.random), ("realistic mix", versus.realistic)):
        for key, target, name in TARGETS:
            share = ratio(report, key)
            if share is not None:
                found.append(Goal(f"{name} ({mix})", f"≥ {target:.2f}x", f"{share:.2f}x", share >= target))
    return found


def render(versus: Versus) -> list[str]:
    lines = [
        "## The mock against its peers",
        "",
        f"Load: {versus.random.tool}, {versus.random.connections} keep-alive connections, "
        f"{versus.random.seconds:.0f} s per run, {versus.random.rounds} interleaved rounds after a "
        f"{WARMUP_SECONDS:.0f} s warm-up. Each peer in its fastest documented setting (bench/peers.py). "
        f"Random IDs: {RANDOM_ID_DESCRIPTION}.",
        "",
        *table(versus.random),
        "",
        f"The realistic mix of the table above ({MIX_DESCRIPTION}); a stateless peer answers every one with its 200.",
        "",
        *table(versus.realistic),
        "",
        "| goal | target | measured | |",
        "| --- | --- | --- | --- |",
    ]
    for goal in goals(versus):
        lines.append(f"| {goal.name} | {goal.target} | {goal.measured} | {'met' if goal.met else 'missed'} |")
    return [*lines, ""]
