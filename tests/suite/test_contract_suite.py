"""The contract suite, run against mocks that break the contract and mocks that keep it.

A check that a broken server also passes is worthless, so each realistic bug
must make the suite fail in the test meant to catch it, with a violation of
the rule the bug breaks (not just "something failed"); and servers that keep
the contract, whichever way they decide its inferred points, must pass with
nothing skipped. The suite runs as a user runs it: installed, from another
folder, over HTTP. A broken variant runs only the tests that must catch it;
each correct server gets one full run.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask

from discard_contract.rules import RULES
from mock_server import create_app
from mock_server.seed import DEFAULT_DATA

from ..support.served import served as served_process
from ..support.suite_process import run_pytest
from .variants import BROKEN, served
from .variants.correct import (
    approved_action,
    behind_a_wan_with_gzip_and_connection_close,
    other_inferred_choices,
    throttled,
)

EXAMPLES = "8"  # a small budget: each bug here is caught by a targeted test, not by luck
SETTLE_SECONDS = 0.5  # the census's wait; a variant whose effect comes later asks for more (Bug.options)
RULE_TAG = re.compile(r"\[([a-z0-9-]+)\]")


@dataclass
class Run:
    code: int
    failed: dict[str, str]  # test (without parameters) -> the rule its first failure names, or its type
    passed: int
    skipped: list[str]
    output: str


def run_suite(
    base_url: str, workdir: Path, *extra: str, examples: str = EXAMPLES, env: dict[str, str] | None = None
) -> Run:
    """Runs `pytest --pyargs contract_tests` against `base_url`, as a user would (never into
    this job's own GitHub step summary)."""
    report = workdir / "junit.xml"
    command = [
        "--pyargs", "contract_tests", "-p", "no:cacheprovider", "-q",
        f"--junitxml={report}", f"--base-url={base_url}", "--api-key=sk_test_execute",
        "--api-key-without-permission=sk_test_readonly", f"--state-setup-url={base_url}/__mock/provider-states",
        f"--contract-examples={examples}", "--contract-no-shrink", f"--contract-settle-seconds={SETTLE_SECONDS}",
        *extra,
    ]  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"} | (env or {})
    done = run_pytest(command, workdir, environment, timeout=300)
    output = done.stdout[-6000:] + done.stderr[-2000:]
    if not report.exists():
        return Run(done.returncode, {}, 0, [], output)
    failed: dict[str, str] = {}
    passed, skipped = 0, []
    for case in ET.parse(report).iter("testcase"):
        name = case.get("name", "").split("[")[0]
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        if problem is not None:
            message = problem.get("message") or ""
            tag = RULE_TAG.search(message) or RULE_TAG.search(problem.text or "")
            failed.setdefault(name, tag.group(1) if tag else message.split(":")[0])
        elif case.find("skipped") is not None:
            skipped.append(f"{name}: {case.find('skipped').get('message')}")  # type: ignore[union-attr]
        else:
            passed += 1
    return Run(done.returncode, failed, passed, skipped, output)


@pytest.mark.parametrize("bug", BROKEN, ids=list(BROKEN))
def test_the_suite_fails_a_mock_with_a_bug_in_the_test_meant_to_catch_it(bug: str, tmp_path: Path) -> None:
    variant = BROKEN[bug]
    selected = " or ".join((*variant.catchers, *variant.also_run))
    report = tmp_path / "report.json"
    with served(variant.inject) as mock:
        run = run_suite(mock.base_url, tmp_path, "-k", selected, f"--contract-report={report}", *variant.options)
    assert run.code == 1, f"the suite should fail on '{bug}' (exit 1), exited {run.code}:\n{run.output}"
    for catcher in variant.catchers:
        assert run.failed.get(catcher) == variant.rule.id, (
            f"'{bug}' should fail {catcher} with a violation of rule {variant.rule.id!r}; "
            f"failed: {run.failed}\n{run.output}"
        )
    verdicts = {r["id"]: r["verdict"] for r in json.loads(report.read_text())["rules"]}
    assert verdicts[variant.rule.id] == "failed", verdicts


def _in_one_run(*injectors: Callable[[Flask], None]) -> Callable[[Flask], None]:
    def inject(app: Flask) -> None:
        for injector in injectors:
            injector(app)

    return inject


CONTROL = {"X-Mock-Control-Token": "team-secret"}
SEEDED = {doc["workflowInstanceId"]: doc for doc in json.loads(DEFAULT_DATA.read_text())["instances"]}


def _shipped_mock_behind_a_token_and_a_rate_limit() -> Flask:
    """The shipped mock as a team runs it: control token, its own per-key rate limit."""
    return create_app({"CONTROL_TOKEN": CONTROL["X-Mock-Control-Token"], "RATE_LIMIT": "40/s"})


CORRECT: dict[str, tuple[Callable[[], Flask] | None, Callable[[Flask], None] | None, tuple[str, ...]]] = {
    # name: (app factory or None for the shipped one, injector, extra options)
    "the shipped mock behind a control token and a rate limit": (
        _shipped_mock_behind_a_token_and_a_rate_limit,
        None,
        ("--state-setup-header=X-Mock-Control-Token: team-secret",),
    ),
    "other inferred choices": (None, other_inferred_choices, ()),
    "action 'approved', inferred checks deselected": (None, approved_action, ("-m", "not inferred")),
    "429 on every third request, with Retry-After and without, in turn": (None, throttled, ()),
    "15 ms away, gzip, Connection: close": (None, behind_a_wan_with_gzip_and_connection_close, ()),
}


@pytest.mark.parametrize("variant", CORRECT, ids=list(CORRECT))
def test_the_suite_passes_a_mock_that_keeps_the_contract(variant: str, tmp_path: Path) -> None:
    factory, inject, extra = CORRECT[variant]
    with served(inject, app=factory() if factory else None) as mock:
        run = run_suite(mock.base_url, tmp_path, *extra)
        after = requests.get(f"{mock.base_url}/__mock/instances", headers=CONTROL, timeout=10).json()["instances"]
    assert run.code == 0 and not run.failed, f"the suite should pass '{variant}'; failed {run.failed}:\n{run.output}"
    changed = [doc["workflowInstanceId"] for doc in after if SEEDED.get(doc["workflowInstanceId"], doc) != doc]
    assert not changed, f"the suite changed instances it was not given: {changed}"
    assert not run.skipped, f"nothing may be skipped when every option is given: {run.skipped}"
    assert run.passed >= 30, f"only {run.passed} tests ran:\n{run.output}"


def test_the_inferred_marker_is_what_separates_an_approved_action(tmp_path: Path) -> None:
    """The same server fails when the inferred checks run: the marker is not decoration."""
    with served(approved_action) as mock:
        run = run_suite(mock.base_url, tmp_path, "-m", "inferred", "-k", "content_discarded")
    assert run.code == 1, run.output
    assert run.failed == {"test_a_discard_stops_the_instance_with_content_discarded": "discard-details"}, run.output


def test_the_four_worker_sqlite_mock_passes_and_the_report_lists_every_rule(tmp_path: Path) -> None:
    """The shared setup a team runs: several worker processes on one SQLite file; on CI, the job summary."""
    report = tmp_path / "report.json"
    summary = tmp_path / "step-summary.md"
    with served_process("--quiet", "--workers", "4", "--store", f"sqlite:{tmp_path / 'mock.db'}") as mock:
        run = run_suite(
            mock.base_url, tmp_path, f"--contract-report={report}", env={"GITHUB_STEP_SUMMARY": str(summary)}
        )
    assert run.code == 0 and not run.failed and not run.skipped, run.output
    doc = json.loads(report.read_text())
    assert doc["target"] == mock.base_url and isinstance(doc["seed"], int)
    assert [r["id"] for r in doc["rules"]] == [r.id for r in RULES]
    verdicts = {r["id"]: r["verdict"] for r in doc["rules"]}
    assert "failed" not in verdicts.values(), doc["rules"]
    # Only the 429 rule may go unproven: this target never throttles.
    assert {k for k, v in verdicts.items() if v != "passed"} <= {"rate-limit"}, doc["rules"]
    assert doc["statuses"].get("200", 0) > 0 and doc["statuses"].get("409", 0) > 0, doc["statuses"]
    markdown = summary.read_text()
    assert "| rule | title | verdict | why |" in markdown and markdown.count("✅ passed") == len(RULES) - 1, markdown


def test_the_report_fails_the_broken_rule_and_a_fault_is_a_spec_violation(tmp_path: Path) -> None:
    """An injected server error is a contract violation the gate reports, under the spec's rule."""
    report = tmp_path / "report.json"
    with served_process("--quiet", "--workers", "4", "--store", f"sqlite:{tmp_path / 'mock.db'}") as mock:
        status, _, body = mock.call("POST", "/__mock/faults", body={"status": 500, "probability": 0.5})
        assert status == 201, body
        run = run_suite(
            mock.base_url, tmp_path, f"--contract-report={report}", "-k", "test_every_answer_has_its_own_trace_id"
        )
    assert run.code == 1 and run.failed == {"test_every_answer_has_its_own_trace_id": "spec"}, run.output
    verdicts = {r["id"]: r["verdict"] for r in json.loads(report.read_text())["rules"]}
    assert verdicts["spec"] == "failed", verdicts
