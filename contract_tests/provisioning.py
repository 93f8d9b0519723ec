"""Where the instances a run may discard come from.

The suite discards only what it was given: instances a provider-state endpoint
creates for it, or the entries of a fixtures file. With neither, the tests that
need one are skipped with a reason that says what to pass.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest
import requests

from discard_contract.ids import InstanceIds
from discard_contract.model import RunModel
from discard_contract.spec import Spec

from .credentials import redact_url


def _states_from_the_spec() -> tuple[str, str, tuple[str, ...]]:
    """The two provider states (pending, not pending) and the not-pending workflow statuses,
    as the spec's `x-provider-states` names them: one source for the mock, the spec and the suite."""
    states = Spec.shipped().provider_states
    pending = next(name for name, forms in states.items() if all(f["hasPendingApproval"] for f in forms.values()))
    not_pending = next(name for name in states if name != pending)
    return pending, not_pending, tuple(states[not_pending])


PENDING, NOT_PENDING, NOT_PENDING_STATUSES = _states_from_the_spec()
CONSUMER = "sonarly-discard-contract-suite"


class ProvisioningError(Exception):
    """The target could not provide an instance; the message says why."""


class Provisioner(Protocol):
    """Where instances come from. `where` asks for a place (CONTRACT.md: `params.accountGroupId`,
    `params.campaignId`); a source may ignore it, and `Tracking.placed` tells."""

    def pending_left(self) -> int | None:
        """How many more pending instances it can give; None: any number."""
        ...

    def pending(self, **where: str) -> InstanceIds: ...

    def not_pending(self, workflow_status: str | None = None, **where: str) -> InstanceIds: ...

    def close(self) -> None: ...


class Tracking:
    """A provisioner whose every instance goes into the run's model (pending approval or not)."""

    def __init__(self, source: Provisioner, model: RunModel) -> None:
        self.source = source
        self.model = model

    def pending_left(self) -> int | None:
        return self.source.pending_left()

    def pending(self, **where: str) -> InstanceIds:
        instance = self.source.pending(**where)
        self.model.given(instance, pending=True)
        return instance

    def not_pending(self, workflow_status: str | None = None, **where: str) -> InstanceIds:
        instance = self.source.not_pending(workflow_status, **where)
        self.model.given(instance, pending=False)
        return instance

    def close(self) -> None:
        self.source.close()

    @staticmethod
    def placed(instance: InstanceIds, **where: str) -> bool:
        """The instance is where it was asked for (a target may ignore the request)."""
        return all(instance.as_json().get(name) == value for name, value in where.items())


class StateSetupProvisioner:
    """Pact-style provider states: one POST per fresh instance."""

    def __init__(
        self,
        url: str,
        session_factory: Callable[[], requests.Session],
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.url = url
        self._session = session_factory()
        self._session.headers.update(headers or {})
        self._timeout = timeout
        self._setups: list[tuple[str, dict[str, str], InstanceIds]] = []
        self._lock = threading.Lock()

    def pending_left(self) -> int | None:
        return None

    def pending(self, **where: str) -> InstanceIds:
        return self._setup(PENDING, dict(where))

    def not_pending(self, workflow_status: str | None = None, **where: str) -> InstanceIds:
        return self._setup(NOT_PENDING, {**where, **({"workflowStatus": workflow_status} if workflow_status else {})})

    def close(self) -> None:
        """One teardown per setup, with the IDs it returned merged into params, so a target
        can delete what it created (it may also ignore teardowns)."""
        with self._lock:
            setups, self._setups = self._setups, []
        for state, params, ids in setups:
            with contextlib.suppress(requests.RequestException, ProvisioningError):  # best effort
                self._post(state, {**params, **ids.as_json()}, "teardown")

    def _setup(self, state: str, params: dict[str, str]) -> InstanceIds:
        response = self._post(state, params, "setup")
        try:
            ids = InstanceIds.from_json(response.json(), f"provider state {state!r} at {redact_url(self.url)}")
        except ValueError as exc:
            raise ProvisioningError(str(exc)) from None
        with self._lock:
            self._setups.append((state, params, ids))
        return ids

    def _post(self, state: str, params: dict[str, str], action: str) -> requests.Response:
        body = {"consumer": CONSUMER, "state": state, "params": params, "action": action}
        try:
            response = self._session.post(self.url, json=body, timeout=self._timeout)
        except requests.RequestException as exc:
            raise ProvisioningError(
                f"provider state {state!r} ({action}): cannot reach {redact_url(self.url)}: {exc}"
            ) from None
        if response.status_code not in (200, 201):
            raise ProvisioningError(
                f"provider state {state!r} ({action}) at {redact_url(self.url)} answered {response.status_code}: "
                f"{response.text[:500]}"
            )
        return response


class FixturesFileProvisioner:
    """Instances listed in a JSON file; each pending one is used at most once per run."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ProvisioningError(f"fixtures file {self.path}: {exc}") from None
        if not isinstance(doc, dict):
            raise ProvisioningError(
                f'fixtures file {self.path}: expected {{"pendingApproval": [...], "notPendingApproval": [...]}}'
            )
        try:
            self._pending = [InstanceIds.from_json(e, str(self.path)) for e in doc.get("pendingApproval", [])]
            self._not_pending = [InstanceIds.from_json(e, str(self.path)) for e in doc.get("notPendingApproval", [])]
        except ValueError as exc:
            raise ProvisioningError(str(exc)) from None
        self._total_pending = len(self._pending)
        self._lock = threading.Lock()

    def pending_left(self) -> int | None:
        return len(self._pending)

    def pending(self, **where: str) -> InstanceIds:
        with self._lock:
            if not self._pending:
                pytest.skip(
                    f"fixtures file {self.path} has no unused pendingApproval entry left "
                    f"({self._total_pending} listed, all used by earlier tests); add more entries "
                    "or pass --state-setup-url"
                )
            return self._pending.pop(0)

    def not_pending(self, workflow_status: str | None = None, **where: str) -> InstanceIds:
        if not self._not_pending:
            pytest.skip(f"fixtures file {self.path} lists no notPendingApproval entry; add one")
        # Not-pending instances are only ever refused, so they may be reused.
        return self._not_pending[0]

    def close(self) -> None:
        pass


class NoProvisioner:
    """No way to get instances: the tests that need one say what to pass."""

    REASON = (
        "needs instances it may discard: pass --state-setup-url URL (env CONTRACT_STATE_SETUP_URL) "
        "or --fixtures-file PATH (env CONTRACT_FIXTURES_FILE)"
    )

    def pending_left(self) -> int | None:
        return 0

    def pending(self, **where: str) -> InstanceIds:
        pytest.skip(self.REASON)

    def not_pending(self, workflow_status: str | None = None, **where: str) -> InstanceIds:
        pytest.skip(self.REASON)

    def close(self) -> None:
        pass
