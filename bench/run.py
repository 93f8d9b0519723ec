"""`./run bench` (or `python -m bench`): measure, print the table, write it to bench/results/latest.md.

    ./run bench            full run (about 5 minutes on 2 cores)
    ./run bench --quick    shorter runs, one round (about 2 minutes)
    ./run bench --only throughput,scale,suite --no-prism --load python --out FILE

A benchmark, not a test: nothing here asserts a time. Goals are reported
met or missed, always as ratios measured in the same run, because the
machines it runs on are shared and their speed changes by the minute.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import fleet, hostile, machine, report, scale, servers, suite, throughput, versus
from .datafile import data_file
from .load import LoadGenerator, ensure_wrk
from .procs import install_cleanup

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "latest.md"  # the full run's table, committed and quoted in the README
PARTIAL_OUT = HERE / "results" / "partial.md"  # --quick or --only runs: never over the full run's table
SECTIONS = ("throughput", "peers", "hostile", "scale", "suite", "stores")
HOSTILE_RATE = 1000.0  # requests/s for the slow-connection runs when throughput was not measured first
# Enough fresh pending instances for every run of a server at about 20,000 requests/s (8 s runs, 5 runs each).
THROUGHPUT_INSTANCES = 600_000
# The hostile section's server: as many as its two paced runs need (its memory goal is read against this size).
HOSTILE_INSTANCES = 100_000
SCALE_SIZES = [10_000, 100_000, 1_000_000]
SEED = 20260101


@dataclass(frozen=True)
class Settings:
    """How long each part runs; --quick trades rounds and seconds for time."""

    rounds: int
    seconds: float
    warmup: float
    paced_seconds: float
    scale_seconds: float
    scale_rate: float
    suite_budget: int
    suite_rounds: int


FULL = Settings(
    rounds=3, seconds=8, warmup=2, paced_seconds=6, scale_seconds=5, scale_rate=200, suite_budget=200, suite_rounds=3
)
QUICK = Settings(
    rounds=1, seconds=3, warmup=1, paced_seconds=3, scale_seconds=2, scale_rate=200, suite_budget=100, suite_rounds=1
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="./run bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short round of everything (about 2 minutes)")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated sections (default: {','.join(SECTIONS)})"
    )
    parser.add_argument("--no-prism", action="store_true", help="leave Prism out even where Node.js is present")
    parser.add_argument(
        "--load",
        choices=("auto", "python"),
        default="auto",
        help="auto: wrk (installed from Debian's packages when missing and root), else the Python generator; "
        "python: the Python generator whatever is installed (default %(default)s)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="TREE",
        help="stores: also serve the SQLite and Redis rows from TREE (a worktree of an earlier commit), "
        "in the same interleaved rounds",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help=f"where to write the table (default {DEFAULT_OUT}; with --quick or --only, {PARTIAL_OUT})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sections = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        print(f"bench: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    settings = QUICK if args.quick else FULL
    if args.out is None:
        args.out = PARTIAL_OUT if args.quick or set(sections) != set(SECTIONS) else DEFAULT_OUT
    install_cleanup()
    began = time.perf_counter()
    described = machine.describe()
    load = LoadGenerator(ensure_wrk() if args.load == "auto" else None)
    scratch = Path(tempfile.mkdtemp(prefix="discard-bench-"))
    measured_throughput = points = measured_suite = measured_hostile = None
    measured_stores = None
    measured_peers = None
    try:
        if "throughput" in sections:
            path, layout = data_file(THROUGHPUT_INSTANCES)
            with_prism = servers.prism_available() and not args.no_prism
            if not with_prism and not args.no_prism:
                print("bench: Prism not found (node_modules/.bin/prism); its row is left out", file=sys.stderr)
            plan = throughput.Plan(
                settings.rounds, settings.seconds, settings.warmup, paced_seconds=settings.paced_seconds
            )
            measured_throughput = throughput.measure(servers.configs(with_prism), load, path, layout, scratch, plan)
        if "peers" in sections:
            path, layout = data_file(THROUGHPUT_INSTANCES)
            with_prism = servers.prism_available() and not args.no_prism
            measured_peers = versus.measure(load, path, layout, scratch, settings.rounds, settings.seconds, with_prism)
        if "hostile" in sections:
            path, layout = data_file(HOSTILE_INSTANCES)
            mock = measured_throughput.measured.get("mock") if measured_throughput else None
            rate = mock.best.rps / 2 if mock else HOSTILE_RATE
            measured_hostile = hostile.measure(load, path, layout, scratch, rate, settings.paced_seconds)
        if "scale" in sections:
            points = scale.measure(SCALE_SIZES, load, settings.scale_rate, settings.scale_seconds)
        if "suite" in sections:
            measured_suite = suite.measure(SEED, settings.suite_budget, settings.suite_rounds)
        if "stores" in sections:
            path, layout = data_file(THROUGHPUT_INSTANCES)
            measured_stores = fleet.measure(
                load, path, layout, scratch, settings.rounds, settings.seconds, baseline=args.baseline
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    command = "./run bench" + (" --quick" if args.quick else "")
    if sections != list(SECTIONS):
        command += f" --only {','.join(sections)}"
    if args.load != "auto":
        command += f" --load {args.load}"
    text = report.render(
        title="Benchmarks" + (" (quick)" if args.quick else ""),
        command=command,
        machine=described,
        duration_s=time.perf_counter() - began,
        throughput=measured_throughput,
        points=points,
        suite=measured_suite,
        hostile=measured_hostile,
    )
    if measured_peers is not None:
        text += "\n" + "\n".join(versus.render(measured_peers))
    if measured_stores is not None:
        text += "\n" + "\n".join(fleet.table(measured_stores)) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"bench: written to {shlex.quote(str(args.out))}", file=sys.stderr)
    return 0
