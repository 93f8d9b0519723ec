"""Load generation over loopback, from a process of its own: wrk with a Lua mix, or a Python fallback.

Both speak the same mix (bench/mix.lua, bench/pyload.py) and report the same
`LoadResult`. wrk is the one to trust for peaks: it is C and takes little of
the CPU the server under test needs; the fallback is there so the bench runs
where wrk cannot be installed, and the table says which one ran.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .datafile import Layout

HERE = Path(__file__).resolve().parent
RESULT_PREFIX = "BENCH-RESULT "

# One cycle of the mix: 6 fresh discards (200), 2 repeats (409), 1 unknown ID (404), 1 without a key (401).
PATTERN = "frfufrfnff"
MIX_DESCRIPTION = "60% discards of fresh pending instances, 20% repeats, 10% unknown IDs, 10% without a key"
# The peers' mix: every request a discard of an ID never asked for before (a fresh pending instance
# for the mock, whose answer is a 200 and a write; any ID for a stateless peer, answered with its 200).
RANDOM_ID_PATTERN = "f"
RANDOM_ID_DESCRIPTION = "every request a discard of an instance ID never asked for before"


@dataclass
class LoadResult:
    """What one load run measured."""

    tool: str
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    fresh_used: int
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def status_summary(self) -> str:
        return " ".join(f"{status}:{n}" for status, n in sorted(self.statuses.items()))


def wrk_path() -> str | None:
    return shutil.which("wrk")


def ensure_wrk() -> str | None:
    """wrk, installed from Debian's packages when missing and this runs as root; None when unavailable."""
    found = wrk_path()
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print("bench: wrk is missing; installing it from Debian's packages", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        if subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
            print("bench: could not install wrk; the Python load generator will run instead", file=sys.stderr)
            return None
    return wrk_path()


class LoadGenerator:
    """Runs the mix against a base URL for a while, from a separate process."""

    def __init__(self, wrk: str | None) -> None:
        self.wrk = wrk
        self.tool = "wrk" if wrk else "python (bench/pyload.py)"

    def run(
        self,
        base_url: str,
        layout: Layout,
        first: int,
        count: int,
        *,
        connections: int,
        seconds: float,
        rate: float | None = None,
        threads: int = 1,
        pattern: str = PATTERN,
    ) -> LoadResult:
        """`count` fresh indexes from `first` are this run's to discard; `rate` paces it (requests/s).

        `pattern`: the mix, one letter a request (see PATTERN); RANDOM_ID_PATTERN for the peers.
        """
        args = [
            str(first),
            str(count),
            layout.account_group,
            layout.api_key,
            layout.instance_prefix,
            layout.campaign_prefix,
            str(layout.campaigns),
            layout.unknown_prefix,
            pattern,
            str(threads),
        ]
        if self.wrk:
            return self._wrk(base_url, args, connections, seconds, rate, threads)
        return self._python(base_url, args, connections, seconds, rate)

    def _wrk(
        self, base_url: str, args: list[str], connections: int, seconds: float, rate: float | None, threads: int
    ) -> LoadResult:
        script = (HERE / "mix.lua").read_text()
        if rate:
            script = f"BENCH_RATE_PER_THREAD = {rate / threads:.3f}\n" + script + (HERE / "pacing.lua").read_text()
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(script)
        try:
            command = [
                self.wrk,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "5s",
                "-s",
                handle.name,
                base_url,
                "--",
                *args,
            ]
            output = _run(command, timeout=seconds + 30)
        finally:
            os.unlink(handle.name)
        return _parse(output, "wrk")

    def _python(
        self, base_url: str, args: list[str], connections: int, seconds: float, rate: float | None
    ) -> LoadResult:
        command = [sys.executable, "-m", "bench.pyload", base_url, str(connections), str(seconds), str(rate or 0)]
        return _parse(_run([*command, *args], timeout=seconds + 30), "python")


def _run(command: list[str], timeout: float) -> str:
    done = subprocess.run(
        command, cwd=HERE.parent, capture_output=True, text=True, timeout=timeout, start_new_session=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    return done.stdout


def _parse(output: str, tool: str) -> LoadResult:
    for line in output.splitlines():
        if line.startswith(RESULT_PREFIX):
            doc = json.loads(line[len(RESULT_PREFIX) :])
            return LoadResult(
                tool=tool,
                requests=doc["requests"],
                seconds=doc["duration_us"] / 1e6,
                p50_ms=doc["p50_us"] / 1000,
                p90_ms=doc["p90_us"] / 1000,
                p99_ms=doc["p99_us"] / 1000,
                max_ms=doc["max_us"] / 1000,
                fresh_used=doc["fresh_used"],
                statuses={int(k): v for k, v in doc["statuses"].items()},
                errors=doc["errors"],
            )
    raise RuntimeError(f"no result line in the load generator's output:\n{output[-2000:]}")
