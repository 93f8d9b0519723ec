"""`python -m pytest ARGS` in a process of its own, minus a fresh interpreter's imports.

Dozens of tests run the contract suite (`pytest --pyargs contract_tests`) against a
server, each in its own process, working directory and environment, as a user runs it.
A new interpreter spent over a second of CPU importing pytest, Schemathesis, Hypothesis
and their dependencies before the suite began: a fifth of the whole test run's CPU.
These runs are forked instead from a server process (multiprocessing's forkserver) that
imported those libraries once. Nothing of this project is imported before the fork: each
run loads the suite's plugin, settings and schema anew, as a fresh interpreter does. What
those libraries read from the environment as they are imported (Hypothesis picks its `ci`
profile when CI is set) comes from this test session's environment, not the run's.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

# Third-party libraries only (the slow part of starting): the suite's own modules load in each run.
PRELOAD = ["pytest", "hypothesis", "schemathesis", "requests", "jsonschema", "yaml"]


def run_pytest(
    args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """`python -m pytest ARGS` in `cwd` with exactly `env`: its exit code, stdout and stderr.

    subprocess.TimeoutExpired, the run killed, when it takes longer than `timeout` seconds.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    command = ["pytest", *args]
    with tempfile.TemporaryDirectory() as scratch:
        out, err = Path(scratch) / "stdout", Path(scratch) / "stderr"
        process = context.Process(target=_pytest_main, args=(command[1:], str(cwd), dict(env), str(out), str(err)))
        process.start()
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired(command, timeout)
        return subprocess.CompletedProcess(
            command, process.exitcode, out.read_text(errors="replace"), err.read_text(errors="replace")
        )


def _pytest_main(args: list[str], cwd: str, env: dict[str, str], out: str, err: str) -> None:
    """In the forked process: the run's directory, environment and output files, then pytest's exit code."""
    os.chdir(cwd)
    sys.path.insert(0, cwd)  # as `python -m` puts its working directory first
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    import pytest

    sys.exit(int(pytest.main(args)))
