"""What one mock app holds: its spec, data, store and journal.

One `MockContext` per app (in `app.extensions`), so several apps with
different data or stores can live in one process, as tests need.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from sonarly_openapi.spec import Operation, Spec

from .auth import Keyring
from .fault_registry import FaultRegistry
from .journal import RequestJournal
from .provider_states import ProviderStates
from .seed import SeedData
from .store import InstanceStore

EXTENSION_KEY = "discard_mock"


@dataclass
class MockContext:
    spec: Spec
    operation: Operation
    seed: SeedData
    store: InstanceStore
    keyring: Keyring
    journal: RequestJournal
    provider_states: ProviderStates
    faults: FaultRegistry | None = None  # None: no fault can ever be set (no control API, no flags)


def mock_context() -> MockContext:
    return current_app.extensions[EXTENSION_KEY]
