"""Where instances live: a small interface and the in-memory default."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Protocol

from .domain import Instance, discarded, locate


class DuplicateInstance(Exception):
    """An instance with that workflowInstanceId exists already."""


class InstanceStore(Protocol):
    """What the mock needs from storage.

    `discard` is the only write on the public path and must be atomic: the
    pending check and the write happen as one step, so parallel discards of one
    instance give exactly one success whatever the store.
    """

    def get(self, workflow_instance_id: str) -> Instance | None: ...

    def discard(self, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> Instance:
        """The discarded instance; raises NotFound or NotPendingApproval."""
        ...

    def add(self, instance: Instance) -> None:
        """Stores a new instance; raises DuplicateInstance."""
        ...

    def instances(self) -> list[Instance]: ...

    def replace_all(self, instances: Iterable[Instance]) -> None:
        """Drops every instance and stores these (reset to seeded data)."""
        ...


class MemoryInstanceStore:
    """Instances in a dict behind one lock: fast, and per process."""

    def __init__(self, instances: Iterable[Instance] = ()) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Instance] = {}
        self.replace_all(instances)

    def get(self, workflow_instance_id: str) -> Instance | None:
        return self._by_id.get(workflow_instance_id)

    def discard(self, account_group_id: str, campaign_id: str, workflow_instance_id: str) -> Instance:
        with self._lock:
            current = locate(
                self._by_id.get(workflow_instance_id),
                account_group_id,
                campaign_id,
                workflow_instance_id,
            )
            updated = discarded(current)
            self._by_id[workflow_instance_id] = updated
            return updated

    def add(self, instance: Instance) -> None:
        with self._lock:
            if instance.workflow_instance_id in self._by_id:
                raise DuplicateInstance(instance.workflow_instance_id)
            self._by_id[instance.workflow_instance_id] = instance

    def instances(self) -> list[Instance]:
        with self._lock:
            return list(self._by_id.values())

    def replace_all(self, instances: Iterable[Instance]) -> None:
        fresh = {instance.workflow_instance_id: instance for instance in instances}
        with self._lock:
            self._by_id = fresh
