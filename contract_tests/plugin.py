"""The contract suite as a pytest plugin: options, fixtures, and the report.

Registered through the `pytest11` entry point, so an installed copy runs from
any folder: `pytest --pyargs contract_tests --base-url URL`. Without a base
URL it starts the bundled mock on a free loopback port.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from .settings import DEFAULT_EXAMPLES, DEFAULT_PARALLEL, SuiteSettings, activate, active

_TARGET_KEY = pytest.StashKey[str]()

# option, env, help; --base-url comes from pytest-base-url (env PYTEST_BASE_URL).
OPTIONS = (
    ("--api-key", "CONTRACT_API_KEY", "key with campaigns:execute and access to the provisioned account groups"),
    (
        "--api-key-without-permission",
        "CONTRACT_API_KEY_WITHOUT_PERMISSION",
        "valid key lacking campaigns:execute (403 tests)",
    ),
    ("--state-setup-url", "CONTRACT_STATE_SETUP_URL", "provider-state endpoint that creates instances to discard"),
    ("--fixtures-file", "CONTRACT_FIXTURES_FILE", "JSON file listing instances to discard"),
    ("--contract-rate-limit", "CONTRACT_RATE_LIMIT", "cap on the request rate to the target, e.g. 10/s or 600/m"),
)


WHOLE_NUMBER_OPTIONS = (
    (
        "--contract-examples",
        "CONTRACT_EXAMPLES",
        str(DEFAULT_EXAMPLES),
        f"example budget: generated cases per property test (default {DEFAULT_EXAMPLES})",
    ),
    ("--contract-seed", "CONTRACT_SEED", None, "seed for generated data; every run prints the one it used"),
    (
        "--contract-parallel",
        "CONTRACT_PARALLEL",
        str(DEFAULT_PARALLEL),
        f"parallel discards in the concurrency test (default {DEFAULT_PARALLEL})",
    ),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "discard contract suite")
    for flag, env, help_text in OPTIONS:
        group.addoption(flag, default=os.environ.get(env), help=f"{help_text} (env {env})")
    group.addoption(
        "--state-setup-header",
        action="append",
        metavar="'NAME: VALUE'",
        default=[os.environ["CONTRACT_STATE_SETUP_HEADER"]] if os.environ.get("CONTRACT_STATE_SETUP_HEADER") else [],
        help="a header for provider-state calls, e.g. a control token; repeatable (env CONTRACT_STATE_SETUP_HEADER)",
    )
    for flag, env, default, help_text in WHOLE_NUMBER_OPTIONS:
        # A string default goes through `type` like a typed value: a bad env value is a usage error.
        group.addoption(flag, type=int, default=os.environ.get(env, default), help=f"{help_text} (env {env})")
    group.addoption(
        "--contract-no-shrink",
        action="store_true",
        default=os.environ.get("CONTRACT_NO_SHRINK", "") not in ("", "0", "false"),
        help="report failing examples as found, without minimising them: fails faster (env CONTRACT_NO_SHRINK)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "inferred: rests on a rule CONTRACT.md marks inferred; deselect with -m 'not inferred'",
    )
    seed = config.getoption("contract_seed")
    if seed is None:  # xdist workers take the controller's, so one seed replays the whole run
        seed = getattr(config, "workerinput", {}).get("contract_seed", secrets.randbits(32))
    activate(
        SuiteSettings(
            examples=config.getoption("contract_examples"),
            seed=seed,
            rate_limit=config.getoption("contract_rate_limit"),
            parallel=config.getoption("contract_parallel"),
            shrink=not config.getoption("contract_no_shrink"),
        )
    )
    # One seed drives Schemathesis and Hypothesis alike, unless Hypothesis was given its own.
    if getattr(config.option, "hypothesis_seed", None) is None:
        config.option.hypothesis_seed = str(seed)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: each worker gets this run's seed."""
    node.workerinput["contract_seed"] = active().seed


def pytest_report_header(config: pytest.Config) -> str:
    target = config.getoption("base_url") or "the bundled mock on a free loopback port"
    seed = active().seed
    return f"contract suite: target {target}; seed {seed} (replay with --contract-seed {seed})"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed and "contract_target" in getattr(item, "fixturenames", ()):
        report.sections.append(("contract run", _run_line(item.config)))
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if _TARGET_KEY in config.stash:
        terminalreporter.write_line(_run_line(config))


def _headers(lines: list[str]) -> dict[str, str]:
    headers = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise pytest.UsageError(f"--state-setup-header takes 'Name: value', got {line!r}")
        headers[name.strip()] = value.strip()
    return headers


def _run_line(config: pytest.Config) -> str:
    seed = active().seed
    target = config.stash.get(_TARGET_KEY, "not started")
    return f"contract suite: target {target}; seed {seed} (replay with --contract-seed {seed})"


@pytest.fixture(scope="session")
def contract_target(request: pytest.FixtureRequest, base_url: str | None) -> Iterator[Any]:
    """The server under test, with the keys and data sources it was given."""
    from .target import BundledMock, Target, is_local_discard_mock

    option = request.config.getoption
    given = {
        "api_key": option("api_key"),
        "api_key_without_permission": option("api_key_without_permission"),
        "state_setup_url": option("state_setup_url"),
        "fixtures_file": option("fixtures_file"),
    }
    if base_url:
        target = Target(base_url=base_url.rstrip("/"), **given)
        if is_local_discard_mock(target.base_url):
            target = target.with_mock_defaults("a discard-mock on loopback")
        request.config.stash[_TARGET_KEY] = target.describe()
        yield target
        return
    mock = BundledMock()
    url = mock.start()
    try:
        target = Target(base_url=url, **given).with_mock_defaults("the bundled mock")
        request.config.stash[_TARGET_KEY] = target.describe()
        yield target
    finally:
        mock.stop()


@pytest.fixture(scope="session")
def discard_client(contract_target: Any) -> Any:
    """Sends discards to the target; its default key is --api-key."""
    from .client import DiscardClient, http_session
    from .schema import contract_schema

    return DiscardClient(contract_schema(), contract_target.base_url, contract_target.api_key, http_session())


@pytest.fixture(scope="session")
def api_key(contract_target: Any) -> str:
    if not contract_target.api_key:
        pytest.skip("needs a key with campaigns:execute: pass --api-key KEY (env CONTRACT_API_KEY)")
    return contract_target.api_key


@pytest.fixture(scope="session")
def key_without_permission(contract_target: Any) -> str:
    if not contract_target.api_key_without_permission:
        pytest.skip(
            "needs a valid key that lacks campaigns:execute: pass --api-key-without-permission KEY "
            "(env CONTRACT_API_KEY_WITHOUT_PERMISSION)"
        )
    return contract_target.api_key_without_permission


@pytest.fixture(scope="session")
def provisioner(request: pytest.FixtureRequest, contract_target: Any) -> Iterator[Any]:
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
            headers = _headers(request.config.getoption("state_setup_header"))
            source: Any = StateSetupProvisioner(contract_target.state_setup_url, http_session, headers)
        elif contract_target.fixtures_file:
            source = FixturesFileProvisioner(contract_target.fixtures_file)
        else:
            source = NoProvisioner()
    except ProvisioningError as exc:
        pytest.exit(f"contract suite: {exc}", returncode=4)
    yield source
    source.close()


@pytest.fixture
def pending_instance(provisioner: Any, api_key: str) -> Any:
    """A fresh instance pending approval, for this test alone."""
    return provisioner.pending()


@pytest.fixture
def not_pending_instance(provisioner: Any, api_key: str) -> Any:
    return provisioner.not_pending()
