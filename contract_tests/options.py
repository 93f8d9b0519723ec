"""The suite's options, and reading their values: every mistake is a usage error that names the option.

pytest's own `type=` conversion reports a bad command-line value, but not a bad
environment value, and says nothing about what would be right. These parsers
take the command line first, the environment second, and raise
`pytest.UsageError` with the option, the env variable, the value and an example.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TypeVar

import pytest

from discard_contract.rates import RateError, parse_rate

from .settings import (
    DEFAULT_EXAMPLES,
    DEFAULT_PARALLEL,
    DEFAULT_SETTLE_SECONDS,
    DEFAULT_SHRINK_SECONDS,
    DEFAULT_TIME_BUDGET_SECONDS,
    SuiteSettings,
)

T = TypeVar("T")

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})


class OptionError(ValueError):
    """A value that does not parse; the message says what would."""


def parse_flag(text: str) -> bool:
    """true/yes/on/1 or false/no/off/0 (any case); anything else is refused, not guessed."""
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise OptionError(f"{text!r} is not a yes/no value: use one of 1, true, yes, on or 0, false, no, off")


def parse_rate_limit(text: str) -> str:
    """'600/min', '10/s', '1000/hour' as Schemathesis' 'N/s|m|h|d'; zero and unknown units are refused."""
    try:
        rate = parse_rate(text)
    except RateError as exc:
        raise OptionError(str(exc)) from None
    if not rate.count.is_integer():
        raise OptionError(f"{text!r}: the count must be a whole number of requests per unit, e.g. 1/s or 30/min")
    return str(rate)


def whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise OptionError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise OptionError(f"{value} is below the minimum, {minimum}")
        return value

    return parse


def seconds(minimum: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise OptionError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value):
            raise OptionError(f"{text!r} is not a finite number of seconds, e.g. 15 or 2.5")
        if value < minimum:
            raise OptionError(f"{value:g} is below the minimum, {minimum:g} seconds")
        return value

    return parse


def parse_header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or any(c.isspace() for c in name.strip()):
        # The value is not shown: it may be the credential the header was meant to carry.
        what = f"the name {name.strip()!r} has a space" if colon and name.strip() else "there is no 'Name:'"
        raise OptionError(
            f"not a header ({what}; the value is not shown): write 'Name: value', e.g. 'X-Mock-Control-Token: secret'"
        )
    return name.strip(), value.strip()


def read(config: pytest.Config, flag: str, env: str, parse: Callable[[str], T], default: T) -> T:
    """The option's value, else the env variable's, else `default`; parsed, or a usage error."""
    given = config.getoption(flag.lstrip("-").replace("-", "_"))
    source, text = (flag, given) if given is not None else (f"{env} (for {flag})", os.environ.get(env))
    if text is None:
        return default
    try:
        return parse(str(text))
    except OptionError as exc:
        raise pytest.UsageError(f"contract suite: {source}: {exc}") from None


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
    (
        "--contract-settle-seconds",
        "CONTRACT_SETTLE_SECONDS",
        "how long after an instance's last change the end-of-run census probes it "
        f"(default {DEFAULT_SETTLE_SECONDS:g})",
    ),
    (
        "--contract-time-budget",
        "CONTRACT_TIME_BUDGET",
        "the longest the run may take, census included, in seconds; past it the remaining tests are skipped "
        f"with that reason (default {DEFAULT_TIME_BUDGET_SECONDS:g})",
    ),
)


def register(parser: pytest.Parser) -> None:
    """The suite's options, each with its environment variable."""
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
        "--contract-bundled-mock",
        action="store_const",
        const="true",
        default=None,
        help="test the bundled mock (the default without --base-url); needed under CI=true, where a run "
        "without a target is refused (env CONTRACT_BUNDLED_MOCK)",
    )
    group.addoption(
        "--contract-no-shrink",
        action="store_const",
        const="true",
        default=None,
        help="report failing examples as found, without minimising them: fails faster "
        "(env CONTRACT_NO_SHRINK: 1/true/yes/on or 0/false/no/off)",
    )


def read_settings(config: pytest.Config, seed: int) -> SuiteSettings:
    """The run's settings; `seed` is used when none was given."""
    return SuiteSettings(
        examples=read(config, "--contract-examples", "CONTRACT_EXAMPLES", whole_number(1), DEFAULT_EXAMPLES),
        seed=read(config, "--contract-seed", "CONTRACT_SEED", whole_number(0), seed),
        rate_limit=read(config, "--contract-rate-limit", "CONTRACT_RATE_LIMIT", parse_rate_limit, None),
        parallel=read(config, "--contract-parallel", "CONTRACT_PARALLEL", whole_number(2), DEFAULT_PARALLEL),
        shrink=not read(config, "--contract-no-shrink", "CONTRACT_NO_SHRINK", parse_flag, False),
        shrink_seconds=read(
            config, "--contract-shrink-seconds", "CONTRACT_SHRINK_SECONDS", whole_number(0), DEFAULT_SHRINK_SECONDS
        ),
        report=read(config, "--contract-report", "CONTRACT_REPORT", str, None),
        settle_seconds=read(
            config, "--contract-settle-seconds", "CONTRACT_SETTLE_SECONDS", seconds(0.0), DEFAULT_SETTLE_SECONDS
        ),
        time_budget=read(
            config, "--contract-time-budget", "CONTRACT_TIME_BUDGET", seconds(1.0), DEFAULT_TIME_BUDGET_SECONDS
        ),
        bundled_mock=read(config, "--contract-bundled-mock", "CONTRACT_BUNDLED_MOCK", parse_flag, False),
    )


def state_headers(config: pytest.Config) -> dict[str, str]:
    """--state-setup-header lines (else the env variable's one) as a header mapping."""
    given = config.getoption("state_setup_header") or []
    lines = given or (
        [os.environ["CONTRACT_STATE_SETUP_HEADER"]] if os.environ.get("CONTRACT_STATE_SETUP_HEADER") else []
    )
    headers = {}
    for line in lines:
        try:
            name, value = parse_header(line)
        except OptionError as exc:
            raise pytest.UsageError(f"contract suite: --state-setup-header: {exc}") from None
        headers[name] = value
    return headers
