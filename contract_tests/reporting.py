"""What each contract test showed, gathered as the run goes, and the run's verdict at the end.

`Reporter` is registered per run (no module state). Outcomes travel on each
report's `user_properties`, so under pytest-xdist the controller, which runs
no test, sees them as a single process does. At the end it decides the
verdict (0: every checked rule held; 1: a rule broke; 4: the run could not
judge), and writes the terminal table, the JSON report, the job summary, and
a JUnit file that never reads green when the run could not judge.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from discard_contract.rules import Rule, rule
from discard_contract.verdicts import RuleVerdict, as_json
from discard_contract.violations import ContractViolation

from .census import CENSUS, CENSUS_RULES
from .credentials import active, redact_url
from .report import RunFacts, TestOutcome, markdown, text_table, verdicts, write_json
from .session import RunState, is_contract_test, rules_of, run_line, state_of, test_id

RULES_PROPERTY, BROKEN_PROPERTY, REASON_PROPERTY = "contract_rules", "contract_broken", "contract_reason"
TEST_PROPERTY = "contract_test"
TIME_BUDGET = "time budget"


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
    """On the process that ran the test: what it proves and what broke, on the report itself."""
    report = yield
    if not is_contract_test(item):
        return report
    if report.failed:
        report.sections.append(("contract run", run_line(item.config)))
    if report.when == "call" or not report.passed:
        reason = ""
        broken: tuple[Rule, ...] = ()
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = active().scrub(str(report.longrepr[2]).removeprefix("Skipped: "))
        elif report.failed and call.excinfo is not None:
            broken = broken_rules(call.excinfo.value)
            reason = (active().scrub(str(call.excinfo.value)).strip().splitlines() or [call.excinfo.typename])[0]
            reason = reason[:300]
        report.user_properties += [
            (TEST_PROPERTY, test_id(item)),
            (RULES_PROPERTY, ",".join(r.id for r in rules_of(item))),
            (BROKEN_PROPERTY, ",".join(r.id for r in broken)),
            (REASON_PROPERTY, reason),
        ]
    return report


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker's census, statuses and any reason it could not judge join the run's."""
    doc = getattr(node, "workeroutput", {}).get("contract_run")
    if not doc:
        return
    state = state_of(node.config)
    state.census.merge(doc["census"])
    state.record.statuses.update({int(k): v for k, v in doc["statuses"].items()})
    state.record.cannot_judge = state.record.cannot_judge or doc["cannot_judge"]


