"""One contract run: its settings and target, the preflight before any test, and what it saw.

Everything a run keeps is a `RunState` in `config.stash`, so two runs in one
process (pytester, an IDE) share nothing. The plugin stays quiet in a pytest
run that collects no contract test, and does nothing of this on an xdist
worker (as pytest-base-url).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from discard_contract import rules
from discard_contract.rules import Rule

from . import options
from .record import RunRecord
from .report import TestOutcome
from .settings import SuiteSettings, activate, active
from .shrinking import bound_shrinking

if TYPE_CHECKING:
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


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: each worker gets this run's seed."""
    node.workerinput["contract_seed"] = state_of(node.config).settings.seed


def is_contract_test(item: pytest.Item) -> bool:
    return "contract_target" in getattr(item, "fixturenames", ())


def rules_of(item: pytest.Item) -> tuple[Rule, ...]:
    """The rules a test declares with `@pytest.mark.contract_rule(rules.X, ...)`."""
    return tuple(rule for mark in item.iter_markers("contract_rule") for rule in mark.args)


def _undeclared(items: Iterable[pytest.Item]) -> list[str]:
    """Tests whose contract_rule marker names something that is not a rule (a string, a typo'd object)."""
    known = set(rules.RULES)
    return [f"{item.nodeid}: {arg!r}" for item in items for arg in rules_of(item) if arg not in known]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A contract_rule that is not a rule fails collection; the finality check re-discards what
    the rest of the run discarded, so it runs last."""
    wrong = _undeclared(items)
    if wrong:
        raise pytest.UsageError(
            "contract_rule takes rules of discard_contract.rules (e.g. rules.REPEAT_409); not rules: "
            + "; ".join(wrong)
        )
    last = [i for i in items if is_contract_test(i) and rules.FINAL in rules_of(i)]
    if last:
        items[:] = [i for i in items if i not in last] + last


@pytest.hookimpl(tryfirst=True)  # before the terminal's: the header shows the target and the preflight's notes
def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    state = state_of(config)
    if hasattr(config, "workerinput") or not any(is_contract_test(i) for i in session.items):
        return
    if state.settings_error is not None:
        raise state.settings_error
    state.collected = True
    if config.option.collectonly:
        return
    state.shrink_limit = bound_shrinking(state.settings.shrink_seconds)
    from .preflight import Preflight, PreflightError

    state.target = resolve_target(config)
    try:
        state.preflight_notes = Preflight(state.target, options.state_headers(config)).run()
    except PreflightError as exc:
        raise pytest.UsageError(f"contract suite cannot judge the target: {exc}") from None


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
    target = state.target.describe() if state.target else "not started"
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
