"""The contract suite as a pytest plugin: its options and fixtures.

Registered through the `pytest11` entry point, so an installed copy runs from
any folder: `pytest --pyargs contract_tests --base-url URL`. Without a base
URL it starts the bundled mock on a free loopback port. The run itself (target,
preflight) is `session`'s, the verdict per rule `reporting`'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from . import options

if TYPE_CHECKING:  # imported where used: the plugin loads in every pytest run of the venv
    from discard_contract.ids import InstanceIds

    from .budget import ShareOfBudget
    from .client import DiscardClient
    from .provisioning import Provisioner
    from .target import Target

pytest_plugins = ("contract_tests.session", "contract_tests.reporting", "contract_tests.failures")


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser)


@pytest.fixture(scope="session")
def contract_target(request: pytest.FixtureRequest) -> Target:
    """The server under test, with the keys and data sources it was given."""
    from .session import resolve_target, state_of

    state = state_of(request.config)
    if state.target is None:  # an xdist worker, or a run that skipped the preflight
        state.target = resolve_target(request.config)
    return state.target


@pytest.fixture(scope="session")
def discard_client(request: pytest.FixtureRequest, contract_target: Target) -> DiscardClient:
    """Sends discards to the target; its default key is --api-key. Its 429s are checked, then retried."""
    from .client import DiscardClient
    from .schema import contract_schema
    from .session import state_of
    from .transport import http_session

    state = state_of(request.config)
    if state.schema is None:
        state.schema = contract_schema(state.settings)
    session = http_session(retry_429=False)
    return DiscardClient(state.schema, contract_target.base_url, contract_target.api_key, session, state.record)


@pytest.fixture(scope="session")
def contract_budget(request: pytest.FixtureRequest) -> ShareOfBudget:
    """The running test's share of the run's time budget (--contract-time-budget)."""
    from .budget import ShareOfBudget, TimeBudget
    from .session import state_of

    state = state_of(request.config)
    if state.budget is None:
        state.budget = TimeBudget(state.settings.time_budget, state.settings.settle_seconds)
    return ShareOfBudget(state.budget, lambda: state.record.latency)


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
def provisioner(
    request: pytest.FixtureRequest, contract_target: Target, discard_client: DiscardClient
) -> Iterator[Provisioner]:
    """Gives out the instances this run may discard, and nothing else; each goes into the run's
    model, and the census holds them to it before they are torn down."""
    from .provisioning import (
        FixturesFileProvisioner,
        NoProvisioner,
        ProvisioningError,
        StateSetupProvisioner,
        Tracking,
    )
    from .session import state_of, take_the_census
    from .transport import http_session

    try:
        if contract_target.state_setup_url:
            headers = options.state_headers(request.config)
            source: Provisioner = StateSetupProvisioner(contract_target.state_setup_url, http_session, headers)
        elif contract_target.fixtures_file:
            source = FixturesFileProvisioner(contract_target.fixtures_file)
        else:
            source = NoProvisioner()
    except ProvisioningError as exc:
        from .failures import run_credentials

        pytest.exit(run_credentials(request.config).scrub(f"contract suite: {exc}"), returncode=4)
    yield Tracking(source, state_of(request.config).record.model)
    try:
        take_the_census(request.config, discard_client)
    finally:
        source.close()


@pytest.fixture
def pending_instance(provisioner: Provisioner, api_key: str) -> InstanceIds:
    """A fresh instance pending approval, for this test alone."""
    return provisioner.pending()
