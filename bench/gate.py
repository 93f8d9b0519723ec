"""How the gate behaves against slow, throttling and broken targets, timed (not part of `./run bench`).

    .venv/bin/python -m bench.gate slow [SECONDS]   a correct target SECONDS (default 2) away on every request
    .venv/bin/python -m bench.gate failing          a full run against a broken target, and one that throttles all
    .venv/bin/python -m bench.gate repeat N         each timing-sensitive broken variant's catching test, N times

Each starts the shipped mock (or one of `tests/suite/variants`) on a loopback port and runs the installed
suite against it as `tests/suite/test_contract_suite.py` does; it prints exit codes, verdicts and seconds.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.suite.test_contract_suite import Run, run_suite
from tests.suite.variants import BROKEN, served
from tests.suite.variants.rate_limit import throttling

TIMING_SENSITIVE = (
    "check-then-write window of 2 ms",
    "a per-campaign lock that refuses the second",
    "a campaign document rewritten whole loses one of two discards",
    "discard undone a second later",
    "discard undone 12 s later",
    "traceId from the clock",
)


def _timed(inject: Callable[[Any], None] | None, *options: str, examples: str = "40") -> tuple[Run, float]:
    with served(inject) as mock, tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        run = run_suite(mock.base_url, Path(folder), *options, examples=examples)
        return run, time.monotonic() - started


def slow(seconds: float) -> None:
    def far_away(app: Any) -> None:
        wsgi_app = app.wsgi_app

        def layer(environ: dict[str, Any], start_response: Any) -> Any:
            time.sleep(seconds)
            return wsgi_app(environ, start_response)

        app.wsgi_app = layer

    run, took = _timed(far_away, "--contract-settle-seconds=15")
    verdict = next((line for line in run.output.splitlines() if line.startswith("contract rules:")), "")
    print(f"a correct target {seconds:g} s away: exit {run.code} in {took:.1f} s; {verdict}")


def failing() -> None:
    run, took = _timed(BROKEN["idempotent discard"].inject, "--contract-settle-seconds=15")
    print(f"a broken target (idempotent discard), full run, settle 15 s: exit {run.code} in {took:.1f} s")
    run, took = _timed(throttling(every=1))
    print(f"a target that throttles every request: exit {run.code} in {took:.1f} s")


def repeat(times: int) -> None:
    def once(name: str) -> tuple[str, bool, float]:
        bug = BROKEN[name]
        selected = " or ".join((*bug.catchers, *bug.also_run))
        run, took = _timed(bug.inject, "-k", selected, *bug.options, examples="8")
        return name, run.code == 1 and all(run.failed.get(c) == bug.rule.id for c in bug.catchers), took

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(once, [name for name in TIMING_SENSITIVE for _ in range(times)]))
    for name in TIMING_SENSITIVE:
        mine = [r for r in results if r[0] == name]
        print(f"{name}: caught {sum(r[1] for r in mine)}/{len(mine)}; slowest run {max(r[2] for r in mine):.1f} s")


if __name__ == "__main__":
    what, *rest = sys.argv[1:] or ["failing"]
    if what == "slow":
        slow(float(rest[0]) if rest else 2.0)
    elif what == "repeat":
        repeat(int(rest[0]) if rest else 20)
    else:
        failing()
