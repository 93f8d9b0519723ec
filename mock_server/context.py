"""What one mock app holds: its spec, data, storage, journal and endpoint.

One `MockContext` per app (in `app.extensions`), so several apps with
different data or stores can live in one process, as tests need.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from jsonschema import Draft202012Validator

from discard_contract.spec import Operation, Spec

from .control.provider_states import ProviderStates
from .endpoint.checks import DiscardEndpoint
from .endpoint.cors import CorsPolicy
from .journal import RequestJournal
from .seed import SeedData
from .storage import FaultRegistry, InstanceStore, Storage

EXTENSION_KEY = "discard_mock"


@dataclass
class MockContext:
    spec: Spec
    operation: Operation
    seed: SeedData
    storage: Storage
    journal: RequestJournal
    provider_states: ProviderStates
    instance_validator: Draft202012Validator  # what POST /__mock/instances accepts, compiled once
    endpoint: DiscardEndpoint
    cors: CorsPolicy | None  # None with CORS off; the server adds its headers to what it refuses itself

    @property
    def instances(self) -> InstanceStore:
        return self.storage.instances

    @property
    def faults(self) -> FaultRegistry:
        return self.storage.faults


def mock_context() -> MockContext:
    context: MockContext = current_app.extensions[EXTENSION_KEY]
    return context
