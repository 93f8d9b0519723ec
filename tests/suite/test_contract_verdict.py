"""The gate's verdict claims only what the run saw, and every exit leaves its artefacts.

Each test runs the installed suite as a CI job would, and reads what a CI
engineer reads: the exit code, the JUnit file, the JSON report and the job
summary.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from discard_contract import rules

from ..support.suite_process import run_pytest
from .test_contract_suite import run_suite
from .variants import served
from .variants.correct import provider_states_that_ignore_where
from .variants.discard_200 import completed_after_discard
from .variants.rate_limit import throttling


def verdicts_of(report: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in json.loads(report.read_text())["rules"]}


def test_without_instances_no_rule_that_needs_one_passes(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with served() as mock:
        run = run_suite(mock.base_url, tmp_path, "--state-setup-url=", f"--contract-report={report}")
    assert run.code == 0, run.output
    verdicts = verdicts_of(report)
    assert verdicts[rules.DISCARD_200.id]["verdict"] == "skipped", verdicts[rules.DISCARD_200.id]
    needing = [rules.DISCARD_200, rules.REPEAT_409, rules.NOT_PENDING_409, rules.FINAL, rules.CONCURRENT]
    assert [r.id for r in needing if verdicts[r.id]["verdict"] == "passed"] == []
    assert "--state-setup-url" in verdicts[rules.REPEAT_409.id]["reason"]


def test_a_rule_with_a_failed_test_is_never_passed(tmp_path: Path) -> None:
    """'completed after discard' breaks discard-200 in every test that discards: no rule those
    tests declare may read PASSED, whichever rule their failure named."""
    report = tmp_path / "report.json"
    with served(completed_after_discard) as mock:
        run = run_suite(mock.base_url, tmp_path, f"--contract-report={report}", "-k", "auth or state_rules")
    assert run.code == 1, run.output
    verdicts = verdicts_of(report)
    for rule_id in (rules.AUTH_401.id, rules.REJECTED_UNCHANGED.id, rules.DISCARD_200.id):
        assert verdicts[rule_id]["verdict"] == "failed", verdicts[rule_id]
    tests = {t for v in verdicts.values() for t in v["tests"]} - {"census"}
    assert tests and all(t.startswith("contract_tests/test_") for t in tests), tests


def test_a_run_stopped_by_x_says_so_for_what_it_did_not_reach(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with served(completed_after_discard) as mock:
        run = run_suite(mock.base_url, tmp_path, "-x", f"--contract-report={report}")
    assert run.code == 1, run.output
    reasons = [v["reason"] for v in verdicts_of(report).values() if v["verdict"] == "skipped"]
    assert reasons and any("stopped early" in r and "-x" in r for r in reasons), reasons
    assert not any("deselected" in r for r in reasons), reasons


def test_a_target_that_throttles_everything_cannot_be_judged_and_the_junit_file_says_so(tmp_path: Path) -> None:
    report, summary = tmp_path / "report.json", tmp_path / "summary.md"
    with served(throttling(every=1)) as mock:
        run = run_suite(
            mock.base_url, tmp_path, f"--contract-report={report}", env={"GITHUB_STEP_SUMMARY": str(summary)}
        )
    assert run.code == 4, run.output
    assert "throttled" in run.output, run.output
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("errors", "0")) + int(suite.get("failures", "0")) >= 1
    assert "throttled" in json.loads(report.read_text())["verdict"]
    assert "CANNOT JUDGE" in summary.read_text()


def test_under_ci_a_run_without_a_target_is_refused_unless_the_bundled_mock_is_asked_for(tmp_path: Path) -> None:
    command = [
        "--pyargs", "contract_tests", "-p", "no:cacheprovider", "-q",
        f"--junitxml={tmp_path / 'junit.xml'}", "-k", "trace_id",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_BASE_URL", "CONTRACT_"))} | {"CI": "true"}
    refused = run_pytest(command, tmp_path, env, timeout=120)
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert "--base-url" in refused.stderr and "--contract-bundled-mock" in refused.stderr, refused.stderr
    junit = (tmp_path / "junit.xml").read_text()
    assert "<error" in junit and "--contract-bundled-mock" in junit, junit
    asked = run_pytest([*command, "--contract-bundled-mock", "--contract-settle-seconds=0"], tmp_path, env, timeout=120)
    assert asked.returncode == 0, asked.stdout + asked.stderr


def test_a_target_whose_provider_states_ignore_where_gets_the_interactions_it_can(tmp_path: Path) -> None:
    """CONTRACT.md: a target may ignore params.campaignId and params.accountGroupId; the run then tests
    what it can and names what it could not."""
    with served(provider_states_that_ignore_where) as mock:
        run = run_suite(mock.base_url, tmp_path, "-k", "different_instances or state_machine")
    assert run.code == 0 and not run.failed, run.output
    assert run.passed >= 2, run.output  # across campaigns, and the state machine
    assert len(run.skipped) == 1, run.skipped
    assert "in one campaign" in run.skipped[0] and "ignored params" in run.skipped[0], run.skipped


def test_a_rule_the_time_budget_left_unchecked_cannot_be_judged_and_says_which(tmp_path: Path) -> None:
    """A budget that the census's settle time nearly fills: the first test runs, the rest are skipped
    for the budget, and the rules only they check make the run exit 4, named."""
    report = tmp_path / "report.json"
    with served() as mock:
        run = run_suite(
            mock.base_url, tmp_path, "--contract-time-budget=1", "--contract-settle-seconds=0.9",
            f"--contract-report={report}",
        )  # fmt: skip
    assert run.code == 4, run.output
    doc = json.loads(report.read_text())
    unchecked = [r["id"] for r in doc["rules"] if r["verdict"] == "skipped" and "time budget" in r["reason"]]
    assert unchecked, doc["rules"]
    assert "time budget ran out before" in doc["verdict"] and unchecked[0] in doc["verdict"], doc["verdict"]
    assert run.skipped and all("time budget" in s for s in run.skipped), run.skipped
    assert not run.failed.keys() - {"verdict"}, run.failed
