"""The contract suite as a pytest plugin: options, preflight, fixtures, and the report.

Registered through the `pytest11` entry point, so an installed copy runs from
any folder: `pytest --pyargs contract_tests --base-url URL`. Without a base
URL it starts the bundled mock on a free loopback port.

Installed in a venv it is loaded by every pytest run there, so it stays quiet
unless the run collects contract tests: only then does it check its options'
values, run the preflight, bound Hypothesis' shrinking, print its header and
its report. It does nothing of that on xdist workers (as pytest-base-url).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from . import options
from .record import RunRecord
from .report import TestOutcome, as_json, markdown, text_table, verdicts, write_json
from .settings import DEFAULT_EXAMPLES, DEFAULT_PARALLEL, DEFAULT_SHRINK_SECONDS, SuiteSettings, activate, active
from .violations import ContractViolation

if TYPE_CHECKING:  # imported where used: the plugin loads in every pytest run of the venv
    from .client import DiscardClient
    from .ids import InstanceIds
    from .provisioning import Provisioner
    from .target import Target


@dataclass
class RunState:
    """Everything the plugin keeps for one pytest run (in `config.stash`)."""

    settings: SuiteSettings
    settings_error: pytest.UsageError | None = None  # then `settings` are the defaults
    collected: bool = False  # the run collected contract tests (and is not an xdist worker)
    target: Target | None = None  # once resolved
    record: RunRecord = field(default_factory=RunRecord)
    outcomes: list[TestOutcome] = field(default_factory=list)
    previous: SuiteSettings | None = None  # an enclosing run's (pytester), given back at the end
    shrink_limit: int | None = None  # Hypothesis' own, given back at the end


STATE = pytest.StashKey[RunState]()

# option, env, help; --base-url comes from pytest-base-url (env PYTEST_BASE_URL).
TEXT_OPTIONS = (
    ("--api-key", "CONTRACT_API_KEY", "key with campaigns:execute and access to the provisioned account groups"),
    (
        "--api-key-without-permission",
        "CONTRACT_API_KEY_WITHOUT_PERMISSION",
        "valid key lacking campaigns:execute (403 tests)",
    ),
    ("--state-setup-url", "CONTRACT_STATE_SETUP_URL", "provider-state endpoint that creates instances to discard"),
    ("--fixtures-file", "CONTRACT_FIXTURES_FILE", "JSON file listing instances to discard"),
)
VALUE_OPTIONS = (
    ("--contract-rate-limit", "CONTRACT_RATE_LIMIT", "cap on the request rate to the target, e.g. 10/s or 600/min"),
    ("--contract-examples", "CONTRACT_EXAMPLES", f"generated cases per property test (default {DEFAULT_EXAMPLES})"),
    ("--contract-seed", "CONTRACT_SEED", "seed for generated data; every run prints the one it used"),
    (
        "--contract-parallel",
        "CONTRACT_PARALLEL",
        f"parallel discards in the concurrency test (default {DEFAULT_PARALLEL})",
    ),
    (
        "--contract-shrink-seconds",
        "CONTRACT_SHRINK_SECONDS",
        f"time budget for minimising a failing example, per test (default {DEFAULT_SHRINK_SECONDS})",
    ),
    ("--contract-report", "CONTRACT_REPORT", "write the rules' verdicts and the statuses seen as JSON to this path"),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "discard contract suite")
    for flag, env, help_text in TEXT_OPTIONS:
        group.addoption(flag, default=os.environ.get(env), help=f"{help_text} (env {env})")
    for flag, env, help_text in VALUE_OPTIONS:  # parsed once the run is known to be a contract run
        group.addoption(flag, default=None, help=f"{help_text} (env {env})")
    group.addoption(
        "--state-setup-header",
        action="append",
        metavar="'NAME: VALUE'",
        default=[],
        help="a header for provider-state calls, e.g. a control token; repeatable (env CONTRACT_STATE_SETUP_HEADER)",
    )
    group.addoption(
        "--contract-no-shrink",
        action="store_const",
        const="true",
        default=None,
        help="report failing examples as found, without minimising them: fails faster "
        "(env CONTRACT_NO_SHRINK: 1/true/yes/on or 0/false/no/off)",
    )


def _read_settings(config: pytest.Config) -> SuiteSettings:
    seed = options.read(config, "--contract-seed", "CONTRACT_SEED", options.whole_number(0), None)
    if seed is None:  # xdist workers take the controller's, so one seed replays the whole run
        seed = getattr(config, "workerinput", {}).get("contract_seed", secrets.randbits(32))
    read = options.read
    return SuiteSettings(
        examples=read(config, "--contract-examples", "CONTRACT_EXAMPLES", options.whole_number(1), DEFAULT_EXAMPLES),
        seed=seed,
        rate_limit=read(config, "--contract-rate-limit", "CONTRACT_RATE_LIMIT", options.parse_rate_limit, None),
        parallel=read(config, "--contract-parallel", "CONTRACT_PARALLEL", options.whole_number(2), DEFAULT_PARALLEL),
        shrink=not read(config, "--contract-no-shrink", "CONTRACT_NO_SHRINK", options.parse_flag, False),
        shrink_seconds=read(
            config, "--contract-shrink-seconds", "CONTRACT_SHRINK_SECONDS", options.whole_number(0),
            DEFAULT_SHRINK_SECONDS,
        ),
        report=read(config, "--contract-report", "CONTRACT_REPORT", str, None),
    )  # fmt: skip


def state_headers(config: pytest.Config) -> dict[str, str]:
    given = config.getoption("state_setup_header") or []
    lines = given or (
        [os.environ["CONTRACT_STATE_SETUP_HEADER"]] if os.environ.get("CONTRACT_STATE_SETUP_HEADER") else []
    )
    headers = {}
    for line in lines:
        try:
            name, value = options.parse_header(line)
        except options.OptionError as exc:
            raise pytest.UsageError(f"contract suite: --state-setup-header: {exc}") from None
        headers[name] = value
    return headers


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "inferred: rests on a rule CONTRACT.md marks inferred; deselect with -m 'not inferred'",
    )
    config.addinivalue_line("markers", "contract_rule(*ids): the CONTRACT.md rules a contract test proves")
    try:
        state = RunState(settings=_read_settings(config), previous=active())
    except pytest.UsageError as exc:  # only an error if this run turns out to be a contract run
        state = RunState(settings=SuiteSettings(seed=0), settings_error=exc, previous=active())
    config.stash[STATE] = state
    activate(state.settings)  # test modules build their schema from it at import


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: each worker gets this run's seed."""
    settings = node.config.stash[STATE].settings
    node.workerinput["contract_seed"] = settings.seed


