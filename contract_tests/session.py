"""One contract run: its settings and target, the preflight before any test, and what it saw.

Everything a run keeps is a `RunState` in `config.stash`, so two runs in one
process (pytester, an IDE) share nothing. The plugin stays quiet in a pytest
run that collects no contract test, and does nothing of this on an xdist
worker (as pytest-base-url).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from discard_contract import rules
from discard_contract.rules import Rule

from . import options
from .budget import TimeBudget
from .census import CensusResult
from .credentials import redact_url
from .record import RunRecord
from .report import TestOutcome
from .settings import SuiteSettings, activate, active
from .shrinking import bound_shrinking

if TYPE_CHECKING:
    from .client import DiscardClient
    from .target import Target


@dataclass
class RunState:
    """Everything the plugin keeps for one pytest run."""

    settings: SuiteSettings
    settings_error: pytest.UsageError | None = None  # then `settings` are the defaults
    collected: bool = False  # the run collected contract tests (and is not an xdist worker)
    target: Target | None = None  # once resolved
    record: RunRecord = field(default_factory=RunRecord)
    outcomes: list[TestOutcome] = field(default_factory=list)
    schema: Any = None  # the run's Schemathesis schema, built by the first client
    census: CensusResult = field(default_factory=CensusResult)
    budget: TimeBudget | None = None  # set when the run starts
    declared: dict[str, tuple[Rule, ...]] = field(default_factory=dict)  # contract test -> the rules it proves
    deselected: set[str] = field(default_factory=set)  # contract tests -k / -m left out
    remaining: int = 0  # contract tests not run yet
    previous: SuiteSettings | None = None  # an enclosing run's (pytester), given back at the end
    shrink_limit: int | None = None  # Hypothesis' own, given back at the end
    preflight_notes: list[str] = field(default_factory=list)  # what the preflight could not check


STATE = pytest.StashKey[RunState]()


def state_of(config: pytest.Config) -> RunState:
    return config.stash[STATE]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "inferred: rests on a rule CONTRACT.md marks inferred; deselect with -m 'not inferred'",
    )
    config.addinivalue_line("markers", "contract_rule(*rules): the CONTRACT.md rules a contract test proves")
    # xdist workers take the controller's seed, so one seed replays the whole run.
    seed = getattr(config, "workerinput", {}).get("contract_seed", secrets.randbits(32))
    try:
        state = RunState(settings=options.read_settings(config, seed), previous=active())
    except pytest.UsageError as exc:  # only an error if this run turns out to be a contract run
        state = RunState(settings=SuiteSettings(seed=0), settings_error=exc, previous=active())
    config.stash[STATE] = state
    activate(state.settings)  # test modules build their schema from it at import
    from .reporting import Reporter

    config.pluginmanager.register(Reporter(config), "contract_tests.reporter")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: each worker gets this run's seed."""
    node.workerinput["contract_seed"] = state_of(node.config).settings.seed


def is_contract_test(item: pytest.Item) -> bool:
    return "contract_target" in getattr(item, "fixturenames", ())


def test_id(item: pytest.Item) -> str:
    """A contract test's id relative to the package's parent (`contract_tests/test_auth.py::…`), wherever
    the package is installed and whichever folder pytest ran from."""
    here = Path(__file__).resolve().parent
    try:
        module = Path(item.path).resolve().relative_to(here.parent).as_posix()
    except ValueError:  # not one of the package's own tests
        return item.nodeid
    return f"{module}::{item.nodeid.partition('::')[2]}"


def rules_of(item: pytest.Item) -> tuple[Rule, ...]:
    """The rules a test declares with `@pytest.mark.contract_rule(rules.X, ...)`."""
    return tuple(rule for mark in item.iter_markers("contract_rule") for rule in mark.args)


def _undeclared(items: Iterable[pytest.Item]) -> list[str]:
    """Tests whose contract_rule marker names something that is not a rule (a string, a typo'd object)."""
    known = set(rules.RULES)
    return [f"{item.nodeid}: {arg!r}" for item in items for arg in rules_of(item) if arg not in known]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A contract_rule that is not a rule fails collection; the rest run rule coverage first."""
    wrong = _undeclared(items)
    if wrong:
        raise pytest.UsageError(
            "contract_rule takes rules of discard_contract.rules (e.g. rules.REPEAT_409); not rules: "
            + "; ".join(wrong)
        )
    items[:] = coverage_first(items)


def coverage_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The first test of each rule (in the report's order), then the rest as collected: a run cut
    short by its time budget has still checked every rule once."""
    contract = [i for i in items if is_contract_test(i)]
    first: list[pytest.Item] = []
    for each in rules.RULES:
        test = next((i for i in contract if each in rules_of(i)), None)
        if test is not None and test not in first:
            first.append(test)
    chosen = set(map(id, first))
    return [i for i in items if not is_contract_test(i)] + first + [i for i in contract if id(i) not in chosen]


def pytest_deselected(items: list[pytest.Item]) -> None:
    """-k / -m: the report says so for rules whose tests were all left out."""
    for item in items:
        if is_contract_test(item):
            state = state_of(item.config)
            state.deselected.add(test_id(item))
            state.declared[test_id(item)] = rules_of(item)


