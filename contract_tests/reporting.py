"""What each contract test showed, gathered as the run goes, and the verdict per rule at the end."""

from __future__ import annotations

import os
from typing import Any

import pytest

from discard_contract.rules import Rule
from discard_contract.violations import ContractViolation

from .credentials import active, redact_url
from .report import TestOutcome, as_json, markdown, text_table, verdicts, write_json
from .session import is_contract_test, rules_of, run_line, state_of


def broken_rules(error: BaseException | None, depth: int = 0) -> tuple[Rule, ...]:
    """The rules a failure names: its own, its group's, or (for Hypothesis' flaky-replay
    errors, which wrap what the target did) those of its cause or context."""
    if error is None or depth > 5:
        return ()
    if isinstance(error, ContractViolation):
        return (error.rule,)
    if isinstance(error, BaseExceptionGroup):
        return tuple(dict.fromkeys(r for e in error.exceptions for r in broken_rules(e, depth + 1)))
    return broken_rules(error.__cause__ or error.__context__, depth + 1)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    state = state_of(item.config)
    if not (state.collected and is_contract_test(item)):
        return report
    if report.failed:
        report.sections.append(("contract run", run_line(item.config)))
    if report.when == "call" or (report.when == "setup" and not report.passed):
        reason = ""
        broken: tuple[Rule, ...] = ()
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = active().scrub(str(report.longrepr[2]).removeprefix("Skipped: "))
        elif report.failed and call.excinfo is not None:
            broken = broken_rules(call.excinfo.value)
            reason = (active().scrub(str(call.excinfo.value)).strip().splitlines() or [call.excinfo.typename])[0][:300]
        state.outcomes.append(TestOutcome(item.nodeid, rules_of(item), report.outcome, broken, reason))
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = state_of(config)
    if not state.collected or state.target is None or not state.outcomes:
        return
    target = state.target.describe()
    seed = state.settings.seed
    rules = verdicts(state.outcomes, state.record.statuses)
    terminalreporter.section("contract rules")
    for line in text_table(rules, state.record.statuses):
        terminalreporter.write_line(line)
    terminalreporter.write_line(run_line(config))
    if state.settings.report:
        doc = as_json(redact_url(state.target.base_url), seed, rules, state.record.statuses)
        write_json(state.settings.report, doc)
        terminalreporter.write_line(f"contract report: {state.settings.report}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(markdown(target, seed, rules, state.record.statuses))
