"""The results as one Markdown document: machine, the three tables, and the goals met or missed."""

from __future__ import annotations

from dataclasses import dataclass

from .hostile import CREATIONS, SLOW_CONNECTIONS, HostileReport
from .load import MIX_DESCRIPTION, PATTERN
from .scale import ScalePoint
from .suite import SuiteReport
from .throughput import ThroughputReport


@dataclass
class Goal:
    name: str
    target: str
    measured: str
    met: bool | None  # None: not measured in this run


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def throughput_table(report: ThroughputReport) -> list[str]:
    lines = [
        "| server | requests/s | p50 ms | p99 ms | server CPU µs/request | vs its ceiling | answers |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for measured in report.measured.values():
        best = measured.best
        baseline = report.measured.get(measured.config.baseline or "")
        share = f"{measured.share_of(baseline):.2f}x" if baseline else "—"
        lines.append(
            f"| {measured.config.label} | {best.rps:,.0f} | {_ms(best.p50_ms)} | {_ms(best.p99_ms)} | "
            f"{measured.cpu_us:,.0f} | {share} | {best.status_summary()} |"
        )
    lines.append("")
    fresh_share = PATTERN.count("f") / len(PATTERN)
    short = [
        measured.config.label
        for measured in report.measured.values()
        if measured.config.stateful
        and measured.best.requests
        and measured.best.fresh_used / measured.best.requests < fresh_share * 0.9
    ]
    if short:
        lines.append(
            f"- Fresh pending instances ran out in the best run of: {', '.join(short)}. Its later discards were "
            "repeats (409), so its mix was not the one above; raise THROUGHPUT_INSTANCES (bench/run.py)."
        )
    for paced in report.paced:
        label = report.measured[paced.key].config.label
        result = paced.result
        lines.append(
            f"- {label} paced at {paced.target_rps:,.0f} requests/s (half the default mock's peak; "
            f"got {result.rps:,.0f}): p50 {_ms(result.p50_ms)} ms, p99 {_ms(result.p99_ms)} ms"
        )
    return lines


def scale_table(points: list[ScalePoint]) -> list[str]:
    lines = [
        "| instances | start-up s | memory MB (PSS) | peak RSS MB | p50 ms | p99 ms | p50 vs smallest |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    smallest = points[0].latency.p50_ms if points else 0
    for point in points:
        ratio = f"{point.latency.p50_ms / smallest:.2f}x" if smallest else "—"
        lines.append(
            f"| {point.instances:,} | {point.started_in:.2f} | {point.memory.pss_mb:,.0f} | "
            f"{point.memory.peak_rss_mb:,.0f} | {_ms(point.latency.p50_ms)} | {_ms(point.latency.p99_ms)} | {ratio} |"
        )
    return lines


def suite_table(report: SuiteReport) -> list[str]:
    lines = ["| measure | value |", "| --- | ---: |"]
    if report.default_run:
        run = report.default_run
        lines.append(f"| default run, wall time (`pytest contract_tests`) | {run.seconds:.1f} s ({run.summary}) |")
    suite, plain = report.suite_best, report.plain_best
    lines += [
        f"| conformance test (suite), cases/s | {suite.per_second:.0f} ({suite.requests} in {suite.seconds:.2f} s) |",
        f"| plain Schemathesis loop, cases/s | {plain.per_second:.0f} ({plain.requests} in {plain.seconds:.2f} s) |",
        f"| suite / plain | {suite.per_second / plain.per_second:.2f}x |",
    ]
    return lines


# The default mock's requests/s in the committed table before serving moved to granian (gunicorn's
# threaded worker, bench/results/latest.md at 40716b2): the figure the shared stores are read against.
MEMORY_1_WORKER_BEFORE_RPS = 1611


def hostile_table(report: HostileReport) -> list[str]:
    return [
        "| measure | value |",
        "| --- | ---: |",
        f"| mix paced at {report.rate:,.0f} requests/s, no slow clients: p50 / p99 | "
        f"{_ms(report.calm.p50_ms)} / {_ms(report.calm.p99_ms)} ms |",
        f"| the same with {SLOW_CONNECTIONS:,} slow connections held open: p50 / p99 | "
        f"{_ms(report.slow.p50_ms)} / {_ms(report.slow.p99_ms)} ms ({report.slow.status_summary()}) |",
        f"| slow connections open at the end / closed by the server and opened again | "
        f"{report.slow_held:,} / {report.reopened:,} |",
        f"| RSS of all processes: start / after {report.creations:,} creations / after {report.flood_requests:,} "
        f"flood requests | {report.rss_start_mb:,.0f} / {report.rss_after_creations_mb:,.0f} / "
        f"{report.rss_after_flood_mb:,.0f} MB |",
    ]


def goals(
    throughput: ThroughputReport | None,
    points: list[ScalePoint] | None,
    suite: SuiteReport | None,
    hostile: HostileReport | None = None,
) -> list[Goal]:
    found: list[Goal] = []
    if throughput:
        mock = throughput.measured.get("mock")
        ceiling = throughput.measured.get("ceiling-1")
        prism = throughput.measured.get("prism")
        if mock and prism:
            ahead = mock.share_of(prism)
            found.append(Goal("default serve vs Prism", "≥ 1.50x", f"{ahead:.2f}x", ahead >= 1.5))
        if mock and ceiling:
            share = mock.share_of(ceiling)
            found.append(
                Goal("default serve vs bare Flask on the same server", "≥ 0.80x", f"{share:.2f}x", share >= 0.8)
            )
        for key in ("sqlite-2", "sqlite-4"):
            shared = throughput.measured.get(key)
            if shared:
                ratio = shared.best.rps / MEMORY_1_WORKER_BEFORE_RPS
                found.append(
                    Goal(
                        f"{shared.config.label} vs the 1-worker memory figure before granian "
                        f"({MEMORY_1_WORKER_BEFORE_RPS:,} requests/s)",
                        "≥ 1.50x",
                        f"{ratio:.2f}x",
                        ratio >= 1.5,
                    )
                )
        paced = next((p for p in throughput.paced if p.key == "mock"), None)
        if paced:
            p99 = paced.result.p99_ms
            found.append(Goal("p99 at half of peak", "< 5 ms", f"{p99:.2f} ms", p99 < 5))
    if hostile:
        p99 = hostile.slow.p99_ms
        found.append(
            Goal(f"discard p99 with {SLOW_CONNECTIONS:,} slow connections", "< 50 ms", f"{p99:.2f} ms", p99 < 50)
        )
        rss = max(hostile.rss_after_creations_mb, hostile.rss_after_flood_mb)
        found.append(
            Goal(
                f"memory after {CREATIONS:,} creations and a header flood",
                "< 300 MB",
                f"{rss:,.0f} MB",
                rss < 300 and hostile.creations >= CREATIONS,
            )
        )
    if points:
        largest, smallest = points[-1], points[0]
        found.append(
            Goal(
                f"start-up with {largest.instances:,} instances",
                "< 10 s",
                f"{largest.started_in:.2f} s",
                largest.started_in < 10,
            )
        )
        memory = largest.memory
        found.append(
            Goal(
                f"memory with {largest.instances:,} instances",
                "< 1 GB",
                f"{memory.pss_mb:,.0f} MB serving (peak {memory.peak_rss_mb:,.0f} MB)",
                memory.pss_mb < 1000 and memory.peak_rss_mb < 1000,
            )
        )
        ratio = largest.latency.p50_ms / smallest.latency.p50_ms if smallest.latency.p50_ms else 0
        found.append(
            Goal(
                f"discard p50 at {largest.instances:,} vs {smallest.instances:,}",
                "≤ 1.5x",
                f"{ratio:.2f}x",
                ratio <= 1.5,
            )
        )
    if suite:
        if suite.default_run:
            found.append(
                Goal(
                    "suite default run",
                    "< 60 s",
                    f"{suite.default_run.seconds:.1f} s",
                    suite.default_run.seconds < 60 and suite.default_run.returncode == 0,
                )
            )
        share = suite.suite_best.per_second / suite.plain_best.per_second
        found.append(Goal("suite case rate vs plain Schemathesis", "≥ 0.80x", f"{share:.2f}x", share >= 0.8))
    return found


def render(
    *,
    title: str,
    command: str,
    machine: dict[str, str],
    duration_s: float,
    throughput: ThroughputReport | None,
    points: list[ScalePoint] | None,
    suite: SuiteReport | None,
    hostile: HostileReport | None = None,
) -> str:
    lines = [f"# {title}", "", f"`{command}`, {duration_s / 60:.1f} minutes.", "", "| machine | |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in machine.items()]
    lines.append("")
    if throughput:
        lines += [
            "## The mock under load",
            "",
            f"Load: {throughput.tool}, one process over loopback, {throughput.connections} keep-alive connections, "
            f"{throughput.seconds:.0f} s per run, {throughput.rounds} interleaved round(s) after a warm-up; "
            "requests/s, latency and answers from each server's best round, CPU per request its least, and "
            "'vs its ceiling' the median over rounds of the ratio between runs made back to back. "
            f"Mix: {MIX_DESCRIPTION}, from a seeded set of pending instances. The ceiling is the same server "
            "and settings (granian, mock_server/serving/) with a bare Flask app answering a fixed envelope, "
            "with as many workers as the mock beside it.",
            "",
            *throughput_table(throughput),
            "",
        ]
    if hostile:
        lines += [
            "## Hostile clients",
            "",
            f"The default mock with {SLOW_CONNECTIONS:,} connections that stop mid-head or mid-body (any the "
            "server closes at its timeouts opened again at once), the mix paced beside them; then "
            f"{CREATIONS:,} POST /__mock/instances and a flood of requests with 30 KB of headers and 1 MB heads.",
            "",
            *hostile_table(hostile),
            "",
        ]
    if points:
        lines += [
            "## Scale",
            "",
            "`discard-mock serve --data FILE` with that many pending instances: start-up is spawn to the first "
            "answer; memory is the proportional set size of all its processes once serving (shared pages counted "
            "once), peak the highest resident set of any (the master, while loading); latency is the mix at a "
            "steady, modest rate, the same at every size.",
            "",
            *scale_table(points),
            "",
        ]
    if suite:
        lines += [
            "## The contract suite",
            "",
            f"Case rates with the example budget {suite.budget} (seed {suite.seed}), best of "
            f"{len(suite.suite_rates)} interleaved round(s), each against a fresh `discard-mock serve`; a case "
            "is a request the mock's journal saw, over the test function's own time.",
            "",
            *suite_table(suite),
            "",
        ]
    found = goals(throughput, points, suite, hostile)
    if found:
        lines += ["## Goals", "", "| goal | target | measured | |", "| --- | --- | --- | --- |"]
        for goal in found:
            mark = "met" if goal.met else "missed"
            lines.append(f"| {goal.name} | {goal.target} | {goal.measured} | {mark} |")
        lines.append("")
    return "\n".join(lines)