class Reporter:
    """The run's reporting, registered by session.py as a plugin object of its own."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.session: pytest.Session | None = None
        self.rules: list[RuleVerdict] = []
        self.verdict = ""

    @property
    def state(self) -> RunState:
        return state_of(self.config)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if RULES_PROPERTY not in properties:
            return
        declared = tuple(rule(i) for i in str(properties[RULES_PROPERTY]).split(",") if i)
        broken = tuple(rule(i) for i in str(properties[BROKEN_PROPERTY]).split(",") if i)
        nodeid = str(properties[TEST_PROPERTY])
        outcome = TestOutcome(nodeid, declared, report.outcome, broken, str(properties[REASON_PROPERTY]))
        self.state.outcomes.append(outcome)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        state = self.state
        if not (state.collected or state.outcomes or state.record.cannot_judge) or hasattr(self.config, "workerinput"):
            return
        if self.config.option.collectonly:
            return
        outcomes = [*state.outcomes, *self._census_outcome()]
        self.rules = verdicts(
            outcomes,
            RunFacts(state.record.statuses, state.declared, frozenset(state.deselected), self._not_run(session)),
        )
        unchecked = [v for v in self.rules if v.verdict == "skipped" and TIME_BUDGET in v.reason]
        if state.record.cannot_judge:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            self.verdict = f"CANNOT JUDGE (exit 4): {state.record.cannot_judge}"
        elif any(v.verdict == "failed" for v in self.rules):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            broke = [v.rule.id for v in self.rules if v.verdict == "failed"]
            self.verdict = f"FAILED (exit 1): the target broke {', '.join(broke)}"
        elif unchecked:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            names = ", ".join(v.rule.id for v in unchecked)
            self.verdict = f"CANNOT JUDGE (exit 4): the time budget ran out before {names} could be checked"
        elif session.exitstatus == pytest.ExitCode.OK:
            self.verdict = "PASSED (exit 0): the target kept every rule that was checked"
        else:
            self.verdict = f"exit {int(session.exitstatus)}"
        self._write_artefacts()
        self._mark_junit(session)

    def _census_outcome(self) -> list[TestOutcome]:
        census = self.state.census
        if census.violations:
            first = census.violations[0]
            broken = tuple(dict.fromkeys(v.rule for v in census.violations))
            reason = f"{len(census.violations)} of {census.probed} instances disagree with the model: {first.message}"
            return [TestOutcome(CENSUS, CENSUS_RULES, "failed", broken, reason[:300])]
        if census.probed:
            return [TestOutcome(CENSUS, CENSUS_RULES, "passed", (), f"{census.probed} instances agree")]
        if census.skipped:
            return [TestOutcome(CENSUS, CENSUS_RULES, "skipped", (), census.skipped)]
        return []

    def _not_run(self, session: pytest.Session) -> str:
        state = self.state
        if state.record.cannot_judge:
            return f"not run: {state.record.cannot_judge}"
        if session.shouldfail or session.shouldstop:
            return f"not run: the run stopped early ({session.shouldfail or session.shouldstop}; -x / --maxfail)"
        if session.exitstatus == pytest.ExitCode.INTERRUPTED:
            return "not run: the run was interrupted"
        return "its tests did not run"

    def _write_artefacts(self) -> None:
        state = self.state
        given = str(self.config.getoption("base_url") or "not resolved")
        target = state.target.describe() if state.target else redact_url(given)
        base_url = redact_url(state.target.base_url if state.target else given)
        seed = state.settings.seed
        if state.settings.report:
            doc = as_json(base_url, seed, self.rules, state.record.statuses, verdict=active().scrub(self.verdict))
            write_json(state.settings.report, doc)
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as out:
                out.write(active().scrub(markdown(target, seed, self.rules, state.record.statuses, self.verdict)))

    def _mark_junit(self, session: pytest.Session) -> None:
        """The census, and a run that could not judge, as test cases of the JUnit file."""
        path = getattr(self.config.option, "xmlpath", None)
        if not path or not os.path.exists(path):
            return
        state = self.state
        cases: list[tuple[str, str, str]] = []  # name, element, message
        for found in state.census.violations:
            cases.append((CENSUS, "failure", active().scrub(str(found))))
        if state.record.cannot_judge or "CANNOT JUDGE" in self.verdict:
            cases.append(("verdict", "error", active().scrub(self.verdict)))
        if not cases:
            return
        tree = ET.parse(path)
        suite = tree.getroot() if tree.getroot().tag == "testsuite" else tree.getroot().find("testsuite")
        if suite is None:
            return
        for name, element, message in cases:
            case = ET.SubElement(suite, "testcase", classname="contract_tests", name=name, time="0")
            ET.SubElement(case, element, message=message.splitlines()[0][:500]).text = message
            suite.set("tests", str(int(suite.get("tests", "0")) + 1))
            counter = "failures" if element == "failure" else "errors"
            suite.set(counter, str(int(suite.get(counter, "0")) + 1))
        tree.write(path, encoding="utf-8", xml_declaration=True)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        state = self.state
        if not self.rules and not self.verdict:
            return
        if state.record.cannot_judge and not state.outcomes:
            return  # stopped before any test: pytest prints the one message; the artefacts carry it too
        if state.census.violations:
            terminalreporter.section("contract census")
            for found in state.census.violations:
                terminalreporter.write_line(active().scrub(str(found)))
        terminalreporter.section("contract rules")
        for line in text_table(self.rules, state.record.statuses):
            terminalreporter.write_line(line)
        terminalreporter.write_line(run_line(self.config))
        if state.settings.report:
            terminalreporter.write_line(f"contract report: {state.settings.report}")
        terminalreporter.write_line(f"contract verdict: {active().scrub(self.verdict)}", bold=True)