def _is_contract_test(item: pytest.Item) -> bool:
    return "contract_target" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The finality check re-discards what the rest of the run discarded, so it runs last."""
    last = [i for i in items if _is_contract_test(i) and "final" in _rules_of(i)]
    if last:
        items[:] = [i for i in items if i not in last] + last


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    state = config.stash[STATE]
    if hasattr(config, "workerinput") or not any(_is_contract_test(i) for i in session.items):
        return
    if state.settings_error is not None:
        raise state.settings_error
    state.collected = True
    if config.option.collectonly:
        return
    state.shrink_limit = _bound_shrinking(state.settings.shrink_seconds)
    from .preflight import Preflight, PreflightError

    state.target = _resolve_target(config)
    try:
        Preflight(state.target, state_headers(config)).run()
    except PreflightError as exc:
        raise pytest.UsageError(f"contract suite cannot judge the target: {exc}") from None


def _bound_shrinking(seconds: int) -> int:
    """Against a live target every shrink step costs HTTP round trips: cap the time
    Hypothesis spends minimising, so a red gate says so within a minute. Hypothesis
    then reports the smallest failing example found so far. Returns the old cap.

    Hypothesis has no setting for this; its engine reads this module constant when a
    test starts shrinking (checked in tests/test_contract_suite.py).
    """
    from hypothesis.internal.conjecture import engine

    previous = engine.MAX_SHRINKING_SECONDS
    engine.MAX_SHRINKING_SECONDS = seconds
    return previous


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    if state.shrink_limit is not None:
        _bound_shrinking(state.shrink_limit)
    if state.previous is not None:
        activate(state.previous)


def pytest_report_collectionfinish(config: pytest.Config) -> list[str]:
    state = config.stash[STATE]
    if not state.collected:
        return []
    seed = state.settings.seed
    target = state.target.describe() if state.target else "not resolved (collection only)"
    return [f"contract suite: target {target}; seed {seed} (replay with --contract-seed {seed})"]


def _rules_of(item: pytest.Item) -> tuple[str, ...]:
    return tuple(rule_id for mark in item.iter_markers("contract_rule") for rule_id in mark.args)


def _broken_rules(error: BaseException | None, depth: int = 0) -> tuple[str, ...]:
    """The rules a failure names: its own, its group's, or (for Hypothesis' flaky-replay
    errors, which wrap what the target did) those of its cause or context."""
    if error is None or depth > 5:
        return ()
    if isinstance(error, ContractViolation):
        return (error.rule.id,)
    if isinstance(error, BaseExceptionGroup):
        return tuple(dict.fromkeys(r for e in error.exceptions for r in _broken_rules(e, depth + 1)))
    return _broken_rules(error.__cause__ or error.__context__, depth + 1)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    state = item.config.stash[STATE]
    if not (state.collected and _is_contract_test(item)):
        return report
    if report.failed:
        report.sections.append(("contract run", _run_line(item.config)))
    if report.when == "call" or (report.when == "setup" and not report.passed):
        reason = ""
        broken: tuple[str, ...] = ()
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        elif report.failed and call.excinfo is not None:
            broken = _broken_rules(call.excinfo.value)
            reason = (str(call.excinfo.value).strip().splitlines() or [call.excinfo.typename])[0][:300]
        state.outcomes.append(TestOutcome(item.nodeid, _rules_of(item), report.outcome, broken, reason))
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash[STATE]
    if not state.collected or state.target is None or not state.outcomes:
        return
    target = state.target.describe()
    seed = state.settings.seed
    rules = verdicts(state.outcomes, state.record.statuses)
    terminalreporter.section("contract rules")
    for line in text_table(rules, state.record.statuses):
        terminalreporter.write_line(line)
    terminalreporter.write_line(_run_line(config))
    if state.settings.report:
        write_json(state.settings.report, as_json(state.target.base_url, seed, rules, state.record.statuses))
        terminalreporter.write_line(f"contract report: {state.settings.report}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(markdown(target, seed, rules, state.record.statuses))


def _run_line(config: pytest.Config) -> str:
    state = config.stash[STATE]
    seed = state.settings.seed
    target = state.target.describe() if state.target else "not started"
    return f"contract suite: target {target}; seed {seed} (replay with --contract-seed {seed})"


def _resolve_target(config: pytest.Config) -> Target:
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


@pytest.fixture(scope="session")
def contract_target(request: pytest.FixtureRequest) -> Target:
    """The server under test, with the keys and data sources it was given."""
    state = request.config.stash[STATE]
    if state.target is None:  # an xdist worker, or a run that skipped the preflight
        state.target = _resolve_target(request.config)
    return state.target


@pytest.fixture(scope="session")
def discard_client(request: pytest.FixtureRequest, contract_target: Target) -> DiscardClient:
    """Sends discards to the target; its default key is --api-key. Its 429s are checked, then retried."""
    from .client import DiscardClient, http_session
    from .schema import contract_schema

    record = request.config.stash[STATE].record
    session = http_session(retry_429=False)
    return DiscardClient(contract_schema(), contract_target.base_url, contract_target.api_key, session, record)


@pytest.fixture(scope="session")
def api_key(contract_target: Target) -> str:
    if not contract_target.api_key:
        pytest.skip("needs a key with campaigns:execute: pass --api-key KEY (env CONTRACT_API_KEY)")
    return contract_target.api_key


@pytest.fixture(scope="session")
def key_without_permission(contract_target: Target) -> str:
    if not contract_target.api_key_without_permission:
        pytest.skip(
            "needs a valid key that lacks campaigns:execute: pass --api-key-without-permission KEY "
            "(env CONTRACT_API_KEY_WITHOUT_PERMISSION)"
        )
    return contract_target.api_key_without_permission


@pytest.fixture(scope="session")
def provisioner(request: pytest.FixtureRequest, contract_target: Target) -> Iterator[Provisioner]:
    """Gives out the instances this run may discard, and nothing else."""
    from .client import http_session
    from .provisioning import (
        FixturesFileProvisioner,
        NoProvisioner,
        ProvisioningError,
        StateSetupProvisioner,
    )

    try:
        if contract_target.state_setup_url:
            headers = state_headers(request.config)
            source: Provisioner = StateSetupProvisioner(contract_target.state_setup_url, http_session, headers)
        elif contract_target.fixtures_file:
            source = FixturesFileProvisioner(contract_target.fixtures_file)
        else:
            source = NoProvisioner()
    except ProvisioningError as exc:
        pytest.exit(f"contract suite: {exc}", returncode=4)
    yield source
    source.close()


@pytest.fixture
def pending_instance(provisioner: Provisioner, api_key: str) -> InstanceIds:
    """A fresh instance pending approval, for this test alone."""
    return provisioner.pending()
