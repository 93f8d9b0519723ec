"""Fixtures for the mock's tests: a fresh app per test, and one served mock per session."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from discard_contract.spec import Spec
from mock_server import create_app
from mock_server.context import EXTENSION_KEY, MockContext

from .support.browser import launched_chromium, unavailable_reason
from .support.redis_server import own_redis, redis_prefix, redis_server  # noqa: F401 (fixtures)
from .support.served import MockProcess, served

# Hypothesis keeps the Unicode tables its text strategies need in its storage directory, by default
# `.hypothesis` in the working directory, and building them costs seconds of CPU. The contract suite
# runs here in a fresh directory each (some sixty runs): sent to this checkout's directory, they build
# the tables once. The suite keeps no examples there (its Hypothesis database is off), so no run sees another's.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path(__file__).resolve().parent.parent / ".hypothesis"))


@pytest.fixture(scope="session")
def spec() -> Spec:
    """The shipped spec, parsed once per process (Spec.shipped), as every app built here uses it."""
    return Spec.shipped()


@pytest.fixture
def app_factory() -> Callable[..., Flask]:
    """Builds apps with extra config, each with its own fresh store."""

    def build(**config: Any) -> Flask:
        return create_app(config)

    return build


@pytest.fixture
def app() -> Flask:
    """A mock app with the shipped data, fresh for every test."""
    return create_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def ctx(app: Flask) -> MockContext:
    """The app's spec, store, keyring and journal, for looking behind the HTTP answers."""
    return app.extensions[EXTENSION_KEY]


@pytest.fixture
def snapshot(client: FlaskClient) -> Callable[[], list[dict[str, Any]]]:
    """Every instance, as the control API shows it, in a stable order."""

    def take() -> list[dict[str, Any]]:
        response = client.get("/__mock/instances")
        assert response.status_code == 200
        return sorted(response.get_json()["instances"], key=lambda doc: doc["workflowInstanceId"])

    return take


@pytest.fixture(scope="session")
def served_mock() -> Iterator[MockProcess]:
    """The real `discard-mock serve` process, shared by the tests that need HTTP on the wire.

    Tests that change its state use provider states (fresh instances) or reset it first.
    """
    with served() as mock:
        yield mock


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for every browser test; skipped, with the reason, where it cannot be had."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with launched_chromium() as browser:
        yield browser
