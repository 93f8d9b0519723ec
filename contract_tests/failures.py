"""How a contract test's failure reads: as a gate's verdict by default, as pytest's own when asked,
and never with a credential in it.

The people who read a red gate are rarely the ones who wrote the suite: they
need the rule that broke, what was expected and what came back, a request
they can replay and the seed, not the suite's source and its fixtures. So with
pytest's default `--tb=auto` a failure that carries contract violations (also
inside a Hypothesis error or an exception group) is shown as just that; any
other style the user asks for (`--tb=long|short|native|line`, `--showlocals`)
gets pytest's own output. Either way every report of a contract test, in
every phase, is scrubbed of the run's credentials before the terminal, the
JUnit file or xdist sees it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, cast

import pytest

from discard_contract.violations import ContractViolation

from . import credentials, options
from .credentials import Credentials
from .session import is_contract_test, state_of

# Deeper than any real chain of causes: a bound for cycles the `seen` set does not catch.
MAX_DEPTH = 12
MAX_WRAPPER_LINE = 300
INDENT = "  "
STASH = pytest.StashKey[tuple[object, Credentials]]()
PREVIOUS = pytest.StashKey[Credentials]()


def run_credentials(config: pytest.Config) -> Credentials:
    """The credentials this run was given: the target's keys and URLs (as filled in for a mock),
    else the options', and the provider-state headers."""
    target = state_of(config).target
    cached = config.stash.get(STASH, None)
    if cached is not None and cached[0] is target:
        return cached[1]
    given = config.getoption
    try:
        headers = options.state_headers(config)
    except pytest.UsageError:  # reported on its own, with the value masked
        headers = {}
    found = Credentials.of(
        api_key=target.api_key if target else given("api_key"),
        api_key_without_permission=target.api_key_without_permission if target else given("api_key_without_permission"),
        headers=headers,
        urls=(
            target.state_setup_url if target else given("state_setup_url"),
            target.base_url if target else given("base_url"),
        ),
    )
    config.stash[STASH] = (target, found)
    return found


def _activate(config: pytest.Config) -> None:
    previous = credentials.activate(run_credentials(config))
    config.stash.setdefault(PREVIOUS, previous)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Curl lines name the keys by their variables from the first test on (the target is known now)."""
    if state_of(session.config).collected:
        _activate(session.config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    """On an xdist worker the target is only known once a test's fixtures resolved it."""
    try:
        return (yield)
    finally:
        if is_contract_test(item):
            _activate(item.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    previous = config.stash.get(PREVIOUS, None)
    if previous is not None:
        credentials.activate(previous)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Outermost, so it sees the report as every other plugin left it."""
    report: pytest.TestReport = yield
    if not is_contract_test(item):
        return report
    scrub = run_credentials(item.config).scrub
    if report.failed and call.excinfo is not None and _wants_the_gate_view(item.config):
        seed = state_of(item.config).settings.seed
        view = gate_view(call.excinfo.value, seed)
        if view is not None:
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is not None:  # where the test failed, for editors and pytest's short summary
                view.reprcrash.path, view.reprcrash.lineno = crash.path, crash.lineno
            # pytest shows any longrepr through its toterminal() and str(); its annotation names only its own.
            report.longrepr = cast(Any, view)
    report.longrepr = scrubbed(report.longrepr, scrub)
    report.sections = [(scrub(title), scrub(content)) for title, content in report.sections]
    report.user_properties = [(name, scrubbed(value, scrub)) for name, value in report.user_properties]
    return report


def _wants_the_gate_view(config: pytest.Config) -> bool:
    return config.getoption("tbstyle", "auto") == "auto" and not config.getoption("showlocals", False)


# The gate's view of a failure.


@dataclass
class Crash:
    """Where and what, in one line: pytest's short summary and JUnit's failure message read it."""

    path: str
    lineno: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.lineno}: {self.message}"


@dataclass
class GateView:
    """A failure as the gate reports it; pytest shows it through `toterminal` and `str`."""

    text: str
    reprcrash: Crash

    def toterminal(self, out: Any) -> None:
        for line in self.text.splitlines():
            out.line(line, red=line.startswith("CONTRACT"), bold=line.startswith("CONTRACT"))

    def __str__(self) -> str:
        return self.text


def contract_failures(error: BaseException) -> tuple[list[ContractViolation], list[BaseException]]:
    """The violations in an error, and the exceptions around them (a Hypothesis error that wraps
    one, an exception group and its other members), from its causes, contexts and groups."""
    violations: list[ContractViolation] = []
    around: list[BaseException] = []
    seen: set[int] = set()

    def visit(exc: BaseException | None, depth: int) -> None:
        if exc is None or depth > MAX_DEPTH or id(exc) in seen:
            return
        seen.add(id(exc))
        if isinstance(exc, ContractViolation):
            violations.append(exc)
            return
        around.append(exc)
        if isinstance(exc, BaseExceptionGroup):
            for member in exc.exceptions:
                visit(member, depth + 1)
        visit(exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__), depth + 1)

    visit(error, 0)
    return violations, around


def gate_view(error: BaseException, seed: int) -> GateView | None:
    """The rule, what was expected and what came back, the request as curl, the answer, the seed.

    None when the error holds no violation (the suite itself failed): pytest's traceback says more.
    """
    violations, around = contract_failures(error)
    if not violations:
        return None
    lines = [f"{type(exc).__name__}: {_first_line(exc)}" for exc in around]
    if lines:
        lines = ["around the violation" + ("s" if len(violations) > 1 else "") + ":", *(INDENT + x for x in lines), ""]
    for number, violation in enumerate(violations, 1):
        if len(violations) > 1:
            lines.append(f"{number} of {len(violations)}:")
        lines += describe(violation)
        lines.append("")
    lines.append(f"replay:   --contract-seed {seed} (with the same options, against the same target)")
    first = violations[0]
    return GateView("\n".join(lines), Crash("", 0, str(first).splitlines()[0]))


def describe(violation: ContractViolation) -> list[str]:
    """One violation: the rule (id, CONTRACT.md section, documented or inferred) and what happened."""
    rule = violation.rule
    kind = "inferred" if rule.inferred else "documented"
    lines = [f"CONTRACT «{rule.section}» [{rule.id}] ({kind}): {rule.title}"]
    message = violation.message.splitlines() or [""]
    lines.append(f"{INDENT}failed:   {message[0]}")
    lines += [f"{INDENT}          {line}" for line in message[1:]]
    if violation.request:
        lines.append(f"{INDENT}request:  {violation.request}")
    if violation.response:
        lines.append(f"{INDENT}response: {violation.response}")
    return lines


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines() or [""])[0][:MAX_WRAPPER_LINE]


# Scrubbing pytest's own representation of a failure, in place, so its markup survives.


def scrubbed(value: Any, scrub: Callable[[str], str], seen: set[int] | None = None) -> Any:
    """`value` with `scrub` applied to every string in it: strings, lists and tuples of them, and
    pytest's failure representations (dataclasses of those). Anything else that shows itself on a
    terminal is replaced by its scrubbed text."""
    seen = set() if seen is None else seen
    if isinstance(value, str):
        return scrub(value)
    if value is None or isinstance(value, (int, float, bool)) or id(value) in seen:
        return value
    seen.add(id(value))
    if isinstance(value, list):
        return [scrubbed(item, scrub, seen) for item in value]
    if isinstance(value, tuple):
        return tuple(scrubbed(item, scrub, seen) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            object.__setattr__(value, field.name, scrubbed(getattr(value, field.name), scrub, seen))
        return value
    if hasattr(value, "toterminal"):
        return scrub(str(value))
    return value
