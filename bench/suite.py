"""The contract suite: the wall time of its default run, and its case rate next to a plain Schemathesis loop.

The default run is `pytest contract_tests -q -p no:cacheprovider` as a CI
job would run it (the bundled mock, the default example budget), with a
fixed seed so runs compare. The case rate is the conformance property test's
requests per second of its own call time (from pytest's JUnit report, so
start-up and provisioning fixtures are left out), counted in the mock's
request journal; bench/plain_loop.py does the same with Schemathesis alone,
against the same mock, seed and budget. The rounds alternate the two.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from .procs import ROOT, ServerProcess
from .servers import MOCK_READY

API_KEY = "sk_test_execute"  # the bundled mock's documented keys
KEY_WITHOUT_PERMISSION = "sk_test_readonly"


@dataclass
class DefaultRun:
    seconds: float
    summary: str  # pytest's last line, e.g. "39 passed in 6.26s"
    returncode: int


@dataclass
class Rate:
    """Requests one loop sent, in how long its test function ran."""

    requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class SuiteReport:
    default_run: DefaultRun | None
    budget: int
    seed: int
    suite_rates: list[Rate] = field(default_factory=list)
    plain_rates: list[Rate] = field(default_factory=list)

    @property
    def suite_best(self) -> Rate:
        return max(self.suite_rates, key=lambda rate: rate.per_second)

    @property
    def plain_best(self) -> Rate:
        return max(self.plain_rates, key=lambda rate: rate.per_second)


def default_run(seed: int) -> DefaultRun:
    command = [sys.executable, "-m", "pytest", "contract_tests", "-q", "-p", "no:cacheprovider"]
    began = time.perf_counter()
    done = subprocess.run(
        [*command, "--contract-seed", str(seed)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    seconds = time.perf_counter() - began
    lines = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    summary = lines[-1].strip("= ") if lines else f"exit code {done.returncode}"
    return DefaultRun(seconds, summary, done.returncode)


def measure(seed: int, budget: int, rounds: int, with_default_run: bool = True) -> SuiteReport:
    report = SuiteReport(default_run(seed) if with_default_run else None, budget, seed)
    if report.default_run:
        _say(f"default run: {report.default_run.seconds:.1f} s ({report.default_run.summary})")
    mock = ServerProcess(
        "mock for the case rates",
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--quiet", "--journal-size", "1000000"],
        MOCK_READY,
    ).start()
    try:
        for round_index in range(rounds):
            loops = ("suite", "plain") if round_index % 2 == 0 else ("plain", "suite")
            for loop in loops:
                rate = _rate(loop, mock.url, seed, budget)
                (report.suite_rates if loop == "suite" else report.plain_rates).append(rate)
                _say(f"round {round_index + 1}/{rounds} {loop}: {rate.requests} cases in {rate.seconds:.2f} s")
    finally:
        mock.stop()
    return report


def _rate(loop: str, base_url: str, seed: int, budget: int) -> Rate:
    _call(base_url, "POST", "/__mock/reset")
    _call(base_url, "DELETE", "/__mock/requests")
    with tempfile.TemporaryDirectory() as scratch:
        junit = Path(scratch) / "junit.xml"
        common = ["-q", "-p", "no:cacheprovider", "--contract-seed", str(seed), "--contract-examples", str(budget)]
        common += ["--junitxml", str(junit), "-o", "junit_duration_report=call"]
        if loop == "suite":
            command = [
                "contract_tests/test_conformance.py",
                "--base-url",
                base_url,
                "--api-key",
                API_KEY,
                "--api-key-without-permission",
                KEY_WITHOUT_PERMISSION,
                "--state-setup-url",
                base_url + "/__mock/provider-states",
            ]
        else:
            command = ["bench/plain_loop.py"]
        env = {"BENCH_BASE_URL": base_url, "BENCH_API_KEY": API_KEY}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *command, *common],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, **env},
        )
        if done.returncode != 0:
            raise RuntimeError(f"the {loop} loop failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
        seconds = sum(float(case.get("time", 0)) for case in ElementTree.parse(junit).iter("testcase"))
    requests = len(json.loads(_call(base_url, "GET", "/__mock/requests"))["requests"])
    return Rate(requests, seconds)


def _call(base_url: str, method: str, path: str) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(base_url + path, method=method), timeout=30) as answer:
        return answer.read()


def _say(message: str) -> None:
    print(f"bench: suite: {message}", file=sys.stderr, flush=True)