@pytest.hookimpl(tryfirst=True)  # before the terminal's: the header shows the target and the preflight's notes
def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    state = state_of(config)
    if hasattr(config, "workerinput") or not any(is_contract_test(i) for i in session.items):
        return
    if state.settings_error is not None:
        raise state.settings_error
    state.collected = True
    for item in session.items:
        if is_contract_test(item):
            state.declared[test_id(item)] = rules_of(item)
    state.remaining = sum(map(is_contract_test, session.items))
    if config.option.collectonly:
        return
    state.shrink_limit = bound_shrinking(state.settings.shrink_seconds)
    state.budget = TimeBudget(state.settings.time_budget, state.settings.settle_seconds)
    from .preflight import Preflight
    from .probe import PreflightError

    try:
        headers = options.state_headers(config)  # a malformed option first: it is the user's to fix
        state.target = resolve_target(config)
        state.preflight_notes = Preflight(state.target, headers).run()
    except (PreflightError, pytest.UsageError) as exc:
        state.record.cannot_judge = (
            f"contract suite cannot judge the target: {str(exc).removeprefix('contract suite: ')}"
        )
        raise pytest.UsageError(state.record.cannot_judge) from None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Past the time budget a contract test is skipped, saying so; otherwise it gets its share."""
    state = state_of(item.config)
    if not is_contract_test(item):
        return
    if state.budget is None:  # an xdist worker: its own budget, from its first contract test on
        state.budget = TimeBudget(state.settings.time_budget, state.settings.settle_seconds)
    state.remaining = max(state.remaining - 1, 0)
    instances, latency = len(state.record.model), state.record.latency
    if state.budget.exhausted(instances, latency):
        pytest.skip(
            f"time budget: the run's {state.settings.time_budget:g} s (--contract-time-budget) were spent, "
            f"the census's share held back ({latency:.2f} s a request)"
        )
    state.budget.start_test(state.remaining + 1, instances, latency)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    if state.shrink_limit is not None:
        bound_shrinking(state.shrink_limit)
    if state.previous is not None:
        activate(state.previous)


def run_line(config: pytest.Config) -> str:
    """The run's header line: the target and the seed that replays it."""
    state = state_of(config)
    seed = state.settings.seed
    given = config.getoption("base_url") or config.getini("base_url")
    if state.target:
        target = state.target.describe()
    elif given:
        target = redact_url(given)
    else:
        target = "the bundled mock of each xdist worker" if getattr(config.option, "numprocesses", None) else "none yet"
    return f"contract suite: target {target}; seed {seed} (replay with --contract-seed {seed})"


def pytest_report_collectionfinish(config: pytest.Config) -> list[str]:
    state = state_of(config)
    return [run_line(config), *state.preflight_notes] if state.collected else []


def resolve_target(config: pytest.Config) -> Target:
    """The given base URL (a loopback discard-mock gets its defaults), or the bundled mock, started now
    and stopped when pytest ends."""
    from .target import MockProcess, Target, is_local_discard_mock

    option = config.getoption
    given = {
        "api_key": option("api_key"),
        "api_key_without_permission": option("api_key_without_permission"),
        "state_setup_url": option("state_setup_url"),
        "fixtures_file": option("fixtures_file"),
    }
    base_url = option("base_url") or config.getini("base_url")
    if not base_url and os.environ.get("CI", "").lower() == "true" and not state_of(config).settings.bundled_mock:
        raise pytest.UsageError(
            "contract suite: no --base-url under CI=true: give the target (--base-url URL, env PYTEST_BASE_URL), "
            "or pass --contract-bundled-mock to test the bundled mock on purpose"
        )
    if base_url:
        target = Target(base_url=base_url.rstrip("/"), **given)
        if is_local_discard_mock(target.base_url):
            target = target.with_mock_defaults("a discard-mock on loopback")
        return target
    mock = MockProcess("--quiet")
    try:
        mock.start()
    except RuntimeError as exc:
        raise pytest.UsageError(f"contract suite: {exc}") from None
    config.add_cleanup(mock.stop)
    return Target(base_url=mock.base_url, **given).with_mock_defaults("the bundled mock")


def take_the_census(config: pytest.Config, client: DiscardClient) -> None:
    """The census of this process's instances (each xdist worker probes its own), before the
    provisioner's teardowns, which may delete them."""
    from .census import take_census

    state = state_of(config)
    if not len(state.record.model):
        return
    if state.record.cannot_judge:
        state.census.skipped = f"not taken: {state.record.cannot_judge}"
        return
    started = time.monotonic()
    state.census = take_census(client, state.record.model, state.settings.settle_seconds)
    state.census.seconds = time.monotonic() - started


@pytest.hookimpl(trylast=True)  # after the session's fixtures are torn down, where the census is taken
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A worker hands its census and statuses to the controller; a census violation fails the run."""
    config = session.config
    state = state_of(config)
    worker_output = getattr(config, "workeroutput", None)
    if worker_output is not None:
        worker_output["contract_run"] = {
            "census": state.census.to_json(),
            "statuses": dict(state.record.statuses),
            "cannot_judge": state.record.cannot_judge,
        }
    elif state.census.violations and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
