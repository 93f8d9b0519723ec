"""The contract suite, run against mocks that break the contract and mocks that keep it.

A check that a broken server also passes is worthless, so each realistic bug
below must make the suite fail, in the test meant to catch it; and servers that
keep the contract, whichever way they decide its inferred points, must pass.
The suite runs as a user runs it: installed, from another folder, over HTTP.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from mock_server import create_app

from .contract_variants import BROKEN, approved_action, other_inferred_choices, served, throttled
from .served import served as served_process

EXAMPLES = "8"  # a small budget: each bug here is caught by a targeted test, not by luck


def run_suite(base_url: str, workdir: Path, *extra: str) -> tuple[int, set[str], str]:
    """Runs `pytest --pyargs contract_tests` against `base_url`; (exit code, failed tests, output)."""
    report = workdir / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "contract_tests",
        "-p",
        "no:cacheprovider",
        "-q",
        f"--junitxml={report}",
        f"--base-url={base_url}",
        "--api-key=sk_test_execute",
        "--api-key-without-permission=sk_test_readonly",
        f"--state-setup-url={base_url}/__mock/provider-states",
        f"--contract-examples={EXAMPLES}",
        "--contract-no-shrink",
        *extra,
    ]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600)
    failed = {
        case.get("name", "").split("[")[0]
        for case in ET.parse(report).iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    }
    return done.returncode, failed, done.stdout[-6000:] + done.stderr[-2000:]


@pytest.mark.parametrize("bug", BROKEN, ids=list(BROKEN))
def test_the_suite_fails_a_mock_with_a_bug(bug: str, tmp_path: Path) -> None:
    inject, catcher = BROKEN[bug]
    with served(inject) as mock:
        code, failed, output = run_suite(mock.base_url, tmp_path)
    assert code == 1, f"the suite should fail on '{bug}' (exit 1), exited {code}:\n{output}"
    assert catcher in failed, f"'{bug}' should fail {catcher}; failed: {sorted(failed)}\n{output}"


CORRECT: dict[str, tuple[Callable[[Flask], None] | None, tuple[str, ...]]] = {
    "the shipped mock": (None, ()),
    "other inferred choices": (other_inferred_choices, ()),
    "action 'approved', inferred checks deselected": (approved_action, ("-m", "not inferred")),
    "a rate limiter answering every third request 429": (throttled, ()),
}


@pytest.mark.parametrize("variant", CORRECT, ids=list(CORRECT))
def test_the_suite_passes_a_mock_that_keeps_the_contract(variant: str, tmp_path: Path) -> None:
    inject, extra = CORRECT[variant]
    with served(inject) as mock:
        code, failed, output = run_suite(mock.base_url, tmp_path, *extra)
    assert code == 0 and not failed, f"the suite should pass '{variant}'; failed {sorted(failed)}:\n{output}"


def test_the_inferred_marker_is_what_separates_an_approved_action(tmp_path: Path) -> None:
    """The same server fails when the inferred checks run: the marker is not decoration."""
    with served(approved_action) as mock:
        code, failed, output = run_suite(mock.base_url, tmp_path, "-m", "inferred")
    assert code == 1 and "test_a_discard_stops_the_instance_with_content_discarded" in failed, output


def test_the_suite_reaches_a_provider_state_endpoint_behind_a_token(tmp_path: Path) -> None:
    with served(app=create_app({"CONTROL_TOKEN": "team-secret"})) as mock:
        code, failed, output = run_suite(
            mock.base_url, tmp_path, "--state-setup-header=X-Mock-Control-Token: team-secret"
        )
    assert code == 0 and not failed, output
    assert " passed" in output and "skipped" not in output, output


def test_the_suite_passes_the_four_worker_sqlite_mock(tmp_path: Path) -> None:
    """The shared setup a team runs: gunicorn's processes on one SQLite file."""
    with served_process("--quiet", "--workers", "4", "--store", f"sqlite:{tmp_path / 'mock.db'}") as mock:
        code, failed, output = run_suite(mock.base_url, tmp_path)
    assert code == 0 and not failed, output


def test_the_suite_fails_the_four_worker_sqlite_mock_with_a_fault(tmp_path: Path) -> None:
    """An injected server error on a share of requests is a contract violation the gate must report."""
    with served_process("--quiet", "--workers", "4", "--store", f"sqlite:{tmp_path / 'mock.db'}") as mock:
        status, _, body = mock.call("POST", "/__mock/faults", body={"status": 500, "probability": 0.2})
        assert status == 201, body
        code, failed, output = run_suite(mock.base_url, tmp_path)
    assert code == 1 and failed, output
